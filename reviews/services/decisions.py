"""Deciding a case: one decision, or the same decision for a whole ring, with its effects —
statuses, listed indicators, outbox events, audit — in one transaction. High-impact
decisions wait as a proposal until a second moderator approves them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.languages import LANGUAGE_CODES
from accounts.models import User
from antifraud import access
from antifraud import services as core
from antifraud.audit import audit_record
from antifraud.errors import DomainError, InvalidInput, NotAllowed
from antifraud.models import Delivery, Indicator, Signal, Subject, SubjectIdentifier
from antifraud.models.indicators import GRAY_DAYS_MAX, GRAY_DAYS_MIN
from antifraud.selectors import subjects_linked_to
from reviews.evidence import evidence_from_detail
from reviews.limits import TEXT_MAX
from reviews.links import appeal_url
from reviews.models import Case, Decision, DecisionProposal, Policy
from reviews.scoring import case_priority
from reviews.selectors import case_detail
from reviews.services.sampling import quality_samples_draw

DECIDABLE = {
    Decision.Action.BLOCK_ACCOUNT,
    Decision.Action.REMOVE_LISTING,
    Decision.Action.CLEAR,
    Decision.Action.WARN,
}


class DecisionRefused(DomainError):
    code = "decision_refused"


@dataclass(frozen=True)
class IndicatorChoice:
    identifier_id: int
    list: str  # "black" or "gray"


@dataclass(frozen=True)
class DecisionRequest:
    action: str
    policy_id: int
    statement_of_reasons: str
    language: str = "ru"
    internal_note: str = ""
    indicators: tuple[IndicatorChoice, ...] = ()
    gray_days: int | None = None
    ring_subject_ids: tuple[int, ...] = ()
    # A clearance may vet the subject's identifiers: they go on the cleared list, so that
    # partners cannot gray-list them and signals on them weigh less.
    vet_identifiers: bool = False
    # The form's mark: sent again (after an answer that never arrived), it finds what it
    # recorded the first time instead of deciding again.
    attempt: uuid.UUID | None = None
    # How long a block lasts, in days: one of the policy's durations, 0 permanent; None is
    # the policy's default (its first). Only a block has a length.
    block_days: int | None = None


@dataclass
class DecisionOutcome:
    decisions: list[Decision] = field(default_factory=list)
    proposal: DecisionProposal | None = None
    # True when this request had already been recorded, and nothing new was written.
    replayed: bool = False

    @property
    def pending(self) -> bool:
        return self.proposal is not None


@dataclass
class _Target:
    subject: Subject
    case: Case | None  # None: a ring member without an open case; one is opened for it


def statement_prefill(policy: Policy, subject: Subject, language: str) -> str:
    """The policy's template in the user's language, with this subject filled in."""
    title = subject.title or subject.external_id
    template = policy.localized("statement", language)
    return template.replace("{title}", title).replace("{partner}", subject.partner.name)


def subjects_lock(subject_ids: Iterable[int | None]) -> dict[int, Subject]:
    """Lock the subjects a decision changes — and the accounts behind them — in one fixed
    order (by id), before anything about them is checked: two decisions touching the same
    account then take turns, and the second sees the first's outcome instead of deciding
    again. Caller holds the transaction."""
    ids = {i for i in subject_ids if i}
    accounts = Subject.objects.filter(pk__in=ids, account__isnull=False).values_list(
        "account_id", flat=True
    )
    ids |= set(accounts)
    return {
        s.pk: s
        for s in Subject.objects.select_for_update(of=("self",))
        .select_related("partner")
        .filter(pk__in=ids)
        .order_by("pk")
    }


def cases_lock(case_id: int, ring_subject_ids: Iterable[int]) -> None:
    """Lock the case and the open cases of the ring's subjects, all in id order, before any
    subject: decisions over overlapping cases then take turns instead of each holding what
    the other waits for. (Locking a row again later in the transaction does not wait.)"""
    ring = [i for i in ring_subject_ids if i]
    scope = Q(pk=case_id)
    if ring:
        scope |= Q(subject_id__in=ring) & ~Q(status=Case.Status.DECIDED)
    list(
        Case.objects.select_for_update(of=("self",))
        .filter(scope)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _fresh(subject: Subject, locked: dict[int, Subject]) -> Subject:
    """The locked row of `subject`, its account the locked row too."""
    fresh = locked[subject.pk]
    if fresh.account_id is not None:
        fresh.account = locked[fresh.account_id]
    return fresh


def _already_blocked(account: Subject, label: str) -> str:
    """That the account is blocked, and by whom and when, for the moderator who arrives
    second (a moderator deciding, not an appeal reviewer: the name helps them)."""
    decision = (
        Decision.objects.filter(action=Decision.Action.BLOCK_ACCOUNT)
        .filter(Q(subject=account) | Q(subject__account=account))
        .select_related("decided_by")
        .order_by("-decided_at")
        .first()
    )
    if decision is None or decision.decided_by is None:
        return _("The account of %(subject)s is already blocked.") % {"subject": label}
    return _("The account of %(subject)s is already blocked by %(who)s at %(when)s.") % {
        "subject": label,
        "who": decision.decided_by.get_username(),
        "when": f"{timezone.localtime(decision.decided_at):%Y-%m-%d %H:%M}",
    }


def _check_fits(action: str, subject: Subject, *, label: str) -> None:
    owner = subject.owner
    if action == Decision.Action.REMOVE_LISTING:
        if subject.kind != Subject.Kind.LISTING:
            raise DecisionRefused(
                capfirst(
                    _("%(subject)s is an account: block it instead of removing it.")
                    % {"subject": label}
                )
            )
        if subject.status == Subject.Status.REMOVED:
            raise DecisionRefused(
                capfirst(_("%(subject)s is already removed.") % {"subject": label})
            )
    if action == Decision.Action.BLOCK_ACCOUNT:
        if owner is None:
            raise DecisionRefused(
                capfirst(
                    _("%(subject)s has no known account to block; remove the listing instead.")
                    % {"subject": label}
                )
            )
        if owner.status == Subject.Status.BLOCKED:
            raise DecisionRefused(_already_blocked(owner, label), code="already_blocked")


def block_length_label(days: int) -> str:
    """A block length as the form and the pages name it: "permanent" or "30 days"."""
    if not days:
        return _("permanent")
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def _block_days(request: DecisionRequest, policy: Policy) -> int:
    """The block's length in days (0: permanent, and for every other action), checked
    against the lengths the policy allows."""
    if request.action != Decision.Action.BLOCK_ACCOUNT:
        if request.block_days:
            raise DecisionRefused(
                _("Only a block of an account lasts a number of days."),
                code="duration_needs_block",
            )
        return 0
    days = policy.durations[0] if request.block_days is None else request.block_days
    if days not in policy.durations:
        raise DecisionRefused(
            _("A block under policy %(policy)s lasts %(choices)s.")
            % {
                "policy": policy.code,
                "choices": ", ".join(block_length_label(d) for d in policy.durations),
            },
            code="duration_not_allowed",
        )
    return days


def _validate(case: Case, subject: Subject, request: DecisionRequest) -> tuple[Policy, int]:
    """The policy and the block's length in days (0: permanent or not a block), or a
    refusal."""
    if request.action not in DECIDABLE:
        raise DecisionRefused(_("Choose an action: block, remove, clear or warn."))
    policy = Policy.objects.filter(pk=request.policy_id, is_current=True).first()
    if policy is None:
        raise DecisionRefused(_("Choose a policy from the current catalogue."))
    if not policy.allows(request.action):
        raise DecisionRefused(
            _("Policy %(policy)s does not fit the action “%(action)s”.")
            % {"policy": policy.code, "action": Decision.Action(request.action).label},
            code="policy_mismatch",
        )
    statement = request.statement_of_reasons.strip()
    if not statement:
        raise DecisionRefused(_("The statement of reasons is required: the user will read it."))
    if len(statement) > TEXT_MAX:
        raise DecisionRefused(
            _("The statement of reasons has at most %(n)d characters.") % {"n": TEXT_MAX}
        )
    if len(request.internal_note) > TEXT_MAX:
        raise DecisionRefused(
            _("The internal note has at most %(n)d characters.") % {"n": TEXT_MAX}
        )
    if request.language not in LANGUAGE_CODES:
        raise DecisionRefused(_("The statement's language must be English, Russian or Kazakh."))
    _check_fits(request.action, subject, label=_("this subject"))
    block_days = _block_days(request, policy)

    lists = [c.list for c in request.indicators]
    if any(lst not in (Indicator.List.BLACK, Indicator.List.GRAY) for lst in lists):
        raise DecisionRefused(_("Indicators go on the black or the gray list."))
    if request.action == Decision.Action.CLEAR and lists:
        raise DecisionRefused(
            _("A clearance lists nothing: untick the black- and gray-list entries."),
            code="clear_with_listing",
        )
    if request.vet_identifiers and request.action != Decision.Action.CLEAR:
        raise DecisionRefused(
            _("Only a clearance vets identifiers as honest."), code="vet_needs_clear"
        )
    if request.action == Decision.Action.WARN and Indicator.List.BLACK in lists:
        raise DecisionRefused(
            _("A warning cannot put anything on the black list."), code="warn_with_black"
        )
    ids = [c.identifier_id for c in request.indicators]
    if len(ids) != len(set(ids)):
        raise DecisionRefused(_("An identifier goes on one list only."))
    if (
        Indicator.List.GRAY in lists
        and request.gray_days is not None
        and not GRAY_DAYS_MIN <= request.gray_days <= GRAY_DAYS_MAX
    ):
        raise DecisionRefused(
            _("A gray-list entry lasts from %(min)d to %(max)d days.")
            % {"min": GRAY_DAYS_MIN, "max": GRAY_DAYS_MAX}
        )
    if request.ring_subject_ids and request.action not in (
        Decision.Action.BLOCK_ACCOUNT,
        Decision.Action.REMOVE_LISTING,
    ):
        raise DecisionRefused(
            _("A ring is blocked or removed together; decide the others one by one.")
        )
    return policy, block_days


def _ring_targets(
    actor: User, case: Case, subject: Subject, request: DecisionRequest
) -> list[_Target]:
    wanted = sorted(set(request.ring_subject_ids) - {subject.pk})
    if not wanted:
        return []
    owner = subject.owner
    own_ids = [subject.pk] + ([owner.pk] if owner and owner.pk != subject.pk else [])
    linked = {entry.subject.pk for entry in subjects_linked_to(own_ids, limit=1000)}
    locked = subjects_lock(wanted)
    subjects = {pk: _fresh(locked[pk], locked) for pk in wanted if pk in locked}
    open_cases = {
        c.subject_id: c
        for c in Case.objects.select_for_update(of=("self",))
        .filter(subject_id__in=wanted)
        .exclude(status=Case.Status.DECIDED)
    }
    targets = []
    now = timezone.now()
    for subject_id in wanted:
        member = subjects.get(subject_id)
        if member is None or subject_id not in linked:
            raise DecisionRefused(
                _("Subject %(id)s is not linked to this case.") % {"id": subject_id}
            )
        label = f"{member.partner.name} {member.get_kind_display().lower()} {member.external_id}"
        if not access.may_act_on_subject(actor, member):
            raise DecisionRefused(
                _("%(subject)s is on another partner: hub moderators decide rings across partners.")
                % {"subject": label}
            )
        _check_fits(request.action, member, label=label)
        member_case = open_cases.get(subject_id)
        if member_case is not None:
            held_by_other = (
                member_case.status == Case.Status.CLAIMED
                and member_case.claimed_by_id != actor.pk
                and member_case.lease_until
                and member_case.lease_until > now
            )
            if held_by_other:
                raise DecisionRefused(
                    _("%(subject)s is being worked on by someone else.") % {"subject": label}
                )
            if member_case.status == Case.Status.AWAITING_APPROVAL:
                raise DecisionRefused(
                    _("%(subject)s has a decision awaiting approval.") % {"subject": label}
                )
            if not access.may_claim_case(actor, member_case):
                raise DecisionRefused(
                    _("%(subject)s is escalated: a senior moderator decides it.")
                    % {"subject": label}
                )
        targets.append(_Target(subject=member, case=member_case))
    return targets


def _approval_reasons(
    targets: Sequence[_Target], request: DecisionRequest, now: datetime
) -> list[str]:
    reasons = []
    if len(targets) > settings.SECOND_APPROVAL_RING_SIZE:
        reasons.append("ring_size")
    if request.action == Decision.Action.BLOCK_ACCOUNT:
        old = now - timedelta(days=settings.SECOND_APPROVAL_ACCOUNT_AGE_DAYS)
        for target in targets:
            owner = target.subject.owner
            if owner and owner.registered_at and owner.registered_at < old:
                reasons.append("account_age")
                break
    return reasons


def decision_payload(decision: Decision) -> dict[str, Any]:
    payload = {
        "id": decision.pk,
        "action": decision.action,
        "policy": decision.policy.code,
        "policy_version": decision.policy.version,
        "decided_at": decision.decided_at.isoformat(),
        "statement_of_reasons": decision.statement_of_reasons,
        "language": decision.language,
        "automated_detection": decision.automated_detection,
    }
    if decision.action == Decision.Action.BLOCK_ACCOUNT:
        # When a time-limited block lifts itself; null: permanent. Added in the block's
        # events alone, so receivers of other events see nothing new.
        payload["ends_at"] = decision.ends_at.isoformat() if decision.ends_at else None
    if decision.is_appealable:
        payload["appeal_url"] = appeal_url(decision_id=decision.pk, decided_at=decision.decided_at)
    return payload


def _list_indicators(
    *,
    actor: User,
    decision: Decision,
    request: DecisionRequest,
    subject: Subject,
    policy: Policy,
    now: datetime,
) -> list[Indicator]:
    if not request.indicators:
        return []
    owner = subject.owner
    allowed = [subject.pk] + ([owner.pk] if owner else [])
    identifiers = {
        i.pk: i
        for i in SubjectIdentifier.objects.filter(
            pk__in=[c.identifier_id for c in request.indicators], subject_id__in=allowed
        )
    }
    listed = []
    for choice in request.indicators:
        identifier = identifiers.get(choice.identifier_id)
        if identifier is None:
            raise DecisionRefused(_("An indicator chosen is not one of this subject's."))
        expires = None
        if choice.list == Indicator.List.GRAY:
            expires = now + timedelta(days=request.gray_days or settings.GRAY_LIST_DAYS)
        result = core.indicator_list(
            actor=actor,
            kind=identifier.kind,
            value=identifier.value,
            display=identifier.display,
            list=choice.list,
            origin=Indicator.Origin.DECISION,
            origin_ref=f"decision:{decision.pk}",
            scheme=policy.scheme,
            reason=policy.code,
            expires_at=expires,
            now=now,
        )
        if result.created:
            listed.append(result.indicator)
    if listed:
        decision.listed_indicators.add(*listed)
    return listed


def _vet(
    actor: User, decision: Decision, subject: Subject, policy: Policy, now: datetime
) -> list[Indicator]:
    """The cleared subject's own identifiers go on the cleared list (a black entry on one
    stays: only a senior moderator revokes it)."""
    from antifraud.services.registry import values_vet

    cleared, _skipped = values_vet(
        actor=actor,
        identifiers=SubjectIdentifier.objects.filter(subject=subject).order_by("pk"),
        origin_ref=f"decision:{decision.pk}",
        reason=policy.code,
        now=now,
    )
    if cleared:
        decision.listed_indicators.add(*cleared)
    return cleared


def subject_change(
    *,
    subject: Subject,
    status: str | None,
    event_type: str,
    payload: dict[str, Any],
    indicators: list[Indicator],
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    """Give the subject its new status (None: leave it) and tell every partner, in the
    caller's transaction."""
    if status is not None:
        core.subject_status_set(subject=subject, status=status, now=now)
    core.outbox_write(
        event_type=event_type,
        subject=subject,
        decision=payload,
        indicators=indicators,
        extra=extra,
        at=now,
    )


