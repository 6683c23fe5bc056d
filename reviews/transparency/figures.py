"""The transparency report's figures for one calendar month (a maker of
reviews.transparency.MAKERS).

Every figure is kept per partner (the partner whose platform the account or listing is on)
and for all partners together (`partner=None`). The counts are grouped in the database; the
two medians are worked out here over one streamed list per month. The number of queries
does not depend on how many subjects, decisions or deliveries there are.

Metrics and their keys (a count's `basis` is its value; a median's, how many records it
rests on):

- `reports` by signal source: signals created in the month, shadow-mode ones left out;
- `blocked` / `removed` by scheme: decisions that blocked an account / removed a listing,
  under the cited policy's scheme, else the case's;
- `decisions` (every decision but reversals), `automated_detection` (of those, raised by
  a detection rule or a list match), `decided_by_people` (of those, not decided
  automatically); the pages turn the last two into shares of `decisions`;
- `appeals_filed` (filed in the month), `appeals_upheld` / `appeals_overturned` (resolved
  in the month) and `appeal_hours_median` (filed → resolved, of those resolved);
- `entries_listed` by list (black, gray: the list an entry entered, so a gray entry later
  promoted counts as gray), `entries_disputed` (disputes opened), `entries_revoked` (taken
  out of force by a senior moderator or by the overturn of the decision behind them). The
  partner of an entry is the partner that proposed it; entries listed by a moderator's
  decision have none and count in the all-partners figures only;
- `sync_minutes_median`: of the decisions that wrote events about their subject to the
  outbox, minutes from the decision to the last webhook delivered (a partner reading the
  event feed has the event at once); decisions with an event not yet delivered are left
  out and counted as `sync_pending`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db.models import Case as Choose
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from antifraud.models import Delivery, Dispute, Indicator, Signal
from reviews.models import Appeal, Decision, MonthlyFigure
from reviews.percentiles import percentile

# The events that carry a decision about a subject to the partners.
SUBJECT_EVENTS = (
    Delivery.EventType.SUBJECT_BLOCKED,
    Delivery.EventType.SUBJECT_UNBLOCKED,
    Delivery.EventType.LISTING_REMOVED,
    Delivery.EventType.LISTING_RESTORED,
)
# A partner has an event once it was delivered to its webhook, or at once when it reads
# the feed instead.
HAS_EVENT = (Delivery.Status.DELIVERED, Delivery.Status.FEED)
# Entries taken out of force because they were wrong, not because they ran their course
# (expired, withdrawn, superseded, a reassigned number).
REVOKED = (Indicator.End.REVOKED, Indicator.End.OVERTURNED)
LISTS = (Indicator.List.BLACK, Indicator.List.GRAY)

Key = tuple[int | None, str, str]  # partner (None: all), metric, key


class _Tally:
    """Counts and samples per partner, each also counted for all partners together."""

    def __init__(self) -> None:
        self.counts: dict[Key, int] = defaultdict(int)
        self.samples: dict[tuple[int | None, str], list[float]] = defaultdict(list)

    def count(self, partner: int | None, metric: str, n: int, key: str = "") -> None:
        if not n:
            return
        self.counts[(None, metric, key)] += n
        if partner is not None:
            self.counts[(partner, metric, key)] += n

    def sample(self, partner: int | None, metric: str, value: float) -> None:
        self.samples[(None, metric)].append(value)
        if partner is not None:
            self.samples[(partner, metric)].append(value)

    def rows(self, month: date) -> list[MonthlyFigure]:
        rows = [
            MonthlyFigure(month=month, partner_id=partner, metric=metric, key=key, value=n, basis=n)
            for (partner, metric, key), n in self.counts.items()
        ]
        for (partner, metric), values in self.samples.items():
            median = percentile(values, 0.5)
            assert median is not None  # a sample is only started with a value
            rows.append(
                MonthlyFigure(
                    month=month,
                    partner_id=partner,
                    metric=metric,
                    value=median,
                    basis=len(values),
                )
            )
        return rows


def _signals(tally: _Tally, start: datetime, end: datetime) -> None:
    rows = (
        Signal.objects.filter(created_at__gte=start, created_at__lt=end, shadow=False)
        .order_by()
        .values("subject__partner_id", "source")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        tally.count(row["subject__partner_id"], "reports", row["n"], key=row["source"])


def _decisions(tally: _Tally, start: datetime, end: datetime) -> None:
    rows = (
        Decision.objects.filter(decided_at__gte=start, decided_at__lt=end)
        .exclude(action=Decision.Action.REVERSE)
        .annotate(figure_scheme=Coalesce(NullIf(F("policy__scheme"), Value("")), F("case__scheme")))
        .order_by()
        .values(
            "subject__partner_id",
            "action",
            "figure_scheme",
            "automated_detection",
            "automated_decision",
        )
        .annotate(n=Count("pk"))
    )
    for row in rows:
        partner, n = row["subject__partner_id"], row["n"]
        tally.count(partner, "decisions", n)
        if row["automated_detection"]:
            tally.count(partner, "automated_detection", n)
        if not row["automated_decision"]:
            tally.count(partner, "decided_by_people", n)
        if row["action"] == Decision.Action.BLOCK_ACCOUNT:
            tally.count(partner, "blocked", n, key=row["figure_scheme"])
        elif row["action"] == Decision.Action.REMOVE_LISTING:
            tally.count(partner, "removed", n, key=row["figure_scheme"])


def _appeals(tally: _Tally, start: datetime, end: datetime) -> None:
    filed = (
        Appeal.objects.filter(filed_at__gte=start, filed_at__lt=end)
        .order_by()
        .values("decision__subject__partner_id")
        .annotate(n=Count("pk"))
    )
    for row in filed:
        tally.count(row["decision__subject__partner_id"], "appeals_filed", row["n"])
    resolved = (
        Appeal.objects.filter(
            resolved_at__gte=start, resolved_at__lt=end, status__in=Appeal.RESOLVED
        )
        .order_by()
        .values_list("decision__subject__partner_id", "status", "filed_at", "resolved_at")
    )
    for partner, status, filed_at, resolved_at in resolved.iterator(chunk_size=2000):
        assert resolved_at is not None  # filtered on it
        tally.count(partner, f"appeals_{status}", 1)
        tally.sample(
            partner, "appeal_hours_median", (resolved_at - filed_at).total_seconds() / 3600
        )


def _registry(tally: _Tally, start: datetime, end: datetime) -> None:
    listed = (
        Indicator.objects.filter(listed_at__gte=start, listed_at__lt=end, list__in=LISTS)
        # Promotion turns a gray entry black in place: it entered the gray list.
        .annotate(
            entered=Choose(
                When(promoted_at__isnull=False, then=Value(Indicator.List.GRAY)),
                default=F("list"),
            )
        )
        .order_by()
        .values("partner_id", "entered")
        .annotate(n=Count("pk"))
    )
    for row in listed:
        tally.count(row["partner_id"], "entries_listed", row["n"], key=row["entered"])
    disputed = (
        Dispute.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("indicator__partner_id")
        .annotate(n=Count("pk"))
    )
    for row in disputed:
        tally.count(row["indicator__partner_id"], "entries_disputed", row["n"])
    revoked = (
        Indicator.objects.filter(
            revoked_at__gte=start, revoked_at__lt=end, ended__in=REVOKED, list__in=LISTS
        )
        .order_by()
        .values("partner_id")
        .annotate(n=Count("pk"))
    )
    for row in revoked:
        tally.count(row["partner_id"], "entries_revoked", row["n"])


def _sync(tally: _Tally, start: datetime, end: datetime) -> None:
    # A decision's events are the outbox rows written with it: stamped with its time, about
    # its subject or (a block of a listing's account) the account.
    events = Delivery.objects.filter(
        Q(subject_id=OuterRef("subject_id")) | Q(subject_id=OuterRef("subject__account_id")),
        created_at=OuterRef("decided_at"),
        event_type__in=SUBJECT_EVENTS,
    )
    rows = (
        Decision.objects.filter(decided_at__gte=start, decided_at__lt=end)
        .annotate(
            wrote=Exists(events),
            waiting=Exists(events.exclude(status__in=HAS_EVENT)),
            last=Subquery(
                events.filter(status=Delivery.Status.DELIVERED)
                .order_by("-delivered_at")
                .values("delivered_at")[:1]
            ),
        )
        .filter(wrote=True)
        .order_by()
        .values_list("subject__partner_id", "decided_at", "last", "waiting")
    )
    for partner, decided_at, last, waiting in rows.iterator(chunk_size=2000):
        if waiting:
            tally.count(partner, "sync_pending", 1)
            continue
        minutes = (last - decided_at).total_seconds() / 60 if last is not None else 0.0
        tally.sample(partner, "sync_minutes_median", max(minutes, 0.0))


def report_figures(*, start: datetime, end: datetime) -> list[MonthlyFigure]:
    """The report's figures for the month [start, end) (aware, the site's time zone), as
    unsaved rows."""
    tally = _Tally()
    for step in (_signals, _decisions, _appeals, _registry, _sync):
        step(tally, start, end)
    first = timezone.localtime(start, timezone.get_default_timezone()).date().replace(day=1)
    return tally.rows(first)
