"""The lists as a registry partners can trust: support and quorum, promotion by a senior
moderator, disputes, revocation, withdrawal, quarantine, feedback, number reassignment and
values vetted as honest.

Each step is one transaction, audited, and told to partners through the outbox. Nothing
here puts a value on the black list without a senior moderator, and nothing automated acts
on a subject: a quarantine only stops an entry from matching.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Partner, User
from antifraud.access import may_dispute_indicator, may_review_indicator
from antifraud.audit import audit_record
from antifraud.errors import DomainError, InvalidInput, NotAllowed, NotFound
from antifraud.models import (
    Corroboration,
    Delivery,
    Dispute,
    Feedback,
    Indicator,
    IndicatorHits,
    IndicatorKind,
    PhoneReassignment,
)
from antifraud.services.outbox import outbox_write

REASON_MAX = 2000


def _locked(indicator_id: int) -> Indicator:
    indicator = Indicator.objects.select_for_update().filter(pk=indicator_id).first()
    if indicator is None:
        raise NotFound(_("no such list entry"))
    return indicator


def _reason(text: str, *, what: str | None = None) -> str:
    what = what or _("a reason")
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("%(what)s is required") % {"what": what}, code="reason_required")
    if len(text) > REASON_MAX:
        raise InvalidInput(
            _("%(what)s has at most %(n)d characters") % {"what": what, "n": REASON_MAX},
            code="reason_too_long",
        )
    return text


def _tell(
    event_type: str,
    indicator: Indicator,
    *,
    at: datetime,
    extra: dict[str, Any] | None = None,
    partners: Iterable[Partner] | None = None,
) -> None:
    outbox_write(
        event_type=event_type,
        at=at,
        indicators=[indicator],
        extra={"entry": indicator.pk, **(extra or {})},
        partners=partners,
    )


def end(indicator: Indicator, *, how: str, reason: str, now: datetime, by: User | None = None):
    """Take an entry out of force (the caller holds its lock) and close its open disputes."""
    indicator.revoked_at = now
    indicator.revoked_reason = reason[:200]
    indicator.revoked_by = by
    indicator.ended = how
    indicator.save(update_fields=["revoked_at", "revoked_reason", "revoked_by", "ended"])
    Dispute.objects.filter(indicator=indicator, status=Dispute.Status.OPEN).update(
        status=Dispute.Status.REVOKED,
        resolution=reason[:REASON_MAX],
        resolved_at=now,
        reviewer=by,
    )


# --- support and quorum -------------------------------------------------------------------


@dataclass(frozen=True)
class Support:
    partners: int
    kinds: int

    @property
    def quorum(self) -> bool:
        return (
            self.partners >= settings.LIST_QUORUM_PARTNERS
            and self.kinds >= settings.LIST_QUORUM_KINDS
        )


def support_of(indicator: Indicator) -> Support:
    rows = Corroboration.objects.filter(indicator=indicator, withdrawn_at__isnull=True)
    kinds = set(rows.values_list("partner_kind", flat=True))
    return Support(partners=rows.count(), kinds=len(kinds))


def support_record(
    *,
    indicator: Indicator,
    partner: Partner,
    source: str,
    reason: str = "",
    scheme: str = "",
    amount: int | None = None,
    occurred_on: date | None = None,
    report_ref: str = "",
    now: datetime,
) -> Support:
    """The partner stands behind the entry (the caller holds its lock). A partner counts
    once; a second proposal or report refreshes its evidence. When partners of enough
    kinds stand behind a gray entry it waits for a senior moderator's promotion."""
    fields = {
        "partner_kind": partner.kind,
        "source": source,
        "reason": reason[:REASON_MAX],
        "scheme": scheme,
        "amount": amount,
        "occurred_on": occurred_on,
        "report_ref": report_ref[:140],
        "withdrawn_at": None,
    }
    Corroboration.objects.update_or_create(
        indicator=indicator,
        partner=partner,
        defaults=fields,
        create_defaults={**fields, "created_at": now},
    )
    support = support_of(indicator)
    changed = ["corroborations", "fresh_at"]
    indicator.corroborations = max(0, support.partners - 1)
    indicator.fresh_at = now
    if (
        support.quorum
        and indicator.list == Indicator.List.GRAY
        and indicator.promotion_due_at is None
    ):
        indicator.promotion_due_at = now
        changed.append("promotion_due_at")
        audit_record(
            actor=None,
            action="indicator.promotion_due",
            target=indicator,
            payload={"partners": support.partners, "kinds": support.kinds},
        )
    indicator.save(update_fields=changed)
    return support


