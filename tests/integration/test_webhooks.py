"""Webhooks end to end: PostgreSQL, the Redis broker, a real Celery worker (in a thread) and
three stand-in partners (real HTTP servers) that verify every signature.

Retries in these tests are driven the way beat drives them, by calling the redelivery sweep,
only faster.
"""

from __future__ import annotations

import base64
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection, transaction
from django.utils import timezone

from accounts.roles import Role
from antifraud.celery import app as celery_app
from antifraud.delivery import deliveries_redeliver_due, delivery_retry
from antifraud.models import AuditEvent, Delivery
from antifraud.partner_stub import PartnerStub
from antifraud.services import outbox_write
from antifraud.services.partners import partner_webhook_secret_rotate
from reviews import services
from reviews.models import Policy
from reviews.services import DecisionRequest, IndicatorChoice
from tests.factories import PartnerFactory, SubjectFactory, UserFactory, listing_case

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="needs Redis as the Celery broker: set REDIS_URL (CI does)",
    ),
    # The worker thread must see what the test commits; serialized_rollback restores the
    # rows of data migrations (policies, role groups) for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SLUGS = ("kolesa", "krisha", "olx")
DEADLINE = 30.0


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _close_worker_connection(**_: object) -> None:
    # Runs in the worker's thread: its connection must not outlive the test, or the test
    # database could not be flushed and dropped.
    connection.close()


