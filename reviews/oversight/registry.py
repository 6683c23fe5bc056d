"""What the lists and look-ups did, and whether partners get their events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from accounts.models import Partner
from antifraud import access
from antifraud.models import Delivery, Dispute, Indicator, LookupAlert, LookupTally
from reviews.models import Decision
from reviews.oversight.filters import Filters
from reviews.percentiles import Spread, spreads

ALERTS_SHOWN = 50


@dataclass(frozen=True)
class ListActivity:
    listed: int
    promoted: int
    quarantined: int
    delisted: int  # revoked, withdrawn, superseded, reassigned or overturned
    expired: int
    disputes_opened: int
    disputes_resolved: int


def list_activity(f: Filters) -> ListActivity:
    """What happened on the lists in the period: two queries. A chosen partner's entries
    are those it proposed or reported and those its cases' decisions listed."""
    entries = Indicator.objects.visible_to(f.user)
    disputes = Dispute.objects.visible_to(f.user)
    if f.partner:
        by_decisions = Decision.listed_indicators.through.objects.filter(
            decision__subject__partner=f.partner
        ).values("indicator_id")
        entries = entries.filter(Q(partner=f.partner) | Q(pk__in=by_decisions))
        disputes = disputes.filter(Q(partner=f.partner) | Q(indicator__partner=f.partner))
    expired = Indicator.End.EXPIRED
    counts = entries.aggregate(
        listed=Count("pk", filter=f.within("listed_at")),
        promoted=Count("pk", filter=f.within("promoted_at")),
        quarantined=Count("pk", filter=f.within("quarantined_at")),
        delisted=Count("pk", filter=f.within("revoked_at") & ~Q(ended=expired)),
        # An entry expires at its expiry, whether the sweep has marked it yet or not.
        expired=Count(
            "pk",
            filter=f.within("expires_at") & (Q(revoked_at__isnull=True) | Q(ended=expired)),
        ),
    )
    opened = disputes.aggregate(
        disputes_opened=Count("pk", filter=f.within("created_at")),
        disputes_resolved=Count("pk", filter=f.within("resolved_at")),
    )
    return ListActivity(**counts, **opened)


@dataclass(frozen=True)
class LookupLine:
    partner: str
    purpose: str
    hits: int
    misses: int
    invalid: int
    total: int


@dataclass(frozen=True)
class LookupActivity:
    lines: list[LookupLine]
    alerts: list[LookupAlert]  # the hub's only (their scope says so)
    slowed: list[Partner]  # slowed now for walking the numbers; the hub's only
    shows_alerts: bool


def lookup_activity(f: Filters, partners: Sequence[Partner]) -> LookupActivity:
    """Look-ups per partner and purpose over the period, and the partners flagged for
    walking through the numbers: two queries (`partners` are already loaded)."""
    tallies = LookupTally.objects.visible_to(f.user).filter(
        day__gte=f.first_day, day__lte=f.last_day
    )
    alerts = LookupAlert.objects.visible_to(f.user).filter(f.within("created_at"))
    if f.partner:
        tallies = tallies.filter(partner=f.partner)
        alerts = alerts.filter(partner=f.partner)
    outcome = LookupTally.Outcome
    purposes = dict(LookupTally.Purpose.choices)
    rows = (
        tallies.values("partner__name", "purpose")
        .annotate(
            hits=Sum("count", filter=Q(outcome=outcome.HIT), default=0),
            misses=Sum("count", filter=Q(outcome=outcome.MISS), default=0),
            invalid=Sum("count", filter=Q(outcome=outcome.INVALID), default=0),
            total=Sum("count", default=0),
        )
        .order_by("partner__name", "purpose")
    )
    lines = [
        LookupLine(
            partner=row["partner__name"],
            purpose=str(purposes.get(row["purpose"], row["purpose"])),
            hits=row["hits"],
            misses=row["misses"],
            invalid=row["invalid"],
            total=row["total"],
        )
        for row in rows
    ]
    shows_alerts = access.may_see_some(f.user, LookupAlert)
    slowed = [
        p
        for p in partners
        if shows_alerts
        and p.lookup_slowed_until is not None
        and p.lookup_slowed_until > f.now
        and (f.partner is None or p.pk == f.partner.pk)
    ]
    return LookupActivity(
        lines=lines,
        alerts=list(alerts.select_related("partner").order_by("-created_at")[:ALERTS_SHOWN])
        if shows_alerts
        else [],
        slowed=slowed,
        shows_alerts=shows_alerts,
    )


@dataclass(frozen=True)
class DeliveryLine:
    partner: Partner
    pending: int = 0
    retrying: int = 0
    dead: int = 0
    delivered: int = 0  # in the period
    latency: Spread = field(default_factory=Spread)  # created (with its cause) → delivered


def delivery_health(f: Filters, partners: Sequence[Partner]) -> list[DeliveryLine]:
    """Per partner, what waits or failed now, and how long the period's deliveries took:
    two queries."""
    rows = Delivery.objects.visible_to(f.user)
    if f.partner:
        rows = rows.filter(partner=f.partner)
    S = Delivery.Status
    delivered = Q(status=S.DELIVERED) & f.within("delivered_at")
    counted = (
        rows.filter(Q(status__in=[S.PENDING, S.RETRYING, S.DEAD]) | delivered)
        .values("partner_id")
        .annotate(
            pending=Count("pk", filter=Q(status=S.PENDING)),
            retrying=Count("pk", filter=Q(status=S.RETRYING)),
            dead=Count("pk", filter=Q(status=S.DEAD)),
            delivered=Count("pk", filter=Q(status=S.DELIVERED)),
        )
        .order_by()
    )
    counts = {row.pop("partner_id"): row for row in counted}
    latency = spreads(
        rows.filter(delivered), start="created_at", end="delivered_at", group="partner_id"
    )
    return [
        DeliveryLine(
            partner, **counts.get(partner.pk, {}), latency=latency.get(partner.pk, Spread())
        )
        for partner in partners
        if (f.partner is None or partner.pk == f.partner.pk)
        and (partner.is_active or partner.pk in counts)
    ]
