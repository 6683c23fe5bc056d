"""The black, gray and cleared lists: listing, revoking, expiring."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Partner, User
from antifraud.audit import audit_record
from antifraud.errors import DomainError
from antifraud.models import Corroboration, Delivery, Dispute, Indicator, IndicatorKind
from antifraud.services.outbox import outbox_write
from antifraud.services.registry import end, support_record


@dataclass(frozen=True)
class Listing:
    indicator: Indicator
    created: bool  # False when an entry in force already covered the value


@transaction.atomic
def indicator_list(
    *,
    actor: User | None,
    kind: str,
    value: str,
    display: str,
    list: str,
    origin: str,
    origin_ref: str = "",
    scheme: str = "",
    reason: str = "",
    partner: Partner | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> Listing:
    """Put a normalised value on a list, respecting the one entry in force per value.

    A black entry outranks a gray one: listing black over gray replaces the gray entry;
    listing gray over black changes nothing. A decision may list black over a cleared
    entry (it revokes it); a partner's proposal may not.
    """
    now = now or timezone.now()
    if list == Indicator.List.BLACK and origin != Indicator.Origin.DECISION:
        raise DomainError(
            _("only a moderator's decision puts a value on the black list"),
            code="black_needs_decision",
        )
    if list == Indicator.List.GRAY and expires_at is None:
        expires_at = now + timedelta(days=settings.GRAY_LIST_DAYS)

    current = (
        Indicator.objects.select_for_update()
        .filter(kind=kind, value=value, revoked_at__isnull=True)
        .first()
    )
    if current is not None:
        expired = current.expires_at is not None and current.expires_at <= now
        if expired:
            end(current, how=Indicator.End.EXPIRED, reason="expired", now=now)
        elif current.list == list == Indicator.List.BLACK or (
            current.list == Indicator.List.BLACK and list == Indicator.List.GRAY
        ):
            return Listing(current, created=False)
        elif current.list == list == Indicator.List.GRAY:
            # Gray entries always expire (a constraint), and expires_at was set above.
            assert current.expires_at is not None and expires_at is not None
            current.expires_at = max(current.expires_at, expires_at)
            current.fresh_at = now
            current.save(update_fields=["expires_at", "fresh_at"])
            return Listing(current, created=False)
        elif current.list == Indicator.List.CLEARED and origin != Indicator.Origin.DECISION:
            raise DomainError(
                _("this value was vetted as honest; only a moderator can list it"),
                code="value_cleared",
            )
        else:
            end(
                current,
                how=Indicator.End.SUPERSEDED,
                reason=f"superseded by the {list} list",
                now=now,
                by=actor,
            )

    indicator = Indicator.objects.create(
        kind=kind,
        value=value,
        display=display,
        list=list,
        scheme=scheme,
        reason=reason,
        origin=origin,
        origin_ref=origin_ref,
        partner=partner,
        created_by=actor,
        listed_at=now,
        fresh_at=now,
        expires_at=expires_at if list == Indicator.List.GRAY else None,
    )
    if kind == IndicatorKind.PHOTO:
        # Near copies of a listed photo are found through the photo index.
        from antifraud.detection.photos import indicator_photos_index

        indicator_photos_index([value])
    audit_record(
        actor=actor,
        partner=partner if actor is None else None,
        action="indicator.listed",
        target=indicator,
        payload={"list": list, "kind": kind, "origin": origin_ref or origin},
    )
    return Listing(indicator, created=True)


@transaction.atomic
def indicators_revoke(
    *,
    actor: User | None,
    indicators: Iterable[Indicator],
    reason: str,
    how: str = Indicator.End.OVERTURNED,
) -> list[Indicator]:
    """Take entries out of force (an overturned decision)."""
    now = timezone.now()
    revoked = []
    for indicator in Indicator.objects.select_for_update().filter(
        pk__in=[i.pk for i in indicators], revoked_at__isnull=True
    ):
        end(indicator, how=how, reason=reason, now=now, by=actor)
        revoked.append(indicator)
    if revoked:
        audit_record(
            actor=actor,
            action="indicator.revoked",
            payload={"indicators": [i.pk for i in revoked], "reason": reason},
        )
    return revoked


@transaction.atomic
def indicators_expire(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Take gray-list entries past their expiry out of force. Returns how many."""
    now = now or timezone.now()
    expired = list(
        Indicator.objects.select_for_update(skip_locked=True)
        .filter(list=Indicator.List.GRAY, revoked_at__isnull=True, expires_at__lte=now)
        .order_by("expires_at")[:batch]
    )
    if not expired:
        return 0
    due = [i.pk for i in expired]
    Indicator.objects.filter(pk__in=due).update(
        revoked_at=now, revoked_reason="expired", ended=Indicator.End.EXPIRED
    )
    Dispute.objects.filter(indicator_id__in=due, status=Dispute.Status.OPEN).update(
        status=Dispute.Status.REVOKED, resolution="expired", resolved_at=now
    )
    # Partners that copied the entries learn they are no longer in force.
    outbox_write(
        event_type=Delivery.EventType.INDICATOR_DELISTED,
        at=now,
        indicators=expired,
        extra={"reason": "expired"},
    )
    audit_record(
        actor=None, action="indicator.expired", payload={"indicators": due, "count": len(due)}
    )
    return len(due)


@transaction.atomic
def indicator_propose(
    *,
    partner: Partner,
    kind: str,
    value: str,
    display: str,
    reason: str,
    scheme: str = "",
    expires_in_days: int | None = None,
    source: str = Corroboration.Source.PROPOSAL,
    amount: int | None = None,
    occurred_on: date | None = None,
    report_ref: str = "",
    now: datetime | None = None,
) -> Listing:
    """A partner's proposal, or its report of a value used in a fraud: the normalised value
    goes on the gray list at once (so that banks can warn), expiring, never on the black
    one, and the partner is counted among the entry's supporters; partners of two kinds
    put the entry in the promotion queue. A new entry is announced to every partner
    (`indicator.listed`); an entry already in force is extended, and a black one stays
    black. A value vetted as honest is refused (`value_cleared`)."""
    now = now or timezone.now()
    report = source == Corroboration.Source.REPORT
    listing = indicator_list(
        actor=None,
        partner=partner,
        kind=kind,
        value=value,
        display=display,
        list=Indicator.List.GRAY,
        origin=Indicator.Origin.PARTNER_REPORT if report else Indicator.Origin.PARTNER_PROPOSAL,
        origin_ref=report_ref or f"partner:{partner.slug}",
        scheme=scheme,
        reason=reason,
        expires_at=now + timedelta(days=expires_in_days or settings.GRAY_LIST_DAYS),
        now=now,
    )
    indicator = listing.indicator
    support = support_record(
        indicator=indicator,
        partner=partner,
        source=source,
        reason=reason,
        scheme=scheme,
        amount=amount,
        occurred_on=occurred_on,
        report_ref=report_ref,
        now=now,
    )
    if listing.created:
        outbox_write(
            event_type=Delivery.EventType.INDICATOR_LISTED,
            at=now,
            indicators=[indicator],
            extra={"entry": indicator.pk, "proposed_by": partner.slug},
        )
    # Every proposal is on the trail, also one that only corroborated an existing entry.
    audit_record(
        actor=None,
        partner=partner,
        action="indicator.reported" if report else "indicator.proposed",
        target=indicator,
        payload={
            "kind": kind,
            "created": listing.created,
            "list": indicator.list,
            "expires_at": indicator.expires_at,
            "supporters": support.partners,
            "kinds": support.kinds,
        },
    )
    return listing
