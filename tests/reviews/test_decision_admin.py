"""The Decision admin's list: by partner, by moderator, and a moderator's decisions found by
their username or name."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from reviews.models import Decision
from tests.factories import UserFactory, listing_case
from tests.oversight.logs_world import decide

pytestmark = pytest.mark.django_db

URL = reverse("admin:reviews_decision_changelist")


@pytest.fixture
def decisions(kolesa, krisha) -> dict[str, Decision]:
    olga = UserFactory(
        username="kolesa.olga",
        first_name="Ольга",
        last_name="Ким",
        partner=kolesa,
        role=Role.MODERATOR,
    )
    aidar = UserFactory(username="krisha.aidar", partner=krisha, role=Role.MODERATOR)
    return {
        "olga": decide(olga, listing_case(kolesa).pk, "clear", "no-violation", "Нарушений нет."),
        "aidar": decide(aidar, listing_case(krisha).pk, "clear", "no-violation", "Всё в порядке."),
    }


@pytest.fixture
def admin_client(client, db):
    client.force_login(
        UserFactory(username="hub.root", partner=None, is_staff=True, is_superuser=True)
    )
    return client


def listed(client, query: str) -> set[int]:
    response = client.get(URL + query)
    assert response.status_code == 200
    return {d.pk for d in response.context["cl"].result_list}


def test_filters_by_partner_and_by_moderator(admin_client, decisions, kolesa):
    olga, aidar = decisions["olga"], decisions["aidar"]
    assert listed(admin_client, f"?subject__partner__id__exact={kolesa.pk}") == {olga.pk}
    assert listed(admin_client, f"?decided_by__id__exact={aidar.decided_by_id}") == {aidar.pk}
    text = admin_client.get(URL).content.decode()
    assert "kolesa.olga" in text and "Kolesa.kz" in text  # the filters' choices


@pytest.mark.parametrize("query", ["kolesa.olga", "Ольга", "Ким"])
def test_search_finds_a_moderators_decisions(admin_client, decisions, query):
    assert listed(admin_client, f"?q={query}") == {decisions["olga"].pk}