def _effects(decision: Decision, subject: Subject, listed: list[Indicator], now: datetime) -> None:
    payload = decision_payload(decision)
    if decision.action == Decision.Action.BLOCK_ACCOUNT:
        owner = subject.owner
        assert owner is not None  # checked by _check_fits
        subject_change(
            subject=owner,
            status=Subject.Status.BLOCKED,
            event_type=Delivery.EventType.SUBJECT_BLOCKED,
            indicators=listed,
            payload=payload,
            now=now,
        )
        if subject.kind == Subject.Kind.LISTING:
            subject_change(
                subject=subject,
                status=Subject.Status.REMOVED,
                event_type=Delivery.EventType.LISTING_REMOVED,
                indicators=[],
                payload=payload,
                now=now,
            )
    elif decision.action == Decision.Action.REMOVE_LISTING:
        subject_change(
            subject=subject,
            status=Subject.Status.REMOVED,
            event_type=Delivery.EventType.LISTING_REMOVED,
            indicators=listed,
            payload=payload,
            now=now,
        )
    elif decision.action == Decision.Action.CLEAR:
        core.subject_status_set(subject=subject, status=Subject.Status.CLEARED, now=now)


def _ring_case(target: _Target, main: Case, decided_by: User, now: datetime) -> Case:
    """A ring member without an open case gets one, with the link as its signal."""
    signal = Signal.objects.create(
        subject=target.subject,
        source=Signal.Source.DETECTION_RULE,
        scheme=main.scheme,
        score=main.risk_score,
        rule="ring.linked",
        explanation=f"Linked to {main.subject} and decided with it as one ring (case {main.pk}).",
        details={"case": main.pk},
        created_at=now,
    )
    case = Case.objects.create(
        subject=target.subject,
        partner=target.subject.partner,
        subject_kind=target.subject.kind,
        scheme=main.scheme,
        risk_score=main.risk_score,
        priority=case_priority(risk_score=main.risk_score, signal_count=1),
        opened_at=now,
        deadline=now + timedelta(hours=settings.CASE_DEADLINE_HOURS),
        updated_at=now,
    )
    case.signals.add(signal)
    audit_record(actor=decided_by, action="case.opened", target=case, payload={"ring_of": main.pk})
    return case


