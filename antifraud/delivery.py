"""Webhook delivery: outbox rows POSTed to partners, signed per Standard Webhooks, retried
with backoff and jitter, dead-lettered, and put back by a supervisor.

Delivery is at least once; receivers deduplicate on `webhook-id`. An attempt claims its row
in a short transaction (counts the attempt, marks it in flight), sends outside any
transaction, so a slow partner never holds a row lock or a database transaction open, and
then records the outcome. Whatever goes wrong in between (a lost broker message, a flushed
Redis, a killed worker) leaves the row pending or retrying with a due time, and the beat's
sweep, `deliveries_redeliver_due`, enqueues it again: a failure only delays an event.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.crypto import SecretUnreadable
from accounts.models import Partner, User
from antifraud import access
from antifraud.audit import audit_record
from antifraud.errors import DomainError, NotAllowed
from antifraud.models import Delivery, DeliveryCircuit
from antifraud.tasks import delivery_send

logger = logging.getLogger(__name__)

# The statuses a worker still has to send (the partial index `delivery_due` covers them).
OPEN_STATUSES = [Delivery.Status.PENDING, Delivery.Status.RETRYING]
# Each retry waits its scheduled delay times a random factor in [1 - JITTER, 1 + JITTER], so
# the events a partner missed while down do not all come back in the same second.
JITTER = 0.2
# An attempt's in-flight mark outlasts its HTTP timeouts by this much; past it, the sweep
# takes the row for the attempt of a killed worker.
IN_FLIGHT_MARGIN = timedelta(seconds=15)
# A row whose partner has its share of attempts in flight waits this long before it is due.
BUSY_PAUSE = timedelta(seconds=2)
# The longest a partner's circuit stays open at once, in seconds.
CIRCUIT_PAUSE_MAX = 1800.0
ERROR_MAX_LENGTH = 300
USER_AGENT = "antifraud-webhooks/1"
FAILING_ROWS_SHOWN = 100


class DeliveryNotDead(DomainError):
    code = "not_dead"


# --- signing ----------------------------------------------------------------------------


def webhook_body(payload: dict[str, Any]) -> str:
    """The exact text that is signed and sent: compact JSON, serialized once."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def webhook_headers(
    *, secret: str | Sequence[str], webhook_id: str, body: str, at: datetime
) -> dict[str, str]:
    """The Standard Webhooks headers for `body` sent at `at` (whole seconds), signed by each
    secret given: during a rotation's overlap the header carries one signature per secret,
    space-separated, and a receiver holding either accepts it."""
    # The library reads the datetime's wall time as UTC (it replaces tzinfo rather than
    # converting), so it must be given UTC.
    at = datetime.fromtimestamp(int(at.timestamp()), tz=UTC)
    secrets = [secret] if isinstance(secret, str) else list(secret)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(
            Webhook(each).sign(msg_id=webhook_id, timestamp=at, data=body) for each in secrets
        ),
    }


# --- one attempt ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    attempt: int
    partner: Partner
    webhook_id: str
    payload: dict[str, Any]


def _in_flight_for() -> timedelta:
    return (
        timedelta(seconds=settings.WEBHOOK_CONNECT_TIMEOUT + settings.WEBHOOK_READ_TIMEOUT)
        + IN_FLIGHT_MARGIN
    )


def _requeue_after() -> timedelta:
    """A row handed to the broker this long ago and still not attempted: its message was
    lost (a flushed or restarted broker), and the sweep hands it over again."""
    return timedelta(seconds=settings.WEBHOOK_REQUEUE_AFTER)


def _circuit(partner_id: int) -> DeliveryCircuit:
    """The partner's circuit row, locked: attempts to one partner take turns to count."""
    DeliveryCircuit.objects.get_or_create(partner_id=partner_id)
    return DeliveryCircuit.objects.select_for_update().get(partner_id=partner_id)


def _put_off(delivery: Delivery, until: datetime) -> None:
    """Not now: due again at `until`, and left to the sweep or the next attempt's chain."""
    delivery.next_attempt_at = until
    delivery.enqueued_at = None
    delivery.save(update_fields=["next_attempt_at", "enqueued_at"])