# --- promotion ----------------------------------------------------------------------------


@transaction.atomic
def indicator_promote(*, actor: User, indicator_id: int, note: str) -> Indicator:
    """A senior moderator makes a gray entry that partners of two kinds support black."""
    now = timezone.now()
    indicator = _locked(indicator_id)
    if not may_review_indicator(actor, indicator):
        raise NotAllowed(
            _("only a senior moderator who did not list the entry may promote it"),
            code="not_allowed",
        )
    note = _reason(note, what=_("a note"))
    if not indicator.is_in_force(now) or indicator.list != Indicator.List.GRAY:
        raise DomainError(_("only a gray entry in force can be promoted"), code="not_promotable")
    if indicator.promotion_due_at is None or not support_of(indicator).quorum:
        raise DomainError(
            _(
                "the entry lacks the support of partners of two kinds: no single partner "
                "black-lists anything"
            ),
            code="no_quorum",
        )
    if indicator.quarantined_at is not None:
        raise DomainError(_("release the entry from quarantine first"), code="quarantined")
    indicator.list = Indicator.List.BLACK
    indicator.expires_at = None
    indicator.promoted_at = now
    indicator.promoted_by = actor
    indicator.save(update_fields=["list", "expires_at", "promoted_at", "promoted_by"])
    audit_record(actor=actor, action="indicator.promoted", target=indicator, payload={"note": note})
    _tell(Delivery.EventType.INDICATOR_PROMOTED, indicator, at=now)
    return indicator


# --- disputes -----------------------------------------------------------------------------


@transaction.atomic
def dispute_open(
    *, actor: User | None = None, partner: Partner | None = None, indicator_id: int, reason: str
) -> Dispute:
    """A partner's system (`partner`) or a staff member (`actor`) disputes an entry in force.
    The dispute waits for a senior moderator who did not list the entry."""
    now = timezone.now()
    indicator = _locked(indicator_id)
    if actor is not None and not may_dispute_indicator(actor, indicator):
        raise NotAllowed(_("you may not dispute list entries"), code="not_allowed")
    reason = _reason(reason)
    if not indicator.is_in_force(now) or indicator.list == Indicator.List.CLEARED:
        raise DomainError(
            _("only a black or gray entry in force can be disputed"), code="not_in_force"
        )
    disputer = partner if partner is not None else getattr(actor, "partner", None)
    if disputer is not None and disputer.pk == indicator.partner_id:
        raise DomainError(
            _("your own partner proposed this entry: withdraw it instead"), code="own_entry"
        )
    if (
        disputer is not None
        and Dispute.objects.filter(
            indicator=indicator, partner=disputer, status=Dispute.Status.OPEN
        ).exists()
    ):
        raise DomainError(
            _("this partner's dispute of the entry is still open"), code="already_disputed"
        )
    dispute = Dispute.objects.create(
        indicator=indicator,
        partner=disputer,
        raised_by=actor,
        reason=reason,
        created_at=now,
    )
    Indicator.objects.filter(pk=indicator.pk).update(disputes=F("disputes") + 1)
    audit_record(
        actor=actor,
        partner=partner if actor is None else None,
        action="indicator.disputed",
        target=indicator,
        payload={"dispute": dispute.pk, "reason": reason},
    )
    _tell(
        Delivery.EventType.INDICATOR_DISPUTED,
        indicator,
        at=now,
        extra={"dispute": {"id": dispute.pk, "status": dispute.status}},
    )
    return dispute