def _apply(
    *,
    main: Case,
    targets: list[_Target],
    request: DecisionRequest,
    policy: Policy,
    block_days: int,
    decided_by: User,
    approved_by: User | None,
    evidence: dict[str, Any],
    attempt: uuid.UUID | None = None,
) -> list[Decision]:
    now = timezone.now()
    batch_id = uuid.uuid4() if len(targets) > 1 else None
    # A ring's blocks all last as long, counted from now: for an approved proposal, the
    # approval, when the block takes effect.
    ends_at = now + timedelta(days=block_days) if block_days else None
    decisions = []
    for index, target in enumerate(targets):
        case = target.case or _ring_case(target, main, decided_by, now)
        is_main = index == 0
        signals = list(case.signals.all())
        decision = Decision.objects.create(
            case=case,
            subject=target.subject,
            action=request.action,
            policy=policy,
            statement_of_reasons=request.statement_of_reasons.strip(),
            language=request.language,
            internal_note=request.internal_note.strip(),
            decided_by=decided_by,
            approved_by=approved_by,
            decided_at=now,
            automated_detection=any(s.is_automated for s in signals),
            evidence=evidence
            if is_main
            else evidence_from_detail(case_detail(case), captured_at=now),
            batch_id=batch_id,
            block_days=block_days or None,
            ends_at=ends_at,
            attempt=attempt if is_main else None,
        )
        listed = (
            _list_indicators(
                actor=decided_by,
                decision=decision,
                request=request,
                subject=target.subject,
                policy=policy,
                now=now,
            )
            if is_main
            else []
        )
        if is_main and request.vet_identifiers:
            listed += _vet(decided_by, decision, target.subject, policy, now)
        _effects(decision, target.subject, listed, now)
        case.status = Case.Status.DECIDED
        case.decided_at = now
        case.claimed_by = None
        case.lease_until = None
        case.updated_at = now
        case.save(update_fields=["status", "decided_at", "claimed_by", "lease_until", "updated_at"])
        if decision.is_appealable:
            audit_record(
                actor=decided_by,
                action="appeal.link_issued",
                target=decision,
                payload={
                    "expires": (now + timedelta(days=settings.APPEAL_LINK_MAX_AGE_DAYS)).isoformat()
                },
            )
        audit_record(
            actor=decided_by,
            action="decision.recorded",
            target=decision,
            payload={
                "case": case.pk,
                "action": decision.action,
                "policy": policy.code,
                "indicators": [i.pk for i in listed],
                "approved_by": approved_by.pk if approved_by else None,
                "ring": str(batch_id) if batch_id else None,
                "block_days": decision.block_days,
            },
        )
        decisions.append(decision)
    # A share of every moderator's decisions (all of a new moderator's) waits for a
    # supervisor's second look; drawn here so no decision escapes the draw.
    quality_samples_draw(decisions=decisions, moderator=decided_by, now=now)
    return decisions


