"""Strikes on the case page: the earlier enforcements that stand against the subject and its
account, counted, each with its policy, action, date and (for a block) length."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from antifraud.models import Subject
from reviews import services
from reviews.models import Case, Decision, Policy
from reviews.selectors import subject_strikes
from reviews.services import DecisionRequest
from tests.factories import SubjectFactory, UserFactory, listing_case

pytestmark = pytest.mark.django_db


def decide(moderator, case: Case, action: str, code: str, **kwargs) -> Decision:
    services.case_claim(actor=moderator, case_id=case.pk)
    return services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action=action,
            policy_id=Policy.objects.get(code=code, is_current=True).pk,
            statement_of_reasons="Нарушение правил площадки.",
            **kwargs,
        ),
    ).decisions[0]


@pytest.fixture
def account(kolesa):
    return SubjectFactory(partner=kolesa, kind=Subject.Kind.ACCOUNT, title="Ерлан Т.")


@pytest.fixture
def history(kolesa, moderator, account):
    """On one account: a warning and a removal of two of its listings, a clearance of a
    third, a 7-day block that was overturned on appeal, and a 30-day block."""
    warned = decide(moderator, listing_case(kolesa, account=account), "warn", "fake-contacts")
    removed = decide(
        moderator, listing_case(kolesa, account=account), "remove_listing", "fake-photos"
    )
    decide(moderator, listing_case(kolesa, account=account), "clear", "no-violation")
    overturned = decide(
        moderator,
        listing_case(kolesa, account=account),
        "block_account",
        "fake-photos",
        block_days=7,
    )
    appeal = services.appeal_file(
        decision_id=overturned.pk,
        statement="Это ошибка, фотографии мои собственные, проверьте пожалуйста.",
        consent=True,
    )
    senior = UserFactory(partner=kolesa, role=Role.SENIOR_MODERATOR)
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    services.appeal_resolve(actor=senior, appeal_id=appeal.pk, overturn=True, reply="Вы правы.")
    blocked = decide(
        moderator,
        listing_case(kolesa, account=account),
        "block_account",
        "fake-photos",
        block_days=30,
    )
    return {"warned": warned, "removed": removed, "blocked": blocked, "overturned": overturned}


def test_strikes_count_what_stands_against_the_account(kolesa, moderator, account, history):
    case = listing_case(kolesa, account=account)
    strikes = subject_strikes(user=moderator, subject=case.subject, owner=account, case=case)
    decisions = [s.decision for s in strikes.items]
    # The clearance and the reversed block are not strikes; the reversal itself neither.
    assert strikes.count == 3
    assert decisions == [history["blocked"], history["removed"], history["warned"]]


def test_the_case_decided_is_not_its_own_strike(kolesa, moderator, account, history):
    blocked = history["blocked"]
    strikes = subject_strikes(
        user=moderator, subject=blocked.subject, owner=account, case=blocked.case
    )
    assert blocked not in [s.decision for s in strikes.items]
    assert strikes.count == 2


def test_an_account_without_listings_is_counted_alone(kolesa, moderator):
    other = SubjectFactory(partner=kolesa, kind=Subject.Kind.ACCOUNT)
    case = listing_case(kolesa, account=other)
    assert subject_strikes(user=moderator, subject=other, owner=other).count == 0
    decide(moderator, case, "remove_listing", "fake-photos")
    assert subject_strikes(user=moderator, subject=other, owner=other).count == 1


def test_the_case_page_shows_the_strikes_in_the_readers_language(
    client, kolesa, moderator, account, history
):
    case = listing_case(kolesa, account=account)
    client.force_login(moderator)
    html = client.get(reverse("case", args=[case.pk])).content.decode()
    assert "3 strikes" in html
    english = Policy.objects.get(code="fake-photos", is_current=True).localized("title", "en")
    assert english in html
    assert "blocked for 30 days, until" in html
    assert reverse("case", args=[history["blocked"].case_id]) in html
    moderator.language = "ru"
    moderator.save(update_fields=["language"])
    title = Policy.objects.get(code="fake-photos", is_current=True).localized("title", "ru")
    # Staff pages speak the reader's language (their `language`).
    russian = client.get(reverse("case", args=[case.pk])).content.decode()
    assert title in russian and "fake-photos" in russian


def test_one_strike_is_one(client, kolesa, moderator, account):
    decide(moderator, listing_case(kolesa, account=account), "warn", "fake-contacts")
    case = listing_case(kolesa, account=account)
    client.force_login(moderator)
    html = client.get(reverse("case", args=[case.pk])).content.decode()
    assert "1 strike<" in html


def test_strikes_cost_the_same_queries_however_many(
    client, kolesa, moderator, account, django_assert_max_num_queries
):
    case = listing_case(kolesa, account=account)
    decide(moderator, listing_case(kolesa, account=account), "warn", "fake-contacts")
    client.force_login(moderator)
    url = reverse("case", args=[case.pk])
    client.get(url)
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for _ in range(6):
        decide(moderator, listing_case(kolesa, account=account), "remove_listing", "fake-photos")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.context["detail"].strikes.count == 7
