"""Warn before breach: cases and appeals within their warning window are marked "due soon"
on the queue and the appeals page, breached ones "breached" — one rule
(reviews.deadlines), which the dashboard counts with too. And supervisors read the
decisions awaiting approval, without approving them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from antifraud.models import Subject
from reviews import deadlines, services
from reviews.models import Appeal, Case, Decision, Policy
from reviews.services import DecisionRequest
from tests.factories import UserFactory, listing_case

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


def row_of(content: str, href: str) -> str:
    """The table row that links to `href`."""
    rows = [row for row in re.split(r"<tr\b", content) if f'href="{href}' in row]
    assert len(rows) == 1, href
    return rows[0]


def test_deadline_state_at_the_edges():
    now = timezone.now()
    warning = 4 * H
    assert deadlines.deadline_state(now - H, warning=warning, now=now) == deadlines.BREACHED
    assert deadlines.deadline_state(now, warning=warning, now=now) == deadlines.BREACHED
    assert deadlines.deadline_state(now + H, warning=warning, now=now) == deadlines.DUE_SOON
    assert deadlines.deadline_state(now + warning, warning=warning, now=now) == deadlines.DUE_SOON
    assert deadlines.deadline_state(now + warning + H, warning=warning, now=now) == ""
    assert deadlines.deadline_state(None, warning=warning, now=now) == ""


@pytest.fixture
def cases(kolesa) -> dict[str, Case]:
    now = timezone.now()
    return {
        "breached": listing_case(kolesa, deadline=now - H),
        "due_soon": listing_case(kolesa, deadline=now + 2 * H),
        "later": listing_case(kolesa, deadline=now + 10 * H),
    }


def test_the_queue_marks_cases_due_soon_and_breached(client, moderator, cases):
    client.force_login(moderator)
    content = client.get(reverse("home")).content.decode()
    for name, expected in (
        ("breached", '<strong class="breached">breached</strong>'),
        ("due_soon", '<strong class="due">due soon</strong>'),
    ):
        row = row_of(content, reverse("case", args=[cases[name].pk]))
        assert expected in row, name
    later = row_of(content, reverse("case", args=[cases["later"].pk]))
    assert "due soon" not in later and "breached" not in later


def test_the_warning_window_comes_from_the_settings(client, moderator, cases, settings):
    settings.CASE_DEADLINE_WARN_HOURS = 1
    client.force_login(moderator)
    content = client.get(reverse("home")).content.decode()
    assert "due soon" not in row_of(content, reverse("case", args=[cases["due_soon"].pk]))
    settings.CASE_DEADLINE_WARN_HOURS = 12
    content = client.get(reverse("home")).content.decode()
    assert "due soon" in row_of(content, reverse("case", args=[cases["later"].pk]))


def test_a_decided_case_is_neither(cases):
    case = cases["breached"]
    assert case.deadline_state == deadlines.BREACHED
    case.status, case.decided_at = Case.Status.DECIDED, timezone.now()
    assert case.deadline_state == ""


@pytest.fixture
def appeals(kolesa, moderator) -> dict[str, Appeal]:
    """Three waiting appeals (warning: 12 hours) and one resolved past its deadline."""
    now = timezone.now()
    policy = Policy.objects.get(code="fake-rental", is_current=True)
    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    made = {}
    for name, deadline in (
        ("breached", now - H),
        ("due_soon", now + 6 * H),
        ("later", now + 30 * H),
        ("upheld", now - 5 * H),
    ):
        case = listing_case(kolesa, status=Case.Status.DECIDED, decided_at=now - 80 * H)
        decision = Decision.objects.create(
            case=case,
            subject=case.subject,
            action="remove_listing",
            policy=policy,
            statement_of_reasons="Основание указано.",
            decided_by=moderator,
            decided_at=now - 80 * H,
        )
        resolved = name == "upheld"
        made[name] = Appeal.objects.create(
            decision=decision,
            statement="Объявление настоящее.",
            filed_at=now - 70 * H,
            deadline=deadline,
            status=Appeal.Status.UPHELD if resolved else Appeal.Status.SUBMITTED,
            reviewer=senior if resolved else None,
            resolved_at=now - 6 * H if resolved else None,
        )
    return made


def test_the_appeals_page_marks_appeals_due_soon_and_breached(client, kolesa, appeals):
    client.force_login(UserFactory(partner=kolesa, role=Role.SUPERVISOR))
    content = client.get(reverse("appeals")).content.decode()
    for name, expected in (
        ("breached", '<strong class="breached">breached</strong>'),
        ("due_soon", '<strong class="due">due soon</strong>'),
    ):
        row = row_of(content, reverse("appeal-review", args=[appeals[name].pk]))
        assert expected in row, name
    later = row_of(content, reverse("appeal-review", args=[appeals["later"].pk]))
    assert "due soon" not in later and "breached" not in later
    assert "1 appeal is past its deadline." in content
    assert "1 appeal is due soon." in content
    # A resolved appeal is not waiting: it is not listed, and nothing is due.
    assert appeals["upheld"].deadline_state == ""


# --- the approvals page, for supervisors to read ----------------------------------------


@pytest.fixture
def proposal(kolesa, moderator, settings):
    """A block waiting for a second moderator (the account is older than the limit)."""
    settings.SECOND_APPROVAL_ACCOUNT_AGE_DAYS = 1
    case = listing_case(kolesa)
    Subject.objects.filter(pk=case.subject.account_id).update(
        registered_at=timezone.now() - timedelta(days=30)
    )
    services.case_claim(actor=moderator, case_id=case.pk)
    return services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="fake-rental").pk,
            statement_of_reasons="Предоплата за бронь несуществующей квартиры.",
        ),
    ).proposal


def test_supervisors_read_the_approvals_without_approving(kolesa, krisha, moderator, proposal):
    client = Client()
    supervisor = UserFactory(partner=kolesa, role=Role.SUPERVISOR)
    client.force_login(supervisor)
    response = client.get(reverse("approvals"))
    assert response.status_code == 200
    assert [p.pk for p in response.context["proposals"]] == [proposal.pk]
    content = response.content.decode()
    assert reverse("proposal-approve", args=[proposal.pk]) not in content
    assert f'href="{reverse("approvals")}"' in content  # the nav
    # The case page offers them no approval either, and the posts stay refused.
    case_page = client.get(reverse("case", args=[proposal.case_id])).content.decode()
    assert reverse("proposal-approve", args=[proposal.pk]) not in case_page
    assert client.post(reverse("proposal-approve", args=[proposal.pk])).status_code == 403
    assert client.post(reverse("proposal-reject", args=[proposal.pk])).status_code == 403
    # Another partner's supervisor reads an empty list.
    client.force_login(UserFactory(partner=krisha, role=Role.SUPERVISOR))
    assert list(client.get(reverse("approvals")).context["proposals"]) == []
    # Moderators still may not.
    client.force_login(moderator)
    assert client.get(reverse("approvals")).status_code == 403