def _claim(delivery_id: int, now: datetime) -> _Claim | str:
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("partner")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "busy" if Delivery.objects.filter(pk=delivery_id).exists() else "missing"
        if delivery.status not in OPEN_STATUSES:
            return f"skipped:{delivery.status}"
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return "skipped:not_due"
        if delivery.in_flight_until is not None and delivery.in_flight_until > now:
            return "skipped:in_flight"
        circuit = _circuit(delivery.partner_id)
        if circuit.open_until is not None and circuit.open_until > now:
            _put_off(delivery, circuit.open_until)
            return "skipped:partner_paused"
        in_flight = Delivery.objects.filter(
            partner_id=delivery.partner_id, in_flight_until__gt=now
        ).count()
        if in_flight >= settings.WEBHOOK_PARTNER_CONCURRENCY:
            _put_off(delivery, now + BUSY_PAUSE)
            return "skipped:partner_busy"
        delivery.attempts += 1
        delivery.in_flight_until = now + _in_flight_for()
        delivery.save(update_fields=["attempts", "in_flight_until"])
    return _Claim(
        delivery_id=delivery.pk,
        attempt=delivery.attempts,
        partner=delivery.partner,
        webhook_id=delivery.webhook_id,
        payload=delivery.payload,
    )


def _describe(exc: Exception, url: str) -> str:
    name = type(exc).__name__
    text = f"{name}: {exc}" if str(exc) else name
    # Error texts may quote the URL, and a partner's URL may carry a token.
    if url:
        text = text.replace(url, "<webhook URL>")
    return text[:ERROR_MAX_LENGTH]