@transaction.atomic
def dispute_resolve(
    *, actor: User, dispute_id: int, revoke: bool, resolution: str, wrong: bool = False
) -> Dispute:
    """A senior moderator who did not list the entry upholds it or revokes it; the disputing
    partner is told either way (revocation also tells every partner)."""
    now = timezone.now()
    found = Dispute.objects.filter(pk=dispute_id).values_list("indicator_id", flat=True).first()
    if found is None:
        raise NotFound(_("no such dispute"))
    indicator = _locked(found)
    dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
    if not may_review_indicator(actor, indicator):
        raise NotAllowed(
            _("a dispute is resolved by a senior moderator who did not list the entry"),
            code="not_allowed",
        )
    resolution = _reason(resolution, what=_("a resolution"))
    if dispute.status != Dispute.Status.OPEN:
        raise DomainError(_("this dispute was already resolved"), code="already_resolved")
    if revoke:
        _revoke(actor, indicator, reason=resolution, wrong=wrong, now=now)
        dispute.refresh_from_db()
    else:
        dispute.status = Dispute.Status.UPHELD
        dispute.resolution = resolution
        dispute.reviewer = actor
        dispute.resolved_at = now
        dispute.save(update_fields=["status", "resolution", "reviewer", "resolved_at"])
    audit_record(
        actor=actor,
        action="indicator.dispute_resolved",
        target=indicator,
        payload={"dispute": dispute.pk, "status": dispute.status, "resolution": resolution},
    )
    if dispute.partner is not None:
        _tell(
            Delivery.EventType.INDICATOR_DISPUTED,
            indicator,
            at=now,
            extra={
                "dispute": {
                    "id": dispute.pk,
                    "status": dispute.status,
                    "resolution": resolution,
                }
            },
            partners=[dispute.partner],
        )
    return dispute


# --- revocation and withdrawal ------------------------------------------------------------


def _revoke(actor: User, indicator: Indicator, *, reason: str, wrong: bool, now: datetime) -> None:
    if not indicator.is_in_force(now):
        raise DomainError(_("the entry is no longer in force"), code="not_in_force")
    end(indicator, how=Indicator.End.REVOKED, reason=reason, now=now, by=actor)
    audit_record(
        actor=actor,
        action="indicator.revoked",
        target=indicator,
        payload={"reason": reason, "wrong": wrong},
    )
    _tell(
        Delivery.EventType.INDICATOR_DELISTED,
        indicator,
        at=now,
        extra={"reason": "revoked", "wrong": wrong},
    )
    if wrong and indicator.list != Indicator.List.CLEARED:
        from antifraud.services.indicators import indicator_list

        indicator_list(
            actor=actor,
            kind=indicator.kind,
            value=indicator.value,
            display=indicator.display,
            list=Indicator.List.CLEARED,
            origin=Indicator.Origin.DECISION,
            origin_ref=f"revocation:{indicator.pk}",
            reason=reason,
            now=now,
        )


@transaction.atomic
def indicator_revoke(*, actor: User, indicator_id: int, reason: str, wrong: bool) -> Indicator:
    """A senior moderator takes an entry out of force, with a reason; when the entry was
    wrong, the value goes on the cleared list."""
    now = timezone.now()
    indicator = _locked(indicator_id)
    if not may_review_indicator(actor, indicator, revoking=True):
        raise NotAllowed(_("only a senior moderator may revoke an entry"), code="not_allowed")
    _revoke(actor, indicator, reason=_reason(reason), wrong=wrong, now=now)
    return indicator


@dataclass(frozen=True)
class Withdrawal:
    indicator: Indicator
    delisted: bool  # False: other partners still stand behind the entry


@transaction.atomic
def indicator_withdraw(*, partner: Partner, indicator_id: int) -> Withdrawal:
    """The proposing partner withdraws its proposal. The entry leaves the gray list unless
    other partners support it."""
    now = timezone.now()
    indicator = _locked(indicator_id)
    if indicator.partner_id != partner.pk:
        raise NotAllowed(
            _("only the partner that proposed an entry withdraws it"), code="not_yours"
        )
    if not indicator.is_in_force(now):
        raise DomainError(_("the entry is no longer in force"), code="not_in_force")
    if indicator.list != Indicator.List.GRAY:
        raise DomainError(
            _("the entry is black now: dispute it to have it revoked"), code="not_withdrawable"
        )
    Corroboration.objects.filter(indicator=indicator, partner=partner).update(withdrawn_at=now)
    support = support_of(indicator)
    delisted = support.partners == 0
    if delisted:
        end(indicator, how=Indicator.End.WITHDRAWN, reason="withdrawn by its proposer", now=now)
        _tell(
            Delivery.EventType.INDICATOR_DELISTED,
            indicator,
            at=now,
            extra={"reason": "withdrawn"},
        )
    else:
        indicator.corroborations = max(0, support.partners - 1)
        if not support.quorum:
            indicator.promotion_due_at = None
        indicator.save(update_fields=["corroborations", "promotion_due_at"])
    audit_record(
        actor=None,
        partner=partner,
        action="indicator.withdrawn",
        target=indicator,
        payload={"delisted": delisted},
    )
    return Withdrawal(indicator, delisted)