@contextmanager
def running_worker() -> Iterator[None]:
    celery_app.loader.import_module("celery.contrib.testing.tasks")
    task_postrun.connect(_close_worker_connection, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        task_postrun.disconnect(_close_worker_connection)


@pytest.fixture(autouse=True)
def empty_queue() -> Iterator[None]:
    """Messages left by an interrupted run name rows of another database; drop them."""
    celery_app.control.purge()
    yield
    celery_app.control.purge()


class Partners:
    """Three partners, each with a stub at its webhook URL (or a closed port when down)."""

    def __init__(self) -> None:
        self.stubs: dict[str, PartnerStub] = {}
        self.secrets: dict[str, str] = {}
        self.ports: dict[str, int] = {}

    def add(self, slug: str, *, fail_first: int = 0, down: bool = False) -> None:
        secret = new_secret()
        self.secrets[slug] = secret
        if down:
            self.ports[slug] = free_port()
        else:
            self.up(slug, fail_first=fail_first)
        partner = PartnerFactory(
            slug=slug,
            name=f"{slug.title()}.kz",
            webhook_url=f"http://127.0.0.1:{self.ports[slug]}/webhooks",
        )
        partner_webhook_secret_rotate(actor=None, partner_id=partner.pk, secret=secret)

    def up(self, slug: str, *, fail_first: int = 0, port: int = 0) -> PartnerStub:
        stub = PartnerStub(
            secret=self.secrets[slug], port=port or self.ports.get(slug, 0), fail_first=fail_first
        ).start()
        self.stubs[slug] = stub
        self.ports[slug] = stub.port
        return stub

    def stop(self) -> None:
        for stub in self.stubs.values():
            stub.stop()


@pytest.fixture
def partners() -> Iterator[Partners]:
    made = Partners()
    yield made
    made.stop()


def wait_until(done: Callable[[], bool], *, sweep: bool = False, timeout: float = DEADLINE) -> None:
    """Poll until `done()`; with `sweep`, run beat's redelivery sweep on each turn."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sweep:
            deliveries_redeliver_due()
        if done():
            return
        time.sleep(0.05)
    states = list(Delivery.objects.values_list("partner__slug", "status", "attempts", "last_error"))
    raise AssertionError(f"not done within {timeout} s; deliveries: {states}")


def all_delivered() -> bool:
    return not Delivery.objects.exclude(status="delivered").exists()


def block_event(partner_slug: str = "kolesa") -> list[Delivery]:
    """A block as the decision service writes it: the outbox rows commit, then are sent."""
    subject = SubjectFactory(partner=PartnerFactory(slug=partner_slug), kind="account")
    with transaction.atomic():
        return outbox_write(
            event_type=Delivery.EventType.SUBJECT_BLOCKED,
            at=timezone.now(),
            subject=subject,
            decision={"action": "block_account", "policy": "prepaid-delivery"},
        )


def test_a_block_decision_reaches_every_partner_signed(partners):
    for slug in SLUGS:
        partners.add(slug)
    kolesa = PartnerFactory(slug="kolesa")
    moderator = UserFactory(username="kolesa.mod", partner=kolesa, role=Role.MODERATOR)
    case = listing_case(kolesa, phone="+77015550101")
    services.case_claim(actor=moderator, case_id=case.pk)
    phone = case.subject.identifiers.get(kind="phone")

    with running_worker():
        services.decision_record(
            actor=moderator,
            case_id=case.pk,
            request=DecisionRequest(
                action="block_account",
                policy_id=Policy.objects.get(code="underpriced-vehicle", is_current=True).pk,
                statement_of_reasons="Цена в три раза ниже рынка, требование задатка.",
                indicators=(IndicatorChoice(identifier_id=phone.pk, list="black"),),
            ),
        )
        wait_until(all_delivered)

    rows = list(Delivery.objects.select_related("partner"))
    assert sorted({r.event_type for r in rows}) == ["listing.removed", "subject.blocked"]
    for slug, stub in partners.stubs.items():
        sent = {r.webhook_id: r for r in rows if r.partner.slug == slug}
        assert len(sent) == 2
        assert all(r.verified for r in stub.received), slug
        assert Counter(stub.accepted_ids()) == Counter(sent.keys()), slug
        for received in stub.received:
            assert received.payload == sent[received.webhook_id].payload
    assert {r.attempts for r in rows} == {1}
    # Only the subject's own platform gets the statement of reasons and the appeal link.
    [own] = [r for r in partners.stubs["kolesa"].received if r.type == "subject.blocked"]
    assert own.payload["data"]["decision"]["appeal_url"].startswith("http")


def test_a_failing_partner_gets_the_event_after_retries(partners, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0.2, 0.2, 0.2]
    partners.add("kolesa")
    partners.add("krisha")
    partners.add("olx", fail_first=2)

    with running_worker():
        rows = block_event()
        wait_until(all_delivered, sweep=True)

    olx_row = next(r for r in rows if r.partner.slug == "olx")
    olx = partners.stubs["olx"]
    assert [(r.webhook_id, r.status) for r in olx.received] == [
        (olx_row.webhook_id, 500),
        (olx_row.webhook_id, 500),
        (olx_row.webhook_id, 204),
    ]
    attempts = dict(Delivery.objects.values_list("partner__slug", "attempts"))
    assert attempts == {"kolesa": 1, "krisha": 1, "olx": 3}
    for slug in ("kolesa", "krisha"):
        assert len(partners.stubs[slug].received) == 1


def test_a_dead_delivery_is_delivered_after_a_supervisors_retry(partners, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0.1, 0.1]
    partners.add("kolesa")
    partners.add("krisha")
    partners.add("olx", down=True)
    supervisor = UserFactory(username="hub.supervisor", partner=None, role=Role.SUPERVISOR)

    with running_worker():
        rows = block_event()
        olx_row = next(r for r in rows if r.partner.slug == "olx")
        wait_until(
            lambda: (
                Delivery.objects.filter(status="delivered").count() == 2
                and Delivery.objects.get(pk=olx_row.pk).status == "dead"
            ),
            sweep=True,
        )
        dead = Delivery.objects.get(pk=olx_row.pk)
        assert dead.attempts == 3 and dead.last_error.startswith("ConnectError")

        olx = partners.up("olx")
        delivery_retry(actor=supervisor, delivery_id=olx_row.pk)
        # No sweep: the retry itself enqueued the delivery.
        wait_until(all_delivered)

    assert olx.accepted_ids() == [olx_row.webhook_id]
    assert all(r.verified for r in olx.received)
    assert AuditEvent.objects.filter(
        action="delivery.retried", actor=supervisor, target_id=str(olx_row.pk)
    ).exists()


def test_events_survive_a_flushed_broker_each_arriving_once(partners, settings):
    # The sweep hands over again what was queued this long ago: a lost message's wait.
    settings.WEBHOOK_REQUEUE_AFTER = 1.0
    for slug in SLUGS:
        partners.add(slug)
    events = 5
    # No worker yet: the messages wait in Redis, and are lost with it.
    rows = [row for _ in range(events) for row in block_event()]
    assert celery_app.control.purge() >= events * len(SLUGS)

    with running_worker():
        wait_until(all_delivered, sweep=True)

    for slug, stub in partners.stubs.items():
        expected = {r.webhook_id for r in rows if r.partner.slug == slug}
        received = Counter(stub.accepted_ids())
        assert set(received) == expected, f"{slug} is missing {expected - set(received)}"
        assert set(received.values()) == {1}, f"{slug} got an event twice: {received}"
        assert all(r.verified for r in stub.received)