@transaction.atomic
def decision_record(*, actor: User, case_id: int, request: DecisionRequest) -> DecisionOutcome:
    """Decide the case the actor holds (and, for a ring, the linked subjects chosen)."""
    if not access.may(actor, "reviews.add_decision"):
        raise NotAllowed(_("Your role cannot decide cases."))
    cases_lock(case_id, request.ring_subject_ids)
    case = access.visible_or_404(
        actor,
        Case.objects.select_for_update(of=("self",)).select_related(
            "subject__partner", "subject__account"
        ),
        case_id,
    )
    replay = _recorded_attempt(actor, case, request.attempt)
    if replay is not None:
        return replay
    if case.status == Case.Status.DECIDED:
        # Most often the same form sent again after an answer that did not arrive.
        latest = case.decisions.select_related("decided_by").order_by("-decided_at").first()
        if latest is not None and latest.decided_by is not None:
            message = _("This case was already decided by %(who)s at %(when)s.") % {
                "who": latest.decided_by.get_username(),
                "when": f"{timezone.localtime(latest.decided_at):%Y-%m-%d %H:%M}",
            }
        else:
            message = _("This case was already decided.")
        raise DecisionRefused(message, code="already_decided")
    if not case.is_held_by(actor):
        raise DecisionRefused(
            _("Claim the case before deciding it: you do not hold it."), code="not_claimant"
        )
    locked = subjects_lock([case.subject_id, *request.ring_subject_ids])
    subject = case.subject = _fresh(case.subject, locked)
    policy, block_days = _validate(case, subject, request)
    targets = [_Target(subject=subject, case=case), *_ring_targets(actor, case, subject, request)]
    now = timezone.now()
    detail = case_detail(case)
    evidence = evidence_from_detail(detail, captured_at=now)

    reasons = _approval_reasons(targets, request, now)
    if reasons:
        proposal = DecisionProposal.objects.create(
            case=case,
            proposed_by=actor,
            proposed_at=now,
            action=request.action,
            policy=policy,
            statement_of_reasons=request.statement_of_reasons.strip(),
            language=request.language,
            internal_note=request.internal_note.strip(),
            indicators=[
                {"identifier": c.identifier_id, "list": c.list} for c in request.indicators
            ],
            gray_days=request.gray_days,
            block_days=block_days or None,
            ring_subject_ids=[t.subject.pk for t in targets[1:]],
            reasons=reasons,
            evidence=evidence,
            attempt=request.attempt,
        )
        case.status = Case.Status.AWAITING_APPROVAL
        case.claimed_by = None
        case.lease_until = None
        case.updated_at = now
        case.save(update_fields=["status", "claimed_by", "lease_until", "updated_at"])
        audit_record(
            actor=actor,
            action="decision.proposed",
            target=proposal,
            payload={
                "case": case.pk,
                "action": request.action,
                "reasons": reasons,
                "ring": len(targets),
                "block_days": block_days or None,
            },
        )
        return DecisionOutcome(proposal=proposal)

    decisions = _apply(
        main=case,
        targets=targets,
        request=request,
        policy=policy,
        block_days=block_days,
        decided_by=actor,
        approved_by=None,
        evidence=evidence,
        attempt=request.attempt,
    )
    return DecisionOutcome(decisions=decisions)


