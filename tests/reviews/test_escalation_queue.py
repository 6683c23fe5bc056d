"""The escalations queue says who escalated each case, when, and why."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.roles import Role
from reviews import services
from tests.factories import UserFactory, listing_case

pytestmark = pytest.mark.django_db

LONG_NOTE = (
    "Same phone as the ring from last week <b>bold</b>; the seller insists on a deposit "
    "by card before any viewing, and the photos come from another city's listing."
)


@pytest.fixture
def senior(kolesa):
    return UserFactory(username="kolesa.senior", partner=kolesa, role=Role.SENIOR_MODERATOR)


def escalate(moderator, case, note: str) -> None:
    services.case_claim(actor=moderator, case_id=case.pk)
    services.case_escalate(actor=moderator, case_id=case.pk, note=note)


def test_the_queue_shows_who_escalated_and_the_note(client, kolesa, moderator, senior):
    case = listing_case(kolesa)
    escalate(moderator, case, LONG_NOTE)
    client.force_login(senior)
    content = client.get(reverse("home") + "?queue=escalated").content.decode()
    assert "<th>Escalated by</th>" in content
    assert '<span class="who">kolesa.mod</span>' in content
    # The note is cut short in the row, whole (and escaped) in its title.
    escaped = escape(LONG_NOTE)
    assert f'title="{escaped}"' in content
    assert "<b>bold</b>" not in content
    assert escape(LONG_NOTE[:40]) in content
    assert escaped not in content.replace(f'title="{escaped}"', "")


def test_other_queues_have_no_such_column(client, kolesa, moderator, senior):
    listing_case(kolesa)
    client.force_login(senior)
    content = client.get(reverse("home") + "?queue=all").content.decode()
    assert "Escalated by" not in content


def test_the_selector_reads_the_escalated_cases_only(kolesa, moderator):
    from reviews.escalations import escalations_of
    from reviews.models import Case

    case = listing_case(kolesa)
    escalate(moderator, case, "first look")
    found = escalations_of(Case.objects.filter(pk=case.pk))
    assert found[case.pk].by == "kolesa.mod" and found[case.pk].note == "first look"
    # Only escalated cases are looked up.
    assert escalations_of(Case.objects.filter(pk=listing_case(kolesa).pk)) == {}


def test_the_page_reads_the_escalations_in_one_query(
    client, kolesa, moderator, senior, django_assert_num_queries, django_assert_max_num_queries
):
    escalate(moderator, listing_case(kolesa), "one")
    client.force_login(senior)
    url = reverse("home") + "?queue=escalated"
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(6):
        other = UserFactory(username=f"kolesa.mod{n}", partner=kolesa, role=Role.MODERATOR)
        escalate(other, listing_case(kolesa), f"note {n}")
    with django_assert_num_queries(len(few.captured_queries)):
        content = client.get(url).content.decode()
    assert all(f'<span class="who">kolesa.mod{n}</span>' in content for n in range(6))