# --- hits and quarantine ------------------------------------------------------------------


def _hits_add(indicator_id: int, day: date, n: int) -> None:
    if IndicatorHits.objects.filter(indicator_id=indicator_id, day=day).update(hits=F("hits") + n):
        return
    try:
        with transaction.atomic():
            IndicatorHits.objects.create(indicator_id=indicator_id, day=day, hits=n)
    except IntegrityError:
        IndicatorHits.objects.filter(indicator_id=indicator_id, day=day).update(hits=F("hits") + n)


def spike_threshold(indicator_id: int, day: date) -> float:
    """The hits in a day that quarantine the entry: QUARANTINE_FACTOR times its mean over
    the days before (days without hits count as zero), and never fewer than the minimum."""
    days = settings.QUARANTINE_BASELINE_DAYS
    total = (
        IndicatorHits.objects.filter(
            indicator_id=indicator_id, day__gte=day - timedelta(days=days), day__lt=day
        ).aggregate(total=Sum("hits"))["total"]
        or 0
    )
    return max(float(settings.QUARANTINE_MIN_HITS), settings.QUARANTINE_FACTOR * total / days)


def _first_this_minute(partner: Partner, indicator_id: int, now: datetime) -> bool:
    """One partner's look-ups of one entry count once a minute, so that no partner alone
    can look an entry into quarantine in a moment. Without the cache, every one counts."""
    key = f"registry:hit:{partner.pk}:{indicator_id}:{now:%Y%m%d%H%M}"
    try:
        return bool(cache.add(key, 1, timeout=120))
    except Exception:  # the cache is down: count it
        return True