def _recorded_attempt(actor: User, case: Case, attempt: uuid.UUID | None) -> DecisionOutcome | None:
    """What this actor's form with this mark already recorded on this case, if anything."""
    if attempt is None:
        return None
    main = Decision.objects.filter(attempt=attempt).first()
    proposal = DecisionProposal.objects.filter(attempt=attempt).first()
    if (main is not None and (main.case_id, main.decided_by_id) != (case.pk, actor.pk)) or (
        proposal is not None and (proposal.case_id, proposal.proposed_by_id) != (case.pk, actor.pk)
    ):
        raise InvalidInput(_("This form was already used for another decision: reload the case."))
    if main is not None:
        ring = (
            list(Decision.objects.filter(batch_id=main.batch_id).order_by("pk"))
            if main.batch_id
            else [main]
        )
        ring.sort(key=lambda d: d.pk != main.pk)
        return DecisionOutcome(decisions=ring, replayed=True)
    if proposal is not None:
        return DecisionOutcome(proposal=proposal, replayed=True)
    return None


def decision_attempt_outcome(*, actor: User, case_id: int, attempt: uuid.UUID) -> str:
    """Whether the actor's form with this mark took effect on the case: "decided",
    "proposed" (waiting for approval) or "none". Asked after the database failed during a
    decision, on a fresh connection; it raises if the database is still away."""
    case = access.visible_or_404(actor, Case.objects.all(), case_id)
    outcome = _recorded_attempt(actor, case, attempt)
    if outcome is None:
        return "none"
    return "proposed" if outcome.pending else "decided"