def _send(claim: _Claim) -> tuple[int | None, str]:
    """POST the event. Returns the status code (None when there was no answer) and an
    error text for anything but 2xx."""
    url = claim.partner.webhook_url
    if not url:
        return None, "the partner has no webhook URL"
    now = timezone.now()
    try:
        secrets = claim.partner.webhook_signing_secrets(now)
    except SecretUnreadable:
        return None, "the signing secret does not decrypt with the configured keys"
    if not secrets:
        return None, "the partner has no signing secret"
    timeout = httpx.Timeout(
        connect=settings.WEBHOOK_CONNECT_TIMEOUT,
        read=settings.WEBHOOK_READ_TIMEOUT,
        write=settings.WEBHOOK_READ_TIMEOUT,
        pool=settings.WEBHOOK_CONNECT_TIMEOUT,
    )
    # Anything that stops the send (a malformed secret or URL included) is one failed
    # attempt; letting it escape would leave the row in flight, retried forever and never
    # counted towards dead.
    try:
        body = webhook_body(claim.payload)
        headers = {
            **webhook_headers(secret=secrets, webhook_id=claim.webhook_id, body=body, at=now),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        with (
            httpx.Client(timeout=timeout, follow_redirects=False) as client,
            # Streamed and never read: only the status matters, and a partner's large or
            # endless body must not fill the worker's memory.
            client.stream("POST", url, content=body.encode(), headers=headers) as response,
        ):
            status = response.status_code
            reason = response.reason_phrase
    except Exception as exc:
        return None, _describe(exc, url)
    if 200 <= status < 300:
        return status, ""
    error = f"HTTP {status} {reason}".strip()
    if 300 <= status < 400:
        error += " (redirects are not followed)"
    return status, error[:ERROR_MAX_LENGTH]


def _next_attempt(attempt: int, now: datetime) -> datetime | None:
    """When to try again after failed attempt number `attempt`; None once the schedule is
    exhausted."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempt > len(schedule):
        return None
    factor = random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - spreads load, not a secret
    return now + timedelta(seconds=schedule[attempt - 1] * factor)


def _record(claim: _Claim, status_code: int | None, error: str) -> str:
    now = timezone.now()
    if not error:
        # Delivered stands even if a newer attempt took the row meanwhile (ours outlived its
        # in-flight mark): the partner has the event.
        updated = Delivery.objects.filter(pk=claim.delivery_id, status__in=OPEN_STATUSES).update(
            status=Delivery.Status.DELIVERED,
            delivered_at=now,
            last_status_code=status_code,
            next_attempt_at=None,
            in_flight_until=None,
        )
        outcome = "delivered" if updated else "superseded"
        # The partner answers: its circuit closes.
        DeliveryCircuit.objects.filter(partner_id=claim.partner.pk).filter(
            Q(consecutive_failures__gt=0) | Q(open_until__isnull=False)
        ).update(consecutive_failures=0, open_until=None)
        logger.info(
            "delivery %s to %s: %s (HTTP %s, attempt %s)",
            claim.delivery_id,
            claim.partner.slug,
            outcome,
            status_code,
            claim.attempt,
        )
        return outcome

    next_at = _next_attempt(claim.attempt, now)
    status = Delivery.Status.RETRYING if next_at else Delivery.Status.DEAD
    # A failure is recorded only by the row's latest attempt, and never over a success.
    updated = Delivery.objects.filter(
        pk=claim.delivery_id, status__in=OPEN_STATUSES, attempts=claim.attempt
    ).update(
        status=status,
        next_attempt_at=next_at,
        last_error=error,
        last_status_code=status_code,
        in_flight_until=None,
        enqueued_at=None,
    )
    outcome = str(status) if updated else "superseded"
    _circuit_failure(claim.partner.pk, now)
    logger.warning(
        "delivery %s to %s: %s after attempt %s: %s",
        claim.delivery_id,
        claim.partner.slug,
        outcome,
        claim.attempt,
        error,
    )
    return outcome


def _circuit_failure(partner_id: int, now: datetime) -> None:
    """One more failure in a row; from WEBHOOK_CIRCUIT_FAILURES on, the circuit opens for a
    pause that doubles with each further failure."""
    with transaction.atomic():
        circuit = _circuit(partner_id)
        circuit.consecutive_failures += 1
        beyond = circuit.consecutive_failures - settings.WEBHOOK_CIRCUIT_FAILURES
        if beyond >= 0:
            pause = min(settings.WEBHOOK_CIRCUIT_PAUSE * 2 ** min(beyond, 16), CIRCUIT_PAUSE_MAX)
            circuit.open_until = now + timedelta(seconds=pause)
        circuit.save(update_fields=["consecutive_failures", "open_until"])


def deliveries_enqueue(delivery_ids: list[int], now: datetime) -> int:
    """Hand rows to the broker, marking them queued; a row the broker refuses is unmarked
    again for the sweep. Returns how many were handed over."""
    handed = 0
    for delivery_id in delivery_ids:
        queued = (
            Delivery.objects.filter(pk=delivery_id, status__in=OPEN_STATUSES)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - _requeue_after()))
            .update(enqueued_at=now)
        )
        if not queued:
            continue  # already queued meanwhile
        if not delivery_send.delay_or_log(delivery_id):
            # The broker is away: the rest would be refused too; all wait for the sweep.
            Delivery.objects.filter(pk=delivery_id).update(enqueued_at=None)
            break
        handed += 1
    return handed


def deliveries_enqueue_safely(delivery_ids: list[int], now: datetime | None = None) -> None:
    """`deliveries_enqueue` after a commit: whatever fails here (the broker, the database)
    must not turn what committed into an error; the rows stay due for the sweep."""
    try:
        deliveries_enqueue(delivery_ids, now or timezone.now())
    except Exception:
        logger.warning("could not enqueue deliveries %s; left to the sweep", delivery_ids)


def _due_for(partner_id: int, now: datetime, limit: int) -> list[int]:
    return list(
        Delivery.objects.filter(
            partner_id=partner_id, status__in=OPEN_STATUSES, next_attempt_at__lte=now
        )
        .filter(Q(in_flight_until__isnull=True) | Q(in_flight_until__lte=now))
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - _requeue_after()))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def delivery_attempt(*, delivery_id: int) -> str:
    """Send one outbox row if it is due and nobody else is sending it. Safe to run twice
    and concurrently. Returns what happened: delivered, retrying, dead, busy, missing,
    superseded, or skipped:<why> (partner_busy: the partner has its share of attempts in
    flight; partner_paused: its circuit is open).

    After an attempt that reached the partner, the partner's next due row is handed to the
    broker, so that a backlog drains at the partner's own pace without waiting for the
    sweep."""
    claim = _claim(delivery_id, timezone.now())
    if isinstance(claim, str):
        return claim
    status_code, error = _send(claim)
    outcome = _record(claim, status_code, error)
    if outcome == "delivered":
        now = timezone.now()
        deliveries_enqueue(_due_for(claim.partner.pk, now, 1), now)
    return outcome


# --- the sweep --------------------------------------------------------------------------


def deliveries_redeliver_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue the pending or retrying rows that are due, not in flight (or whose in-flight
    mark expired with its worker) and not already waiting in the broker — a row queued
    more than WEBHOOK_REQUEUE_AFTER seconds ago counts as lost — at most the partner's share of concurrent
    attempts per partner whose circuit is closed; each delivered attempt hands on the next.
    Runs from beat; returns how many it enqueues (once the caller's transaction, if any,
    commits)."""
    now = now or timezone.now()
    rows = list(
        # Same status list as the partial index `delivery_due`, so the planner can use it.
        Delivery.objects.filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now)
        .filter(Q(in_flight_until__isnull=True) | Q(in_flight_until__lte=now))
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - _requeue_after()))
        .exclude(partner__delivery_circuit__open_until__gt=now)
        .order_by("next_attempt_at")
        .values_list("pk", "partner_id")[:limit]
    )
    share: dict[int, int] = {}
    due = []
    for delivery_id, partner_id in rows:
        if share.get(partner_id, 0) < settings.WEBHOOK_PARTNER_CONCURRENCY:
            share[partner_id] = share.get(partner_id, 0) + 1
            due.append(delivery_id)
    if due:
        transaction.on_commit(lambda: deliveries_enqueue_safely(due, now))
    return len(due)


