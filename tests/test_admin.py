"""The admin shows a decision with its evidence snapshot and audit trail, read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Decision, Policy
from reviews.services import DecisionRequest
from tests.factories import UserFactory, listing_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(kolesa, moderator):
    case = listing_case(kolesa, phone="+77015550101")
    services.case_claim(actor=moderator, case_id=case.pk)
    services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="remove_listing",
            policy_id=Policy.objects.get(code="fake-photos").pk,
            statement_of_reasons="Фотографии из чужого объявления.",
        ),
    )
    return Decision.objects.get()


@pytest.fixture
def hub_admin(db):
    return UserFactory(username="hub.root", partner=None, is_staff=True, is_superuser=True)


def test_decision_page_shows_evidence_and_trail(client, decision, hub_admin):
    client.force_login(hub_admin)
    page = client.get(reverse("admin:reviews_decision_change", args=[decision.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert decision.subject.external_id in content  # in the evidence snapshot
    assert "decision.recorded" in content
    assert "Фотографии из чужого объявления." in content


@pytest.mark.parametrize(
    "name",
    [
        "reviews_decision",
        "reviews_case",
        "antifraud_subject",
        "antifraud_auditevent",
        "antifraud_delivery",
        "antifraud_indicator",
    ],
)
def test_domain_records_cannot_be_added_in_the_admin(client, decision, hub_admin, name):
    client.force_login(hub_admin)
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:{name}_add")).status_code == 403