def _locked_proposal(actor: User, proposal_id: int) -> DecisionProposal:
    proposal = access.visible_or_404(
        actor,
        DecisionProposal.objects.select_for_update(of=("self",)).select_related(
            "case__subject__partner", "case__subject__account", "proposed_by", "policy"
        ),
        proposal_id,
    )
    if proposal.status != DecisionProposal.Status.PENDING:
        raise DecisionRefused(
            _("This proposal was already %(status)s.")
            % {"status": proposal.get_status_display().lower()}
        )
    if proposal.proposed_by_id == actor.pk:
        raise DecisionRefused(
            _("Four eyes: someone else must approve your proposal."), code="four_eyes"
        )
    if not access.may_approve(actor, proposal):
        raise NotAllowed(_("Your role cannot approve decisions."))
    return proposal


@transaction.atomic
def decision_proposal_approve(*, actor: User, proposal_id: int) -> list[Decision]:
    proposal = _locked_proposal(actor, proposal_id)
    cases_lock(proposal.case_id, proposal.ring_subject_ids)
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("subject__partner", "subject__account")
        .get(pk=proposal.case_id)
    )
    request = DecisionRequest(
        action=proposal.action,
        policy_id=proposal.policy_id,
        statement_of_reasons=proposal.statement_of_reasons,
        language=proposal.language,
        internal_note=proposal.internal_note,
        indicators=tuple(
            IndicatorChoice(identifier_id=i["identifier"], list=i["list"])
            for i in proposal.indicators
        ),
        gray_days=proposal.gray_days,
        ring_subject_ids=tuple(proposal.ring_subject_ids),
        # The length the proposer chose; none recorded on a block is a permanent one.
        block_days=(proposal.block_days or 0)
        if proposal.action == Decision.Action.BLOCK_ACCOUNT
        else None,
    )
    # The world may have moved while the proposal waited: check it all again.
    locked = subjects_lock([case.subject_id, *request.ring_subject_ids])
    case.subject = _fresh(case.subject, locked)
    policy, block_days = _validate(case, case.subject, request)
    targets = [
        _Target(subject=case.subject, case=case),
        *_ring_targets(proposal.proposed_by, case, case.subject, request),
    ]
    now = timezone.now()
    decisions = _apply(
        main=case,
        targets=targets,
        request=request,
        policy=policy,
        block_days=block_days,
        decided_by=proposal.proposed_by,
        approved_by=actor,
        evidence=proposal.evidence,
    )
    proposal.status = DecisionProposal.Status.APPROVED
    proposal.reviewed_by = actor
    proposal.reviewed_at = now
    proposal.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit_record(
        actor=actor,
        action="decision.approved",
        target=proposal,
        payload={"decisions": [d.pk for d in decisions]},
    )
    return decisions


@transaction.atomic
def decision_proposal_reject(*, actor: User, proposal_id: int, note: str) -> DecisionProposal:
    proposal = _locked_proposal(actor, proposal_id)
    note = note.strip()
    if not note:
        raise DecisionRefused(
            _("Say why you reject the proposal: the note is required."), code="note_required"
        )
    now = timezone.now()
    case = Case.objects.select_for_update(of=("self",)).get(pk=proposal.case_id)
    case.status = Case.Status.ESCALATED if case.is_escalated else Case.Status.OPEN
    case.updated_at = now
    case.save(update_fields=["status", "updated_at"])
    proposal.status = DecisionProposal.Status.REJECTED
    proposal.reviewed_by = actor
    proposal.reviewed_at = now
    proposal.review_note = note[:TEXT_MAX]
    proposal.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        actor=actor,
        action="decision.rejected",
        target=proposal,
        payload={"note": proposal.review_note},
    )
    return proposal
