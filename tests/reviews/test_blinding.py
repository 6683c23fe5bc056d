"""Appeal reviewers judge the decision, not the colleague: on every page a senior moderator
can open about a decision — its case, a later case of the same account, the subject's story,
the appeal pages, the list entry it made — nobody says who decided or approved it.
Supervisors see both names on the same pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from antifraud.models import Indicator, Subject
from reviews import services
from reviews.links import appeal_token
from reviews.models import Appeal, Decision, Policy
from reviews.services import DecisionRequest, IndicatorChoice
from tests.factories import UserFactory, listing_case

pytestmark = pytest.mark.django_db

PHONE = "+77015550199"


@pytest.fixture
def world(kolesa):
    """A block decided by Alice and approved by Bolat (the account is old), appealed, and a
    later case of the same account waiting."""
    alice = UserFactory(
        username="kolesa.alice-zhanova",
        first_name="Алия",
        last_name="Жанова-Decider",
        partner=kolesa,
        role=Role.MODERATOR,
    )
    bolat = UserFactory(
        username="kolesa.bolat-approver",
        first_name="Болат",
        last_name="Approverov",
        partner=kolesa,
        role=Role.SENIOR_MODERATOR,
    )
    reviewer = UserFactory(username="kolesa.reviewer", partner=kolesa, role=Role.SENIOR_MODERATOR)
    supervisor = UserFactory(username="kolesa.super", partner=kolesa, role=Role.SUPERVISOR)
    case = listing_case(kolesa, phone=PHONE)
    Subject.objects.filter(pk=case.subject.account_id).update(
        registered_at=timezone.now() - timedelta(days=900)
    )
    services.case_claim(actor=alice, case_id=case.pk)
    phone = case.subject.identifiers.get()
    proposal = services.decision_record(
        actor=alice,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="fake-photos", is_current=True).pk,
            statement_of_reasons="Фотографии взяты из чужого объявления.",
            indicators=(IndicatorChoice(identifier_id=phone.pk, list="black"),),
            block_days=30,
        ),
    ).proposal
    [decision] = services.decision_proposal_approve(actor=bolat, proposal_id=proposal.pk)
    appeal = services.appeal_file(
        decision_id=decision.pk,
        statement="Фотографии мои, машина стоит у меня во дворе, прошу проверить.",
        consent=True,
    )
    later = listing_case(kolesa, account=case.subject.account)
    return {
        "alice": alice,
        "bolat": bolat,
        "reviewer": reviewer,
        "supervisor": supervisor,
        "decision": decision,
        "appeal": appeal,
        "later": later,
        "entry": Indicator.objects.get(value=PHONE),
    }


def pages(world) -> list[str]:
    decision: Decision = world["decision"]
    appeal: Appeal = world["appeal"]
    token = appeal_token(decision_id=decision.pk, decided_at=decision.decided_at)
    return [
        reverse("case", args=[decision.case_id]),
        reverse("case", args=[world["later"].pk]),
        reverse("subject-story", args=[decision.subject_id]),
        reverse("subject-story", args=[decision.subject.account_id]),
        reverse("appeals"),
        reverse("appeal-review", args=[appeal.pk]),
        reverse("appeal", args=[token]) + "?lang=en",
        reverse("lists"),
        reverse("list-entry", args=[world["entry"].pk]),
        reverse("home"),
        reverse("approvals"),
        reverse("oversight"),
    ]


def names(world) -> list[str]:
    return [
        value
        for who in ("alice", "bolat")
        for value in (
            world[who].username,
            world[who].first_name,
            world[who].last_name,
            world[who].get_full_name(),
        )
    ]


def test_a_reviewer_never_sees_who_decided_or_approved(client, world):
    client.force_login(world["reviewer"])
    services.appeal_claim(actor=world["reviewer"], appeal_id=world["appeal"].pk)
    seen = []
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        seen.append(html)
        for name in names(world):
            assert name not in html, (url, name)
    # The pages do speak of the decision: the blinding is not an empty page.
    assert "a moderator" in seen[0]
    assert "Фотографии взяты из чужого объявления." in seen[5]
    # The reply field a reviewer refills.
    reply = client.get(
        reverse("appeal-reply", args=[world["appeal"].pk]) + "?outcome=uphold"
    ).content.decode()
    for name in names(world):
        assert name not in reply


def test_a_supervisor_sees_both_names(client, world):
    client.force_login(world["supervisor"])
    decision = world["decision"]
    for url in (
        reverse("case", args=[decision.case_id]),
        reverse("subject-story", args=[decision.subject_id]),
        reverse("appeal-review", args=[world["appeal"].pk]),
    ):
        html = client.get(url).content.decode()
        assert world["alice"].username in html, url
        assert world["bolat"].username in html, url
