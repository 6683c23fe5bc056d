"""The first page after sign-in: the queues and their counts, scoped to the user's partner."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from tests.factories import CaseFactory, SubjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queues(kolesa, krisha):
    for _ in range(3):
        CaseFactory(
            subject=SubjectFactory(partner=kolesa, kind="listing"), scheme="underpriced_vehicle"
        )
    CaseFactory(subject=SubjectFactory(partner=kolesa, kind="account"), scheme="repeat_offender")
    for _ in range(2):
        CaseFactory(subject=SubjectFactory(partner=krisha, kind="listing"), scheme="fake_rental")
    CaseFactory(
        subject=SubjectFactory(partner=krisha, kind="listing"),
        scheme="fake_rental",
        status="escalated",
        is_escalated=True,
    )


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_signed_in_without_a_role_is_forbidden(client, kolesa):
    client.force_login(UserFactory(partner=kolesa))
    assert client.get("/").status_code == 403


def test_partner_moderator_sees_only_their_partner(client, moderator, queues):
    client.force_login(moderator)
    response = client.get("/")
    assert response.status_code == 200
    rows = response.context["queues"].by_partner
    assert {(r["partner_name"], r["kind"], r["count"]) for r in rows} == {
        ("Kolesa.kz", "listing", 3),
        ("Kolesa.kz", "account", 1),
    }
    assert response.context["queues"].escalated == 0
    assert b"Krisha.kz" not in response.content


def test_hub_staff_see_every_partner(client, hub_moderator, queues):
    client.force_login(hub_moderator)
    response = client.get("/")
    counts = response.context["queues"]
    assert sum(r["count"] for r in counts.by_partner) == 6
    assert {r["scheme"]: r["count"] for r in counts.by_scheme} == {
        "underpriced_vehicle": 3,
        "fake_rental": 2,
        "repeat_offender": 1,
    }
    assert counts.escalated == 1


def test_queue_page_queries_do_not_grow_with_data(
    client, hub_moderator, queues, django_assert_max_num_queries
):
    client.force_login(hub_moderator)
    client.get("/")
    with django_assert_max_num_queries(15) as few:
        client.get("/")
    for _ in range(20):
        CaseFactory(scheme="other")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/")


def test_every_role_may_open_it(client, kolesa):
    for role in ("moderator", "senior_moderator", "supervisor", "admin"):
        user = UserFactory(partner=kolesa)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        assert client.get("/").status_code == 200, role


def test_page_sends_a_content_security_policy(client, moderator):
    client.force_login(moderator)
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
