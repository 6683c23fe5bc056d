"""Time-limited blocks come to their end: the beat task lifts each one whose time is up,
unless something else already ended it or still holds the account blocked.

Each block ends once: its BlockLift row (one per decision) says how, so a second run, or two
runs at once, find nothing left to do."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from antifraud.audit import audit_record
from antifraud.models import Delivery, Subject
from reviews.models import BlockLift, Decision
from reviews.services.decisions import decision_payload, subject_change, subjects_lock


def _holds_elsewhere(decision: Decision, account: Subject, now: datetime) -> bool:
    """Another block of the account is in force: a permanent one, or one that ends later.
    Caller holds the account's lock, so no block is recorded or lifted meanwhile."""
    return (
        Decision.objects.filter(action=Decision.Action.BLOCK_ACCOUNT)
        .filter(Q(subject=account) | Q(subject__account=account))
        .exclude(pk=decision.pk)
        .filter(reversed_by__isnull=True, lift__isnull=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .exists()
    )


def _end(decision: Decision, now: datetime) -> str:
    """Lift one block whose end has come, or record why there is nothing to lift. Caller
    holds the decision's lock."""
    # Another run may have ended it between our reading and our lock.
    if BlockLift.objects.filter(decision=decision).exists():
        return ""
    subject = decision.subject
    locked = subjects_lock([subject.pk])
    account = locked.get(subject.account_id or subject.pk)
    # Read after the account's lock: an overturn or a new block that was being recorded has
    # committed by now.
    reversed_ = Decision.objects.filter(reverses=decision).exists()
    holds = (
        account is not None
        and account.status == Subject.Status.BLOCKED
        and not reversed_
        and not _holds_elsewhere(decision, account, now)
    )
    outcome = BlockLift.Outcome.LIFTED if holds else BlockLift.Outcome.SUPERSEDED
    lift = BlockLift.objects.create(decision=decision, lifted_at=now, outcome=outcome)
    if holds:
        assert account is not None
        subject_change(
            subject=account,
            status=Subject.Status.ACTIVE,
            event_type=Delivery.EventType.SUBJECT_UNBLOCKED,
            # The block that ended, and why the account is free again; what it listed keeps
            # its own expiry.
            payload=decision_payload(decision),
            extra={"reason": "block_ended"},
            indicators=[],
            now=now,
        )
    audit_record(
        actor=None,
        action="block.lifted" if holds else "block.end_superseded",
        target=decision,
        payload={
            "account": account.pk if account is not None else None,
            "ends_at": decision.ends_at.isoformat() if decision.ends_at else None,
            "outcome": lift.outcome,
        },
    )
    return outcome


def block_ends_lift(*, now: datetime | None = None, batch: int = 500) -> int:
    """Lift the time-limited blocks that ended by `now`; the number lifted. Batches of
    decisions are taken with SKIP LOCKED, so two runs at once share the work instead of
    waiting for each other, and each batch is one transaction."""
    now = now or timezone.now()
    lifted = 0
    while True:
        with transaction.atomic():
            # NO KEY UPDATE: an overturn recording its reversal (which points at this
            # decision) is not kept waiting, nor does it keep us waiting for the account.
            due = list(
                Decision.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
                .select_related("subject")
                .filter(ends_at__lte=now, lift__isnull=True)
                .order_by("ends_at", "pk")[:batch]
            )
            outcomes = [_end(decision, now) for decision in due]
        lifted += outcomes.count(BlockLift.Outcome.LIFTED)
        if len(due) < batch:
            return lifted
