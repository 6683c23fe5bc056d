"""Webhook delivery against a real HTTP server (the partner stub, in a thread): signing,
outcomes, the retry schedule, idempotence, the redelivery sweep, and the stub's command."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from antifraud import delivery as delivery_module
from antifraud.delivery import (
    deliveries_redeliver_due,
    delivery_attempt,
    webhook_body,
    webhook_headers,
)
from antifraud.models import Delivery, DeliveryCircuit
from antifraud.partner_stub import PartnerStub
from antifraud.services import outbox_write
from antifraud.services.partners import partner_webhook_secret_rotate
from antifraud.tasks import delivery_send
from tests.factories import PartnerFactory, SubjectFactory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def closed_port() -> int:
    """A port nothing listens on (bound once by us, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def stubs() -> Iterator[list[PartnerStub]]:
    started: list[PartnerStub] = []
    yield started
    for stub in started:
        stub.stop()


@pytest.fixture
def start_stub(stubs):
    def start(secret: str, **options) -> PartnerStub:
        stub = PartnerStub(secret=secret, **options).start()
        stubs.append(stub)
        return stub

    return start


@pytest.fixture
def secret() -> str:
    return new_secret()


def webhook_partner(url: str, secret: str, slug: str = "kolesa"):
    partner = PartnerFactory(slug=slug, webhook_url=url)
    if not secret:
        return partner
    return partner_webhook_secret_rotate(actor=None, partner_id=partner.pk, secret=secret)[0]


def pending_delivery(partner) -> Delivery:
    """One event through the outbox: the row addressed to `partner`."""
    rows = outbox_write(
        event_type=Delivery.EventType.SUBJECT_BLOCKED,
        at=timezone.now(),
        subject=SubjectFactory(partner=partner, kind="account", title="Ерлан Т."),
        decision={"action": "block_account", "policy": "prepaid-delivery"},
    )
    return next(row for row in rows if row.partner_id == partner.pk)


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """The delivery ids handed to `delivery_send.delay`, instead of the broker."""
    sent: list[int] = []
    monkeypatch.setattr(delivery_send, "delay", lambda delivery_id: sent.append(delivery_id))
    return sent


# --- signing ----------------------------------------------------------------------------


def test_signature_matches_the_standard_webhooks_test_vector():
    # The vector of the specification's reference libraries.
    headers = webhook_headers(
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        body='{"test": 2432232314}',
        at=datetime.fromtimestamp(1614265330, tz=UTC),
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_signed_events_verify_with_the_library_and_tampering_fails(secret):
    payload = {"type": "subject.blocked", "timestamp": "2026-11-21T10:00:00+05:00", "data": {}}
    payload["data"]["statement"] = "Предоплата за доставку запчастей"
    body = webhook_body(payload)
    # A local, non-UTC time: the header must still be the Unix time.
    at = timezone.now().astimezone(ZoneInfo("Asia/Almaty"))
    headers = webhook_headers(secret=secret, webhook_id="msg_1", body=body, at=at)
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert Webhook(secret).verify(body, headers) == payload

    tampered_body = body.replace("Предоплата", "Оплата")
    later = {**headers, "webhook-timestamp": str(int(at.timestamp()) + 1)}
    other_id = {**headers, "webhook-id": "msg_2"}
    for data, tampered in [(tampered_body, headers), (body, later), (body, other_id)]:
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(data, tampered)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


# --- one attempt ------------------------------------------------------------------------


def test_a_2xx_answer_delivers(start_stub, secret):
    stub = start_stub(secret)
    row = pending_delivery(webhook_partner(stub.url, secret))

    assert delivery_attempt(delivery_id=row.pk) == "delivered"

    row.refresh_from_db()
    assert row.status == "delivered" and row.delivered_at is not None
    assert row.attempts == 1 and row.last_status_code == 204
    assert row.in_flight_until is None and row.next_attempt_at is None
    [received] = stub.received
    assert received.verified and received.webhook_id == row.webhook_id
    assert received.type == "subject.blocked" and received.payload == row.payload
    assert received.headers["content-type"] == "application/json"


def test_a_server_error_schedules_the_next_attempt(start_stub, secret, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [30.0, 120.0]
    stub = start_stub(secret, fail_first=1, fail_status=500)
    row = pending_delivery(webhook_partner(stub.url, secret))

    before = timezone.now()
    assert delivery_attempt(delivery_id=row.pk) == "retrying"
    after = timezone.now()

    row.refresh_from_db()
    assert row.status == "retrying" and row.attempts == 1
    assert row.last_status_code == 500 and row.last_error == "HTTP 500 Internal Server Error"
    # 30 s with up to 20 % jitter either way.
    assert before + timedelta(seconds=24) <= row.next_attempt_at <= after + timedelta(seconds=36)
    assert row.in_flight_until is None

    # Not due yet: nothing is sent.
    assert delivery_attempt(delivery_id=row.pk) == "skipped:not_due"
    assert len(stub.received) == 1

    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert delivery_attempt(delivery_id=row.pk) == "delivered"
    row.refresh_from_db()
    assert row.attempts == 2 and row.status == "delivered"
    assert stub.accepted_ids() == [row.webhook_id]


def test_a_refused_connection_schedules_the_next_attempt(secret, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [30.0]
    row = pending_delivery(webhook_partner(f"http://127.0.0.1:{closed_port()}/webhooks", secret))

    assert delivery_attempt(delivery_id=row.pk) == "retrying"

    row.refresh_from_db()
    assert row.status == "retrying" and row.attempts == 1
    assert row.last_error.startswith("ConnectError") and row.last_status_code is None
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=20)


def test_a_silent_partner_times_out(secret, settings):
    settings.WEBHOOK_READ_TIMEOUT = 0.2
    # Listening but never answering: the connection opens, the answer never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/webhooks"
        row = pending_delivery(webhook_partner(url, secret))
        assert delivery_attempt(delivery_id=row.pk) == "retrying"
    row.refresh_from_db()
    assert row.last_error.startswith("ReadTimeout")


def test_a_wrong_signature_is_refused_by_the_partner(start_stub, secret):
    stub = start_stub(new_secret())
    row = pending_delivery(webhook_partner(stub.url, secret))

    assert delivery_attempt(delivery_id=row.pk) == "retrying"

    row.refresh_from_db()
    assert row.last_status_code == 400
    [received] = stub.received
    assert not received.verified and received.status == 400


def test_redirects_are_not_followed(start_stub, secret):
    stub = start_stub(secret, fail_first=1, fail_status=302)
    row = pending_delivery(webhook_partner(stub.url, secret))

    assert delivery_attempt(delivery_id=row.pk) == "retrying"

    row.refresh_from_db()
    assert row.last_status_code == 302 and "not followed" in row.last_error
    assert [r.status for r in stub.received] == [302]


def test_dead_once_the_schedule_is_exhausted(secret, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0.0, 0.0]
    row = pending_delivery(webhook_partner(f"http://127.0.0.1:{closed_port()}/webhooks", secret))

    outcomes = [delivery_attempt(delivery_id=row.pk) for _ in range(4)]

    # The first try and one retry per step of the schedule; then nothing more.
    assert outcomes == ["retrying", "retrying", "dead", "skipped:dead"]
    row.refresh_from_db()
    assert row.status == "dead" and row.attempts == 3 and row.next_attempt_at is None
    assert row.last_error.startswith("ConnectError")


def test_a_delivered_row_is_never_sent_again(start_stub, secret, enqueued):
    stub = start_stub(secret)
    row = pending_delivery(webhook_partner(stub.url, secret))
    assert delivery_attempt(delivery_id=row.pk) == "delivered"

    assert delivery_attempt(delivery_id=row.pk) == "skipped:delivered"
    assert deliveries_redeliver_due(now=timezone.now() + timedelta(days=1)) == 0
    assert len(stub.received) == 1
    row.refresh_from_db()
    assert row.attempts == 1


def test_an_in_flight_row_is_skipped_until_its_mark_expires(start_stub, secret):
    stub = start_stub(secret)
    row = pending_delivery(webhook_partner(stub.url, secret))
    Delivery.objects.filter(pk=row.pk).update(
        in_flight_until=timezone.now() + timedelta(seconds=60), attempts=1
    )

    assert delivery_attempt(delivery_id=row.pk) == "skipped:in_flight"
    assert stub.received == []

    # The worker that set the mark died: once it expires, the row is sent.
    Delivery.objects.filter(pk=row.pk).update(in_flight_until=timezone.now())
    assert delivery_attempt(delivery_id=row.pk) == "delivered"
    row.refresh_from_db()
    assert row.attempts == 2 and len(stub.received) == 1


def test_a_stale_failure_never_overwrites_a_newer_attempt(start_stub, secret, monkeypatch):
    """An attempt that outlived its in-flight mark records nothing over the attempt that
    took the row after it."""
    stub = start_stub(secret)
    row = pending_delivery(webhook_partner(stub.url, secret))
    real_send = delivery_module._send
    sends = []

    def slow_then_timed_out(claim):
        sends.append(claim.attempt)
        if len(sends) > 1:
            return real_send(claim)
        # Our attempt outlives its mark: another worker takes the row and delivers it.
        Delivery.objects.filter(pk=row.pk).update(in_flight_until=timezone.now())
        assert delivery_attempt(delivery_id=row.pk) == "delivered"
        return None, "ReadTimeout"

    monkeypatch.setattr(delivery_module, "_send", slow_then_timed_out)
    assert delivery_attempt(delivery_id=row.pk) == "superseded"
    row.refresh_from_db()
    assert sends == [1, 2]
    assert row.status == "delivered" and row.attempts == 2 and row.last_error == ""
    assert stub.accepted_ids() == [row.webhook_id]


def test_a_partner_without_a_url_or_secret_is_never_sent_unsigned(secret):
    partner = webhook_partner("http://127.0.0.1:9/webhooks", "")
    row = pending_delivery(partner)

    assert delivery_attempt(delivery_id=row.pk) == "retrying"

    row.refresh_from_db()
    assert row.last_error == "the partner has no signing secret"


def test_the_task_runs_an_attempt(start_stub, secret):
    stub = start_stub(secret)
    row = pending_delivery(webhook_partner(stub.url, secret))

    assert delivery_send.apply(args=(row.pk,)).get() == "delivered"
    assert delivery_send.apply(args=(row.pk + 1000,)).get() == "missing"
    assert stub.accepted_ids() == [row.webhook_id]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_attempts_send_once(start_stub, secret):
    stub = start_stub(secret)
    row = pending_delivery(webhook_partner(stub.url, secret))
    workers = 8
    start = threading.Barrier(workers)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            connection.ensure_connection()  # connected first, so that they start together
            start.wait()
            outcomes.append(delivery_attempt(delivery_id=row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes.count("delivered") == 1, outcomes
    assert set(outcomes) <= {"delivered", "busy", "skipped:in_flight", "skipped:delivered"}
    assert stub.accepted_ids() == [row.webhook_id]
    row.refresh_from_db()
    assert row.attempts == 1


# --- the sweep --------------------------------------------------------------------------


def test_the_sweep_enqueues_exactly_the_due_rows_not_in_flight(
    secret, enqueued, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_PARTNER_CONCURRENCY = 5  # the partner's share is tested below
    partner = webhook_partner("http://127.0.0.1:9/webhooks", secret)
    # Every event also has a row for this partner, in the feed, never sent.
    PartnerFactory(slug="krisha", webhook_url="")
    now = timezone.now()
    rows = {}
    states = {
        "pending_due": dict(status="pending", next_attempt_at=now - timedelta(seconds=5)),
        "retrying_due": dict(status="retrying", next_attempt_at=now - timedelta(seconds=1)),
        "retrying_later": dict(status="retrying", next_attempt_at=now + timedelta(seconds=30)),
        "in_flight": dict(
            status="pending",
            next_attempt_at=now - timedelta(seconds=5),
            in_flight_until=now + timedelta(seconds=20),
        ),
        "worker_killed": dict(
            status="retrying",
            next_attempt_at=now - timedelta(minutes=5),
            in_flight_until=now - timedelta(seconds=1),
        ),
        "delivered": dict(status="delivered", delivered_at=now, next_attempt_at=None),
        "dead": dict(status="dead", next_attempt_at=None),
    }
    for name, fields in states.items():
        row = pending_delivery(partner)
        # Bring the row to the state earlier attempts would have left it in.
        Delivery.objects.filter(pk=row.pk).update(**fields)
        rows[name] = row.pk
    assert Delivery.objects.filter(status="feed").count() == len(states)

    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_redeliver_due(now=now) == 3
    assert sorted(enqueued) == sorted(
        [rows["pending_due"], rows["retrying_due"], rows["worker_killed"]]
    )

    # Queued rows are not queued again while their message waits in the broker...
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_redeliver_due(now=now) == 0
    assert enqueued == []
    # ...but once it has waited too long, the message was lost: queued again.
    later = now + timedelta(seconds=settings.WEBHOOK_REQUEUE_AFTER + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_redeliver_due(now=later, limit=1) == 1
    assert enqueued == [rows["worker_killed"]], "the longest overdue first"


def test_the_sweep_gives_each_partner_its_share(
    secret, enqueued, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_PARTNER_CONCURRENCY = 2
    slow = webhook_partner("http://127.0.0.1:9/webhooks", secret, slug="slow")
    other = webhook_partner("http://127.0.0.1:9/webhooks", secret, slug="other")
    for _ in range(5):
        pending_delivery(slow)
    pending_delivery(other)
    enqueued.clear()  # outbox_write queues them; the test wants the sweep's view
    Delivery.objects.update(enqueued_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_redeliver_due() == 2 + 2  # two of each partner's due rows
    partners = dict(Delivery.objects.filter(pk__in=enqueued).values_list("pk", "partner_id"))
    assert sorted(partners.values()) == sorted([slow.pk, slow.pk, other.pk, other.pk])


def test_the_sweep_enqueues_nothing_before_commit(
    secret, enqueued, django_capture_on_commit_callbacks
):
    pending_delivery(webhook_partner("http://127.0.0.1:9/webhooks", secret))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert deliveries_redeliver_due() == 1
    assert enqueued == [] and len(callbacks) == 1


@pytest.mark.postgres
def test_the_sweep_reads_the_partial_index():
    from django.db import connection

    query = (
        Delivery.objects.filter(
            status__in=delivery_module.OPEN_STATUSES, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
    with connection.cursor() as cursor:
        # With an empty table the planner prefers a scan; ask it what it would use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "delivery_due" in plan


# --- the stub and its command -------------------------------------------------------------


def signed_post(url: str, secret: str, payload: dict, webhook_id: str) -> httpx.Response:
    body = webhook_body(payload)
    headers = webhook_headers(secret=secret, webhook_id=webhook_id, body=body, at=timezone.now())
    return httpx.post(url, content=body.encode(), headers=headers, timeout=5)


def test_the_stub_verifies_fails_on_purpose_and_records(start_stub, secret, tmp_path):
    record = tmp_path / "stub.jsonl"
    stub = start_stub(secret, fail_first=1, fail_status=503, record=record)
    event = {"type": "listing.removed", "timestamp": "t", "data": {}}

    assert signed_post(stub.url, new_secret(), event, "msg_forged").status_code == 400
    assert signed_post(stub.url, secret, event, "msg_a").status_code == 503
    assert signed_post(stub.url, secret, event, "msg_a").status_code == 204
    assert httpx.post(stub.url, content=b"{}", timeout=5).status_code == 400
    assert httpx.get(stub.url, timeout=5).status_code == 405

    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(e["webhook_id"], e["verified"], e["status"]) for e in lines] == [
        ("msg_forged", False, 400),
        ("msg_a", True, 503),
        ("msg_a", True, 204),
        (None, False, 400),
    ]
    assert {e["type"] for e in lines[:3]} == {"listing.removed"}
    assert set(lines[0]) == {"webhook_id", "type", "verified", "status", "received_at"}
    assert stub.accepted_ids() == ["msg_a"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "give --port and --secret, or --partner SLUG"),
        (["--port", "9001"], "give --port and --secret"),
        (["--port", "9001", "--secret", "plain"], "must be a Standard Webhooks secret"),
        (["--port", "9001", "--secret", "whsec_a"], "not valid base64"),
        (["--port", "70000", "--secret", "whsec_YWJj"], "between 0 and 65535"),
        (["--port", "0", "--secret", "whsec_YWJj", "--status", "200"], "HTTP error status"),
        (["--port", "0", "--secret", "whsec_YWJj", "--fail-first", "-1"], "0 or more"),
        (["--partner", "nobody"], "no partner with the slug 'nobody'"),
        (["--partner", "kolesa", "--port", "1"], "give either --partner or --port"),
    ],
)
def test_the_command_refuses_bad_arguments(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("partner_stub", *arguments)


def test_the_command_refuses_a_partner_without_a_webhook(kolesa):
    with pytest.raises(CommandError, match="has no webhook URL"):
        call_command("partner_stub", "--partner", "kolesa")


def test_the_command_reads_port_and_secret_of_a_partner(secret):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        webhook_partner(f"http://127.0.0.1:{port}/webhooks", secret)
        # The secret decrypted and parsed; the port from the URL is the one that is busy.
        with pytest.raises(CommandError, match=f"cannot listen on 127.0.0.1:{port}"):
            call_command("partner_stub", "--partner", "kolesa")


def test_the_command_serves_until_interrupted(secret, tmp_path):
    record = tmp_path / "record.jsonl"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = ["manage.py", "partner_stub", "--port", "0", "--secret", secret]
    process = subprocess.Popen(
        [sys.executable, *command, "--record", str(record)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in banner, banner + process.stderr.read()
        url = banner.split("listening on ")[1].split(",")[0]
        event = {"type": "subject.blocked", "timestamp": "t", "data": {}}
        assert signed_post(url, secret, event, "msg_cli").status_code == 204
        line = process.stdout.readline()
        assert "204 subject.blocked msg_cli signature ok" in line
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "stopped" in out
    [entry] = [json.loads(x) for x in record.read_text().splitlines()]
    assert entry["webhook_id"] == "msg_cli" and entry["verified"] is True


# --- partners isolated from each other ------------------------------------------------------


def test_a_partner_with_its_share_in_flight_waits_and_others_do_not(
    start_stub, secret, enqueued, settings
):
    settings.WEBHOOK_PARTNER_CONCURRENCY = 1
    slow = webhook_partner(start_stub(secret).url, secret, slug="slow")
    fast = webhook_partner(start_stub(secret).url, secret, slug="fast")
    first, second = pending_delivery(slow), pending_delivery(slow)
    other = pending_delivery(fast)
    # The slow partner's first event is being sent (a worker holds it).
    assert isinstance(delivery_module._claim(first.pk, timezone.now()), delivery_module._Claim)
    assert delivery_attempt(delivery_id=second.pk) == "skipped:partner_busy"
    second.refresh_from_db()
    assert second.attempts == 0 and second.enqueued_at is None  # left for later, uncounted
    assert second.next_attempt_at > timezone.now()
    # Another partner is not held up by it.
    assert delivery_attempt(delivery_id=other.pk) == "delivered"


def test_a_delivered_attempt_hands_on_the_partners_next_row(start_stub, secret, enqueued):
    partner = webhook_partner(start_stub(secret).url, secret)
    first, second = pending_delivery(partner), pending_delivery(partner)
    Delivery.objects.update(enqueued_at=None)  # as if their messages were lost
    enqueued.clear()
    assert delivery_attempt(delivery_id=first.pk) == "delivered"
    assert enqueued == [second.pk]


def test_a_failing_partner_is_paused_and_resumed(start_stub, secret, enqueued, settings):
    settings.WEBHOOK_CIRCUIT_FAILURES = 3
    settings.WEBHOOK_CIRCUIT_PAUSE = 60
    stub = start_stub(secret, fail_first=3)
    partner = webhook_partner(stub.url, secret)
    rows = [pending_delivery(partner) for _ in range(4)]
    for row in rows[:3]:
        assert delivery_attempt(delivery_id=row.pk) == "retrying"
    circuit = DeliveryCircuit.objects.get(partner=partner)
    assert circuit.consecutive_failures == 3
    assert circuit.open_until > timezone.now() + timedelta(seconds=50)
    # While open, nothing is sent to the partner, and the row waits for the pause's end.
    assert delivery_attempt(delivery_id=rows[3].pk) == "skipped:partner_paused"
    rows[3].refresh_from_db()
    assert rows[3].next_attempt_at == circuit.open_until and rows[3].attempts == 0
    # The pause over, the partner answers again: the circuit closes.
    DeliveryCircuit.objects.filter(partner=partner).update(open_until=timezone.now())
    Delivery.objects.filter(pk=rows[3].pk).update(next_attempt_at=timezone.now())
    assert delivery_attempt(delivery_id=rows[3].pk) == "delivered"
    circuit.refresh_from_db()
    assert (circuit.consecutive_failures, circuit.open_until) == (0, None)
    assert len(stub.received) == 4  # three failures and one success, nothing while paused
