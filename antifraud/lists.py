"""Reads of the lists registry for its staff pages: the entries an actor sees, what waits
for a senior moderator, and one entry with everything known about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from antifraud import access
from antifraud.models import (
    DIGESTED_KINDS,
    AuditEvent,
    Corroboration,
    Dispute,
    Feedback,
    Indicator,
    IndicatorHits,
)
from antifraud.models.indicators import IndicatorQuerySet
from antifraud.services.registry import feedback_summary, gray_weight

HITS_DAYS = 30
HISTORY_MAX = 200


def _count_of(queryset: Any) -> Coalesce:
    """The number of rows of `queryset` (filtered on OuterRef("pk")), as an annotation: one
    subquery per column, so that a page of entries is one query whatever its length."""
    counted = queryset.order_by().values("indicator").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def entries_for(*, user: access.Actor) -> IndicatorQuerySet:
    """The entries the user sees, newest first, with their supporters and open disputes
    counted."""
    return (
        Indicator.objects.visible_to(user)
        .select_related("partner")
        .annotate(
            supporters=_count_of(
                Corroboration.objects.filter(indicator=OuterRef("pk"), withdrawn_at__isnull=True)
            ),
            open_disputes=_count_of(
                Dispute.objects.filter(indicator=OuterRef("pk"), status=Dispute.Status.OPEN)
            ),
        )
        .order_by("-listed_at", "-pk")
    )


@dataclass(frozen=True)
class ReviewCounts:
    """What waits for a senior moderator among the entries the user sees."""

    awaiting_promotion: int
    disputed: int
    quarantined: int


def review_counts(*, user: access.Actor) -> ReviewCounts:
    """One query; each count is what the lists page's state filter then shows."""
    now = timezone.now()
    open_dispute = Dispute.objects.filter(indicator=OuterRef("pk"), status=Dispute.Status.OPEN)
    counts = (
        Indicator.objects.visible_to(user)
        .active(now)
        .aggregate(
            awaiting_promotion=Count(
                "pk", filter=Q(list=Indicator.List.GRAY, promotion_due_at__isnull=False)
            ),
            disputed=Count("pk", filter=Q(Exists(open_dispute))),
            quarantined=Count("pk", filter=Q(quarantined_at__isnull=False)),
        )
    )
    return ReviewCounts(**counts)


@dataclass(frozen=True)
class EntryDetail:
    indicator: Indicator
    state: str
    # Rows of other partners are left out for who may not see them (access.visible): the
    # totals count every partner's.
    supports: list[Corroboration]
    supporters: int
    disputes: list[Dispute]
    feedback: list[Feedback]
    feedback_totals: dict[str, int]
    hits: list[IndicatorHits]  # the last HITS_DAYS days with hits, newest first
    hits_recent: int
    hits_total: int
    gray_weight: float | None  # gray entries only
    history: list[AuditEvent] | None  # None: the user may not read the audit trail

    @property
    def digest_prefix(self) -> str:
        """Cards and IINs are kept as a keyed digest: its start tells two entries apart."""
        return self.indicator.value[:12] if self.indicator.kind in DIGESTED_KINDS else ""

    @property
    def supporters_hidden(self) -> int:
        """Supporters of other partners the user may not see."""
        return self.supporters - sum(1 for s in self.supports if s.withdrawn_at is None)

    @property
    def open_disputes(self) -> list[Dispute]:
        return [d for d in self.disputes if d.status == Dispute.Status.OPEN]


def entry_detail(indicator: Indicator, *, user: access.Actor) -> EntryDetail:
    """Everything about an entry the user may see (the caller checked it sees the entry)."""
    now = timezone.now()

    def rows(queryset: Any) -> Any:
        # Who may revoke the entry judges it on every partner's evidence.
        if access.may_see_entry_evidence(user, indicator):
            return queryset
        return access.visible(user, queryset)

    supports = rows(Corroboration.objects.filter(indicator=indicator)).select_related("partner")
    disputes = rows(Dispute.objects.filter(indicator=indicator)).select_related(
        "partner", "raised_by", "reviewer"
    )
    feedback = rows(Feedback.objects.filter(indicator=indicator)).select_related("partner")
    hits = IndicatorHits.objects.filter(indicator=indicator)
    since = timezone.localdate(now) - timedelta(days=HITS_DAYS - 1)
    recent = list(hits.filter(day__gte=since).order_by("-day"))
    history = None
    if access.may_see_some(user, AuditEvent):
        history = list(
            access.visible(
                user,
                AuditEvent.objects.filter(
                    target_type=ContentType.objects.get_for_model(Indicator),
                    target_id=str(indicator.pk),
                ),
            )
            .select_related("actor")
            .order_by("created_at", "pk")[:HISTORY_MAX]
        )
    return EntryDetail(
        indicator=indicator,
        state=indicator.state(now),
        supports=list(supports.order_by("created_at", "pk")),
        supporters=Corroboration.objects.filter(
            indicator=indicator, withdrawn_at__isnull=True
        ).count(),
        disputes=list(disputes.order_by("-created_at", "-pk")),
        feedback=list(feedback.order_by("-created_at", "pk")),
        feedback_totals=feedback_summary(indicator),
        hits=recent,
        hits_recent=sum(day.hits for day in recent),
        hits_total=hits.aggregate(total=Sum("hits"))["total"] or 0,
        gray_weight=gray_weight(indicator, now) if indicator.list == Indicator.List.GRAY else None,
        history=history,
    )