@transaction.atomic
def hits_record(
    counts: dict[int, int], *, now: datetime | None = None, partner: Partner | None = None
) -> list[int]:
    """Count hits of entries (id → hits) for today — a partner's look-ups (`partner`) at
    most once a minute per entry —, and quarantine those whose hits jump far above their
    own baseline. Returns the ids quarantined now."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    if partner is not None:
        counts = {i: 1 for i in counts if _first_this_minute(partner, i, now)}
    quarantined = []
    for indicator_id, n in sorted(counts.items()):
        _hits_add(indicator_id, day, n)
        today = IndicatorHits.objects.get(indicator_id=indicator_id, day=day).hits
        if today >= spike_threshold(indicator_id, day) and indicator_quarantine(
            indicator_id=indicator_id, hits=today, now=now
        ):
            quarantined.append(indicator_id)
    Indicator.objects.filter(pk__in=list(counts)).update(fresh_at=now)
    return quarantined


def indicator_quarantine(*, indicator_id: int, hits: int, now: datetime) -> bool:
    """Stop an entry from matching until a senior moderator looks (the caller is atomic)."""
    indicator = _locked(indicator_id)
    if indicator.quarantined_at is not None or not indicator.is_in_force(now):
        return False
    released = indicator.released_at
    if released is not None and timezone.localdate(released) == timezone.localdate(now):
        return False
    indicator.quarantined_at = now
    indicator.quarantine_reason = f"{hits} hits in a day, far above its usual"
    indicator.save(update_fields=["quarantined_at", "quarantine_reason"])
    audit_record(
        actor=None, action="indicator.quarantined", target=indicator, payload={"hits": hits}
    )
    _tell(Delivery.EventType.INDICATOR_QUARANTINED, indicator, at=now, extra={"hits": hits})
    return True


@transaction.atomic
def indicator_release(*, actor: User, indicator_id: int, note: str) -> Indicator:
    """A senior moderator lets a quarantined entry match again (or revokes it instead)."""
    now = timezone.now()
    indicator = _locked(indicator_id)
    if not may_review_indicator(actor, indicator, revoking=True):
        raise NotAllowed(_("only a senior moderator may release an entry"), code="not_allowed")
    note = _reason(note, what=_("a note"))
    if indicator.quarantined_at is None:
        raise DomainError(_("the entry is not in quarantine"), code="not_quarantined")
    indicator.quarantined_at = None
    indicator.quarantine_reason = ""
    indicator.released_at = now
    indicator.save(update_fields=["quarantined_at", "quarantine_reason", "released_at"])
    audit_record(actor=actor, action="indicator.released", target=indicator, payload={"note": note})
    _tell(Delivery.EventType.INDICATOR_LISTED, indicator, at=now, extra={"released": True})
    return indicator


# --- feedback -----------------------------------------------------------------------------


def partner_reliability(partner: Partner) -> float:
    """(confirmed + PRIOR) / (confirmed + refuted + PRIOR), over other partners' feedback
    on the entries `partner` proposed: 1.0 with no feedback, falling with false positives."""
    rows = Feedback.objects.filter(indicator__partner=partner).exclude(partner=partner)
    confirmed = rows.filter(verdict=Feedback.Verdict.TRUE_POSITIVE).count()
    refuted = rows.filter(verdict=Feedback.Verdict.FALSE_POSITIVE).count()
    prior = settings.PARTNER_RELIABILITY_PRIOR
    return (confirmed + prior) / (confirmed + refuted + prior)


@transaction.atomic
def feedback_record(
    *, partner: Partner, indicator_id: int, verdict: str, note: str = ""
) -> Feedback:
    """A partner's finding on an entry or its hit; the latest per partner counts."""
    now = timezone.now()
    if verdict not in Feedback.Verdict.values:
        raise InvalidInput(_("the verdict is true_positive or false_positive"))
    indicator = Indicator.objects.filter(pk=indicator_id).first()
    if indicator is None or indicator.list == Indicator.List.CLEARED:
        raise NotFound(_("no such list entry"))
    feedback, _created = Feedback.objects.update_or_create(
        indicator=indicator,
        partner=partner,
        defaults={"verdict": verdict, "note": note[:REASON_MAX], "created_at": now},
    )
    audit_record(
        actor=None,
        partner=partner,
        action="indicator.feedback",
        target=indicator,
        payload={"verdict": verdict},
    )
    if indicator.partner_id is not None and indicator.partner_id != partner.pk:
        proposer = Partner.objects.select_for_update().get(pk=indicator.partner_id)
        proposer.reliability = partner_reliability(proposer)
        proposer.save(update_fields=["reliability"])
    return feedback


def feedback_summary(indicator: Indicator) -> dict[str, int]:
    rows = Feedback.objects.filter(indicator=indicator)
    return {
        "true_positive": rows.filter(verdict=Feedback.Verdict.TRUE_POSITIVE).count(),
        "false_positive": rows.filter(verdict=Feedback.Verdict.FALSE_POSITIVE).count(),
    }


# --- reassigned numbers -------------------------------------------------------------------


@transaction.atomic
def phone_reassigned(
    *, partner: Partner, value: str, display: str, reassigned_on: date
) -> list[Indicator]:
    """A telecom's word that a number went to a new subscriber: every entry on it leaves
    force for the future (`indicator.delisted`, reason `reassigned`), and detection stops
    holding the number's earlier history against the new owner. Returns the entries ended."""
    if partner.kind != Partner.Kind.TELECOM:
        raise NotAllowed(
            _("only a telecom operator reports reassigned numbers"), code="not_a_telecom"
        )
    now = timezone.now()
    if reassigned_on > timezone.localdate(now):
        raise InvalidInput(_("the reassignment date is in the future"))
    PhoneReassignment.objects.get_or_create(
        value=value, reassigned_on=reassigned_on, defaults={"partner": partner, "created_at": now}
    )
    reason = f"number reassigned to a new subscriber on {reassigned_on:%Y-%m-%d}"
    ended = []
    for indicator in Indicator.objects.select_for_update().filter(
        kind=IndicatorKind.PHONE, value=value, revoked_at__isnull=True
    ):
        if indicator.listed_at.date() > reassigned_on:
            continue  # listed after the new subscriber got the number: theirs
        end(indicator, how=Indicator.End.REASSIGNED, reason=reason, now=now)
        _tell(
            Delivery.EventType.INDICATOR_DELISTED,
            indicator,
            at=now,
            extra={"reason": "reassigned", "reassigned_on": f"{reassigned_on:%Y-%m-%d}"},
        )
        ended.append(indicator)
    audit_record(
        actor=None,
        partner=partner,
        action="phone.reassigned",
        payload={
            "phone": display,
            "reassigned_on": f"{reassigned_on:%Y-%m-%d}",
            "delisted": [i.pk for i in ended],
        },
    )
    return ended


