"""Verifying the whole audit chain in the background, and keeping each outcome.

A hub supervisor asks for a verification from the audit trail's page; beat asks once a day.
Either way an `AuditChainCheck` row is written first and the worker runs it: reading every
chained event takes a while, so no page waits for it and no transaction stays open
across it (`audit_chain_verify` reads in chunks, outside any transaction).

Running one check twice (a message delivered again, a worker killed mid-way) is harmless:
a finished check is left as it is, and a check that a worker started and never finished
is started again once it is `STALE_AFTER` old.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from antifraud import access
from antifraud.audit import (
    AuditChainBroken,
    ChainState,
    audit_chain_extend,
    audit_chain_state,
    audit_chain_verify,
    audit_record,
)
from antifraud.errors import NotAllowed
from antifraud.models import AuditChainCheck

# A check asked for and not finished within this long is taken as lost (the broker was
# down, or its worker died): a new request makes a new one, and a run starts it again.
STALE_AFTER = timedelta(hours=1)
REASON_MAX = 300


@transaction.atomic
def audit_chain_check_request(*, actor: User) -> tuple[AuditChainCheck, bool]:
    """Ask the worker to verify the chain. Returns the check and whether it is new: while
    one asked for less than `STALE_AFTER` ago waits or runs, asking again returns that one."""
    if not access.may_verify_audit_chain(actor):
        raise NotAllowed("only the hub's supervisors and administrators verify the chain")
    now = timezone.now()
    waiting = (
        AuditChainCheck.objects.filter(
            finished_at__isnull=True, requested_at__gte=now - STALE_AFTER
        )
        .order_by("-requested_at")
        .first()
    )
    if waiting is not None:
        return waiting, False
    check = AuditChainCheck.objects.create(requested_by=actor, requested_at=now)
    audit_record(actor=actor, action="audit.verification_requested", target=check)
    from antifraud import tasks

    tasks.audit_chain_check_run.delay_on_commit(check.pk)
    return check, True


def _start(check_id: int) -> bool:
    """Mark the check started, unless it is finished or another worker runs it."""
    now = timezone.now()
    return bool(
        AuditChainCheck.objects.filter(pk=check_id, finished_at__isnull=True)
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=now - STALE_AFTER))
        .update(started_at=now)
    )


def audit_chain_check_run(*, check_id: int) -> AuditChainCheck | None:
    """Chain what waits, verify the whole chain and record the outcome on the check (and in
    the trail). None when the check does not exist; the check as it is when it is finished
    or running elsewhere."""
    if not _start(check_id):
        return AuditChainCheck.objects.filter(pk=check_id).first()
    audit_chain_extend()
    broken: AuditChainBroken | None = None
    try:
        held = audit_chain_verify()
    except AuditChainBroken as error:
        broken, held = error, error.held
    with transaction.atomic():
        check = AuditChainCheck.objects.select_for_update().get(pk=check_id)
        if check.finished_at is not None:
            return check  # a second run finished first
        check.finished_at = timezone.now()
        check.ok = broken is None
        check.events_checked = held
        if broken is not None:
            check.first_broken_event_id = broken.event_id
            check.first_broken_seq = broken.seq
            check.reason = broken.reason[:REASON_MAX]
        check.save(
            update_fields=[
                "finished_at",
                "ok",
                "events_checked",
                "first_broken_event_id",
                "first_broken_seq",
                "reason",
            ]
        )
        audit_record(
            actor=None,
            action="audit.chain_intact" if broken is None else "audit.chain_broken",
            target=check,
            payload={
                "events_checked": held,
                "first_broken_event": check.first_broken_event_id,
                "reason": check.reason,
            },
        )
    return check


def audit_chain_check_daily() -> AuditChainCheck | None:
    """Beat's daily verification, recorded like one asked for, by nobody."""
    check = AuditChainCheck.objects.create()
    return audit_chain_check_run(check_id=check.pk)


@dataclass(frozen=True)
class ChainOverview:
    """What the audit trail's page says about the chain."""

    last: AuditChainCheck | None  # the newest finished check
    waiting: AuditChainCheck | None  # a check asked for and not finished yet
    last_broken: AuditChainCheck | None  # the newest broken one, when it is not `last`
    state: ChainState


def chain_overview() -> ChainOverview:
    checks = AuditChainCheck.objects.select_related("requested_by")
    last = checks.filter(finished_at__isnull=False).order_by("-finished_at", "-pk").first()
    waiting = (
        checks.filter(finished_at__isnull=True, requested_at__gte=timezone.now() - STALE_AFTER)
        .order_by("-requested_at", "-pk")
        .first()
    )
    last_broken = None
    if last is not None and last.ok:
        last_broken = (
            checks.filter(ok=False, finished_at__gt=timezone.now() - timedelta(days=30))
            .order_by("-finished_at", "-pk")
            .first()
        )
    return ChainOverview(
        last=last, waiting=waiting, last_broken=last_broken, state=audit_chain_state()
    )
