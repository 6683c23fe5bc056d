"""The supervisors' deliveries page and retry: anonymous, wrong role, another partner's
delivery, right role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from antifraud.delivery import delivery_retry
from antifraud.errors import DomainError, NotFound
from antifraud.models import AuditEvent, Delivery
from antifraud.services import outbox_write
from antifraud.tasks import delivery_send
from tests.factories import PartnerFactory, SubjectFactory, UserFactory

pytestmark = pytest.mark.django_db

ERROR_FROM_THE_NETWORK = '<script>alert("x")</script> HTTP 502'


def event(state: str, partner, **fields) -> Delivery:
    """One event through the outbox, its row for `partner` brought to `state`."""
    rows = outbox_write(
        event_type=Delivery.EventType.SUBJECT_BLOCKED,
        at=timezone.now(),
        subject=SubjectFactory(partner=partner, kind="account"),
    )
    row = next(r for r in rows if r.partner_id == partner.pk)
    # The same event's rows for other partners are set aside, so counts are what we made.
    Delivery.objects.filter(pk__in=[r.pk for r in rows if r is not row]).update(status="feed")
    now = timezone.now()
    fields = {
        "pending": {},
        "retrying": {
            "attempts": 2,
            "next_attempt_at": now + timedelta(minutes=2),
            "last_error": "HTTP 503 Service Unavailable",
            "last_status_code": 503,
        },
        "dead": {
            "attempts": 7,
            "next_attempt_at": None,
            "last_error": ERROR_FROM_THE_NETWORK,
            "last_status_code": 502,
        },
        "delivered": {"attempts": 1, "delivered_at": now, "next_attempt_at": None},
    }[state] | fields
    Delivery.objects.filter(pk=row.pk).update(status=state, **fields)
    row.refresh_from_db()
    return row


@pytest.fixture
def partners(db):
    kolesa = PartnerFactory(
        slug="kolesa", name="Kolesa.kz", webhook_url="http://127.0.0.1:9001/webhooks?token=t0p"
    )
    krisha = PartnerFactory(
        slug="krisha", name="Krisha.kz", webhook_url="http://127.0.0.1:9002/webhooks"
    )
    return kolesa, krisha


@pytest.fixture
def rows(partners):
    kolesa, krisha = partners
    return {
        "pending": event("pending", kolesa),
        "retrying": event("retrying", kolesa),
        "dead": event("dead", kolesa),
        "delivered": event("delivered", kolesa),
        "old_delivered": event(
            "delivered", kolesa, delivered_at=timezone.now() - timedelta(hours=25)
        ),
        "foreign_dead": event("dead", krisha),
    }


@pytest.fixture
def supervisor(partners):
    return UserFactory(username="kolesa.supervisor", partner=partners[0], role=Role.SUPERVISOR)


@pytest.fixture
def hub_supervisor(db):
    return UserFactory(username="hub.supervisor", partner=None, role=Role.SUPERVISOR)


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(delivery_send, "delay", lambda delivery_id: sent.append(delivery_id))
    return sent


def retry_url(row: Delivery) -> str:
    return reverse("delivery-retry", args=[row.pk])


def snapshot(row: Delivery) -> tuple:
    row.refresh_from_db()
    return (row.status, row.attempts, row.next_attempt_at, row.last_error)


def test_anonymous_is_sent_to_sign_in(client, rows):
    for response in (client.get(reverse("deliveries")), client.post(retry_url(rows["dead"]))):
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    assert Delivery.objects.get(pk=rows["dead"].pk).status == "dead"


def test_a_moderator_is_forbidden(client, partners, rows):
    client.force_login(UserFactory(partner=partners[0], role=Role.MODERATOR))
    assert client.get(reverse("deliveries")).status_code == 403
    assert client.post(retry_url(rows["dead"])).status_code == 403
    assert Delivery.objects.get(pk=rows["dead"].pk).status == "dead"


def test_another_partners_delivery_is_not_found(client, supervisor, rows, enqueued):
    client.force_login(supervisor)
    before = snapshot(rows["foreign_dead"])

    assert client.post(retry_url(rows["foreign_dead"])).status_code == 404
    assert client.post(reverse("delivery-retry", args=[10**9])).status_code == 404

    assert snapshot(rows["foreign_dead"]) == before
    assert not AuditEvent.objects.filter(action="delivery.retried").exists()
    assert enqueued == []


def test_only_post_retries(client, supervisor, rows):
    client.force_login(supervisor)
    assert client.get(retry_url(rows["dead"])).status_code == 405


def test_a_supervisor_sees_the_counts_and_failures_of_their_partner(
    client, supervisor, rows, django_assert_max_num_queries
):
    client.force_login(supervisor)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("deliveries"))
    assert response.status_code == 200

    [kolesa] = response.context["overview"].partners
    assert (kolesa.pending, kolesa.retrying, kolesa.dead, kolesa.delivered_24h) == (1, 1, 1, 1)
    failing = response.context["overview"].failing
    assert [d.pk for d in failing] == [rows["dead"].pk, rows["retrying"].pk], "newest first"

    page = response.content.decode()
    assert "Krisha.kz" not in page and rows["foreign_dead"].webhook_id not in page
    assert rows["dead"].webhook_id in page and "HTTP 503 Service Unavailable" in page
    # The error text came from the network: shown, escaped.
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; HTTP 502" in page
    # The partner's URL may carry a token: only its host is shown.
    assert "127.0.0.1:9001" in page and "t0p" not in page
    # A Retry button for the dead row only, in a form with its CSRF token.
    assert retry_url(rows["dead"]) in page
    assert retry_url(rows["retrying"]) not in page
    assert "csrfmiddlewaretoken" in page
    assert "<style" not in page and " style=" not in page


def test_a_hub_supervisor_sees_every_partner(client, hub_supervisor, rows):
    client.force_login(hub_supervisor)
    response = client.get(reverse("deliveries"))
    assert response.status_code == 200
    overview = response.context["overview"]
    assert [p.partner.slug for p in overview.partners] == ["kolesa", "krisha"]
    assert {d.pk for d in overview.failing} == {
        rows["dead"].pk,
        rows["retrying"].pk,
        rows["foreign_dead"].pk,
    }
    assert overview.failing_total == 3


def test_retrying_a_dead_delivery_queues_it_again_and_is_audited(
    client, supervisor, rows, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)
    dead = rows["dead"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url(dead))

    assert response.status_code == 302 and response["Location"] == reverse("deliveries")
    dead.refresh_from_db()
    assert dead.status == "pending" and dead.attempts == 0
    assert dead.next_attempt_at <= timezone.now() and dead.in_flight_until is None
    assert enqueued == [dead.pk]
    [audit] = AuditEvent.objects.filter(action="delivery.retried")
    assert audit.actor == supervisor and audit.target_id == str(dead.pk)
    assert audit.payload["attempts"] == 7 and audit.payload["webhook_id"] == dead.webhook_id
    page = client.get(response["Location"]).content.decode()
    assert "is queued again" in page


def test_retrying_a_delivery_that_is_not_dead_is_refused(
    client, supervisor, rows, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)
    for name in ("delivered", "retrying", "pending"):
        before = snapshot(rows[name])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(retry_url(rows[name]), follow=True)
        assert response.status_code == 200
        assert "Only a dead delivery can be retried" in response.content.decode()
        assert snapshot(rows[name]) == before, name
    assert enqueued == []
    assert not AuditEvent.objects.filter(action="delivery.retried").exists()


def test_the_service_keeps_to_the_actors_partner(supervisor, hub_supervisor, rows, enqueued):
    with pytest.raises(NotFound):
        delivery_retry(actor=supervisor, delivery_id=rows["foreign_dead"].pk)
    with pytest.raises(DomainError) as refused:
        delivery_retry(actor=hub_supervisor, delivery_id=rows["delivered"].pk)
    assert refused.value.code == "not_dead"
    moderator = UserFactory(partner=supervisor.partner, role=Role.MODERATOR)
    with pytest.raises(NotFound):
        delivery_retry(actor=moderator, delivery_id=rows["dead"].pk)

    retried = delivery_retry(actor=hub_supervisor, delivery_id=rows["foreign_dead"].pk)
    assert retried.status == "pending"