# --- the supervisors' view and retry ------------------------------------------------------


@transaction.atomic
def delivery_retry(*, actor: User, delivery_id: int) -> Delivery:
    """A supervisor puts a dead delivery back: pending, due now, its retry schedule started
    over."""
    delivery = access.visible_or_404(
        actor,
        Delivery.objects.select_for_update(of=("self",)).select_related("partner"),
        delivery_id,
    )
    if not access.may_retry_delivery(actor, delivery):
        raise NotAllowed("your role cannot retry deliveries")
    if delivery.status != Delivery.Status.DEAD:
        raise DeliveryNotDead(f"only a dead delivery can be retried; this one is {delivery.status}")
    previous = {"attempts": delivery.attempts, "last_error": delivery.last_error}
    delivery.status = Delivery.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.attempts = 0
    delivery.in_flight_until = None
    delivery.save(update_fields=["status", "next_attempt_at", "attempts", "in_flight_until"])
    audit_record(
        actor=actor,
        action="delivery.retried",
        target=delivery,
        payload={
            "partner": delivery.partner.slug,
            "webhook_id": delivery.webhook_id,
            "event_type": delivery.event_type,
            **previous,
        },
    )
    transaction.on_commit(lambda: deliveries_enqueue_safely([delivery.pk]))
    return delivery


@dataclass(frozen=True)
class PartnerDeliveries:
    partner: Partner
    pending: int = 0
    retrying: int = 0
    dead: int = 0
    delivered_24h: int = 0

    @property
    def failing(self) -> int:
        return self.retrying + self.dead

    @property
    def webhook_host(self) -> str:
        """Where events go, without credentials, path or query: they may carry a token."""
        if not self.partner.webhook_url:
            return ""
        url = urlsplit(self.partner.webhook_url)
        try:
            port = f":{url.port}" if url.port else ""
        except ValueError:
            port = ""
        return f"{url.hostname or ''}{port}"


@dataclass(frozen=True)
class DeliveriesOverview:
    partners: list[PartnerDeliveries]
    # Retrying and dead rows, newest first, at most FAILING_ROWS_SHOWN of them.
    failing: list[Delivery]

    @property
    def failing_total(self) -> int:
        return sum(p.failing for p in self.partners)


def deliveries_overview(
    *, user: User, now: datetime | None = None, limit: int = FAILING_ROWS_SHOWN
) -> DeliveriesOverview:
    """The supervisors' page: per partner in the user's scope, what waits, what fails, and
    what was delivered in the last 24 hours; then the failing rows. Three queries."""
    now = now or timezone.now()
    visible = Delivery.objects.visible_to(user)
    partners = (
        access.partners_in_scope(user)
        if access.may(user, "antifraud.view_delivery")
        else Partner.objects.none()
    )
    counted = (
        visible.filter(
            Q(status__in=[*OPEN_STATUSES, Delivery.Status.DEAD])
            | Q(status=Delivery.Status.DELIVERED, delivered_at__gte=now - timedelta(hours=24))
        )
        .values("partner_id")
        .annotate(
            pending=Count("pk", filter=Q(status=Delivery.Status.PENDING)),
            retrying=Count("pk", filter=Q(status=Delivery.Status.RETRYING)),
            dead=Count("pk", filter=Q(status=Delivery.Status.DEAD)),
            delivered_24h=Count("pk", filter=Q(status=Delivery.Status.DELIVERED)),
        )
        .order_by()
    )
    counts = {row.pop("partner_id"): row for row in counted}
    rows = [
        PartnerDeliveries(partner=partner, **counts.get(partner.pk, {}))
        for partner in partners
        if partner.is_active or partner.pk in counts
    ]
    failing = list(
        visible.filter(status__in=[Delivery.Status.RETRYING, Delivery.Status.DEAD])
        .select_related("partner")
        .order_by("-created_at", "-pk")[:limit]
    )
    return DeliveriesOverview(partners=rows, failing=failing)