def reassigned_since(values: Iterable[str]) -> dict[str, date]:
    """The latest reassignment date of each of these phone numbers that has one."""
    found: dict[str, date] = {}
    for value, day in PhoneReassignment.objects.filter(value__in=set(values)).values_list(
        "value", "reassigned_on"
    ):
        if value not in found or day > found[value]:
            found[value] = day
    return found


# --- values vetted as honest --------------------------------------------------------------


def values_vet(
    *, actor: User, identifiers: Iterable[Any], origin_ref: str, reason: str, now: datetime
) -> tuple[list[Indicator], list[Any]]:
    """Put a cleared subject's identifiers on the cleared list (the caller is atomic). A
    gray entry on a value gives way (`indicator.delisted`); a black one stays: it is
    revoked only by a senior moderator. Returns (cleared entries, identifiers skipped)."""
    from antifraud.services.indicators import indicator_list

    cleared, skipped = [], []
    for identifier in identifiers:
        current = (
            Indicator.objects.select_for_update()
            .filter(kind=identifier.kind, value=identifier.value, revoked_at__isnull=True)
            .first()
        )
        if current is not None and current.is_in_force(now):
            if current.list == Indicator.List.BLACK:
                skipped.append(identifier)
                continue
            if current.list == Indicator.List.CLEARED:
                continue
            end(
                current,
                how=Indicator.End.SUPERSEDED,
                reason="vetted as honest by a moderator",
                now=now,
                by=actor,
            )
            _tell(
                Delivery.EventType.INDICATOR_DELISTED,
                current,
                at=now,
                extra={"reason": "cleared"},
            )
        listing = indicator_list(
            actor=actor,
            kind=identifier.kind,
            value=identifier.value,
            display=identifier.display,
            list=Indicator.List.CLEARED,
            origin=Indicator.Origin.DECISION,
            origin_ref=origin_ref,
            reason=reason,
            now=now,
        )
        cleared.append(listing.indicator)
    if cleared or skipped:
        audit_record(
            actor=actor,
            action="indicator.vetted",
            payload={
                "origin": origin_ref,
                "cleared": [i.pk for i in cleared],
                "skipped_black": [f"{i.kind}:{i.display}" for i in skipped],
            },
        )
    return cleared, skipped


def cleared_values(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (kind, value) pairs are vetted as honest now."""
    pairs = set(pairs)
    if not pairs:
        return set()
    rows = (
        Indicator.objects.active()
        .filter(
            list=Indicator.List.CLEARED,
            kind__in={k for k, _ in pairs},
            value__in={v for _, v in pairs},
        )
        .values_list("kind", "value")
    )
    return {pair for pair in rows if pair in pairs}


def gray_weight(indicator: Indicator, now: datetime | None = None) -> float:
    """A gray entry's weight in risk: 1 for GRAY_FRESH_DAYS after its last listing,
    corroboration or hit, then halving every GRAY_HALF_LIFE_DAYS, never below the floor;
    times the proposing partner's reliability. Black entries weigh 1."""
    if indicator.list != Indicator.List.GRAY:
        return 1.0
    now = now or timezone.now()
    idle = (now - indicator.fresh_at).total_seconds() / 86400 - settings.GRAY_FRESH_DAYS
    decay = 0.5 ** (max(0.0, idle) / settings.GRAY_HALF_LIFE_DAYS)
    reliability = indicator.partner.reliability if indicator.partner is not None else 1.0
    return max(settings.GRAY_WEIGHT_FLOOR, decay * reliability)
