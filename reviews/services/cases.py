"""The life of a case before its decision: claim (a lease), renew, release, skip, snooze,
escalate, and the sweep that returns expired leases to the queue."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from antifraud import access
from antifraud.audit import audit_record
from antifraud.errors import DomainError, NotAllowed
from reviews.limits import TEXT_MAX
from reviews.models import Case, CaseDeferral
from reviews.queues import Queue
from reviews.selectors import skipped_case_ids, snoozes_in_force

# The longest a moderator may put a case aside for themselves.
SNOOZE_MAX = timedelta(days=14)


class CaseNotAvailable(DomainError):
    code = "case_not_available"


class NotClaimant(DomainError):
    code = "not_claimant"


def lease_end(now: datetime) -> datetime:
    return now + timedelta(minutes=settings.CASE_LEASE_MINUTES)


def _require_claim_right(actor: User, queue: Queue | None = None) -> None:
    if not access.may_work_cases(actor):
        raise NotAllowed(_("Your role cannot work cases."))
    if queue is not None and not access.may_work_cases(actor, escalated=queue.escalated):
        raise NotAllowed(_("Escalated cases are worked by senior moderators."))


def _locked_case(case_id: int, actor: User) -> Case:
    return access.visible_or_404(
        actor,
        Case.objects.select_for_update(of=("self",)).select_related("subject__partner"),
        case_id,
    )


def _take(case: Case, actor: User, now: datetime) -> Case:
    previous = case.claimed_by_id if case.status == Case.Status.CLAIMED else None
    case.status = Case.Status.CLAIMED
    case.claimed_by = actor
    case.claimed_at = now
    case.lease_until = lease_end(now)
    case.updated_at = now
    case.save(update_fields=["status", "claimed_by", "claimed_at", "lease_until", "updated_at"])
    payload: dict[str, Any] = {"lease_until": case.lease_until.isoformat()}
    if previous and previous != actor.pk:
        payload["expired_lease_of"] = previous
    audit_record(actor=actor, action="case.claimed", target=case, payload=payload)
    return case


def _is_stale(case: Case, now: datetime) -> bool:
    return (
        case.status == Case.Status.CLAIMED
        and case.lease_until is not None
        and case.lease_until <= now
    )


def case_claimable(case: Case, now: datetime | None = None) -> bool:
    """Whether a claim on the case can succeed: it waits in its queue, or its holder's lease
    ran out. (Who may claim it is access.may_claim_case.)"""
    return case.status in (Case.Status.OPEN, Case.Status.ESCALATED) or _is_stale(
        case, now or timezone.now()
    )


@transaction.atomic
def case_claim_next(*, actor: User, queue: Queue, now: datetime | None = None) -> Case | None:
    """Claim the most urgent waiting case of the queue, or resume the one the actor holds.

    Concurrent callers never get the same case: rows are locked with SKIP LOCKED, so each
    caller takes the best case nobody else is taking. A case whose lease ran out counts as
    waiting even before the sweep returns it to the queue.

    Cases the actor snoozed are not theirs to take until the snooze ends; cases they skipped
    lately come after every other waiting case, the earliest skipped first, so that a skip
    moves them on. Other moderators take both as usual.
    """
    _require_claim_right(actor, queue)
    now = now or timezone.now()
    scope = Case.objects.visible_to(actor).filter(queue.condition())

    held = scope.filter(status=Case.Status.CLAIMED, claimed_by=actor, lease_until__gt=now).first()
    if held is not None:
        return case_lease_renew(actor=actor, case_id=held.pk)

    scope = scope.exclude(
        pk__in=snoozes_in_force(now=now).filter(user=actor).values("case_id")
    ).filter(Q(status=queue.waiting_status) | Q(status=Case.Status.CLAIMED, lease_until__lte=now))
    skipped = skipped_case_ids(user=actor, now=now)
    case = _first_waiting(scope.exclude(pk__in=skipped), queue)
    if case is None and skipped:
        # Only cases the actor skipped are left: the earliest skipped rather than nothing.
        taken = {c.pk: c for c in _locked_waiting(scope.filter(pk__in=skipped), queue)}
        case = next((taken[pk] for pk in skipped if pk in taken), None)
    if case is None:
        return None
    return _take(case, actor, now)


def _locked_waiting(cases: QuerySet[Case], queue: Queue, limit: int | None = None) -> list[Case]:
    """Waiting cases and cases with a lapsed lease, in queue order, locked for the caller;
    rows another transaction is taking are passed over."""
    order = ("-priority", "opened_at", "pk")
    result = []
    for status in (queue.waiting_status, Case.Status.CLAIMED):
        rows = (
            cases.filter(status=status)
            .order_by(*order)
            .select_for_update(skip_locked=True, of=("self",))
        )
        result += list(rows[:limit] if limit else rows)
    return sorted(result, key=lambda c: (-c.priority, c.opened_at, c.pk))


def _first_waiting(cases: QuerySet[Case], queue: Queue) -> Case | None:
    candidates = _locked_waiting(cases, queue, limit=1)
    return candidates[0] if candidates else None


@transaction.atomic
def case_claim(*, actor: User, case_id: int) -> Case:
    """Claim one particular case (from the list or its page)."""
    _require_claim_right(actor)
    case = _locked_case(case_id, actor)
    now = timezone.now()
    if not access.may_claim_case(actor, case):
        raise NotAllowed(_("Escalated cases are worked by senior moderators."))
    if case.is_held_by(actor):
        return case_lease_renew(actor=actor, case_id=case.pk)
    if case_claimable(case, now):
        return _take(case, actor, now)
    if case.status == Case.Status.CLAIMED:
        raise CaseNotAvailable(_("%(user)s is working on this case.") % {"user": case.claimed_by})
    raise CaseNotAvailable(
        _("This case cannot be claimed: its status is “%(status)s”.")
        % {"status": case.get_status_display()}
    )


@transaction.atomic
def case_lease_renew(*, actor: User, case_id: int) -> Case:
    """Extend the actor's lease while they work. A lapsed lease nobody else took is
    renewed too; one another moderator took is not."""
    case = _locked_case(case_id, actor)
    if not case.is_held_by(actor):
        raise NotClaimant(_("You no longer hold this case."))
    case.lease_until = lease_end(timezone.now())
    case.save(update_fields=["lease_until"])
    return case


@transaction.atomic
def case_release(*, actor: User, case_id: int) -> Case:
    case = _locked_case(case_id, actor)
    if not case.is_held_by(actor):
        raise NotClaimant(_("You do not hold this case."))
    _return_to_queue(case, timezone.now())
    audit_record(actor=actor, action="case.released", target=case)
    return case


def _return_to_queue(case: Case, now: datetime) -> None:
    case.status = Case.Status.ESCALATED if case.is_escalated else Case.Status.OPEN
    case.claimed_by = None
    case.lease_until = None
    case.updated_at = now
    case.save(update_fields=["status", "claimed_by", "lease_until", "updated_at"])


def _held_case(case_id: int, actor: User, refusal: str) -> Case:
    case = _locked_case(case_id, actor)
    if not case.is_held_by(actor):
        raise NotClaimant(refusal)
    return case


@transaction.atomic
def case_skip(*, actor: User, case_id: int, now: datetime | None = None) -> CaseDeferral:
    """Put the held case back in its queue and move on: the actor's next claims give every
    other waiting case first, for CASE_SKIP_MINUTES."""
    case = _held_case(case_id, actor, _("Claim the case before skipping it."))
    now = now or timezone.now()
    _return_to_queue(case, now)
    deferral = CaseDeferral.objects.create(
        case=case,
        user=actor,
        kind=CaseDeferral.Kind.SKIP,
        created_at=now,
        until=now + timedelta(minutes=settings.CASE_SKIP_MINUTES),
    )
    audit_record(
        actor=actor,
        action="case.skipped",
        target=case,
        payload={"until": deferral.until.isoformat()},
        at=now,
    )
    return deferral


def snooze_problem(until: datetime, now: datetime) -> str | None:
    """Why a snooze cannot end at `until`, or None when it can."""
    if until <= now:
        return str(_("The snooze must end in the future."))
    if until > now + SNOOZE_MAX:
        return str(
            ngettext(
                "A case is snoozed for at most %(days)d day.",
                "A case is snoozed for at most %(days)d days.",
                SNOOZE_MAX.days,
            )
            % {"days": SNOOZE_MAX.days}
        )
    return None


@transaction.atomic
def case_snooze(
    *, actor: User, case_id: int, until: datetime, note: str, now: datetime | None = None
) -> CaseDeferral:
    """Put the held case back in its queue and keep it out of the actor's claims until
    `until`, or until a new signal joins it; with a note everyone sees on the case page.
    Other moderators claim it as usual."""
    now = now or timezone.now()
    note = note.strip()
    if not note:
        raise DomainError(
            _("Say why you snooze the case: the note is required."), code="note_required"
        )
    if len(note) > TEXT_MAX:
        raise DomainError(
            _("The note has at most %(max)d characters.") % {"max": TEXT_MAX}, code="note_too_long"
        )
    problem = snooze_problem(until, now)
    if problem:
        raise DomainError(problem, code="snooze_out_of_range")
    case = _held_case(case_id, actor, _("Claim the case before snoozing it."))
    _return_to_queue(case, now)
    deferral = CaseDeferral.objects.create(
        case=case, user=actor, kind=CaseDeferral.Kind.SNOOZE, created_at=now, until=until, note=note
    )
    audit_record(
        actor=actor,
        action="case.snoozed",
        target=case,
        payload={"until": until.isoformat(), "note": note},
        at=now,
    )
    return deferral


@transaction.atomic
def case_escalate(*, actor: User, case_id: int, note: str) -> Case:
    """Hand the case to the senior moderators' queue, with a note saying why."""
    case = _locked_case(case_id, actor)
    if not case.is_held_by(actor):
        raise NotClaimant(_("Claim the case before escalating it."))
    if case.is_escalated:
        raise DomainError(
            _("This case is already an escalation: decide it."), code="already_escalated"
        )
    note = note.strip()
    if not note:
        raise DomainError(_("Say why you escalate: the note is required."), code="note_required")
    now = timezone.now()
    case.is_escalated = True
    case.escalation_note = note[:TEXT_MAX]
    case.status = Case.Status.ESCALATED
    case.claimed_by = None
    case.lease_until = None
    case.updated_at = now
    case.save(
        update_fields=[
            "is_escalated",
            "escalation_note",
            "status",
            "claimed_by",
            "lease_until",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor, action="case.escalated", target=case, payload={"note": case.escalation_note}
    )
    return case


@transaction.atomic
def case_reopen_as_escalation(
    *, actor: User, case_id: int, note: str, payload: dict[str, Any], now: datetime | None = None
) -> Case:
    """Send a decided case back to the senior moderators as an escalation, with a note saying
    why (a supervisor's disagreement with its decision). The decision stands until a senior
    moderator decides the case again. The caller has checked the actor's right to ask it
    (reviews.services.sampling.quality_sample_review)."""
    case = _locked_case(case_id, actor)
    if case.status != Case.Status.DECIDED:
        raise DomainError(
            _("Case %(id)s is not decided: it is under review already.") % {"id": case.pk},
            code="case_not_decided",
        )
    other = (
        Case.objects.filter(subject_id=case.subject_id)
        .exclude(status=Case.Status.DECIDED)
        .values_list("pk", flat=True)
        .first()
    )
    if other is not None:
        raise DomainError(
            _("Case %(id)s of the same subject is under review: escalate that one instead.")
            % {"id": other},
            code="subject_under_review",
        )
    note = note.strip()
    if not note:
        raise DomainError(
            _("Say why the case is reopened: the note is required."), code="note_required"
        )
    now = now or timezone.now()
    case.status = Case.Status.ESCALATED
    case.is_escalated = True
    case.escalation_note = note[:TEXT_MAX]
    case.decided_at = None
    case.deadline = now + timedelta(hours=settings.CASE_DEADLINE_HOURS)
    case.updated_at = now
    case.save(
        update_fields=[
            "status",
            "is_escalated",
            "escalation_note",
            "decided_at",
            "deadline",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="case.reopened",
        target=case,
        payload={"as": "escalation", "note": case.escalation_note, **payload},
        at=now,
    )
    return case


@transaction.atomic
def case_leases_sweep(*, now: datetime | None = None, batch: int = 500) -> int:
    """Return cases whose lease ran out to their queue (run by beat every minute)."""
    now = now or timezone.now()
    expired = list(
        Case.objects.select_for_update(skip_locked=True)
        .filter(status=Case.Status.CLAIMED, lease_until__lte=now)
        .order_by("lease_until")[:batch]
    )
    for case in expired:
        holder = case.claimed_by_id
        _return_to_queue(case, now)
        audit_record(
            actor=None, action="case.lease_expired", target=case, payload={"holder": holder}
        )
    return len(expired)
