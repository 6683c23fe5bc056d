"""What waits and for how long, what was decided and how fast."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from antifraud.models import Scheme, Subject
from reviews import deadlines
from reviews.models import Appeal, Case, Decision
from reviews.oversight.filters import Filters
from reviews.percentiles import Spread, spreads
from reviews.queues import Queue

# --- what waits -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBucket:
    label: Promise
    lower: timedelta
    upper: timedelta | None


AGE_BUCKETS = (
    AgeBucket(_("< 1 h"), timedelta(0), timedelta(hours=1)),
    AgeBucket(_("1–4 h"), timedelta(hours=1), timedelta(hours=4)),
    AgeBucket(_("4–24 h"), timedelta(hours=4), timedelta(hours=24)),
    AgeBucket(_("1–3 days"), timedelta(days=1), timedelta(days=3)),
    AgeBucket(_("> 3 days"), timedelta(days=3), None),
)


def _load_counts(now: datetime, *, since: str, warning: timedelta) -> dict[str, Count]:
    """Conditional counts: in each age bucket by `since`, due soon and breached."""
    counts = {"total": Count("pk")}
    for n, bucket in enumerate(AGE_BUCKETS):
        # The first bucket has no lower bound: a clock a little ahead still counts once.
        condition = Q() if n == 0 else Q(**{f"{since}__lte": now - bucket.lower})
        if bucket.upper is not None:
            condition &= Q(**{f"{since}__gt": now - bucket.upper})
        counts[f"age{n}"] = Count("pk", filter=condition)
    counts["due_soon"] = Count("pk", filter=deadlines.due_soon_q(now, warning))
    counts["breached"] = Count("pk", filter=deadlines.breached_q(now))
    return counts


@dataclass(frozen=True)
class Load:
    """Open cases (or appeals) of one queue (or partner), by age and deadline."""

    key: str
    label: str
    total: int = 0
    ages: tuple[int, ...] = (0,) * len(AGE_BUCKETS)
    due_soon: int = 0
    breached: int = 0

    @classmethod
    def of_row(cls, key: str, label: str, row: dict[str, Any]) -> Load:
        ages = tuple(row[f"age{n}"] for n in range(len(AGE_BUCKETS)))
        return cls(key, label, row["total"], ages, row["due_soon"], row["breached"])

    def __add__(self, other: Load) -> Load:
        ages = tuple(a + b for a, b in zip(self.ages, other.ages, strict=True))
        return Load(
            self.key,
            self.label,
            self.total + other.total,
            ages,
            self.due_soon + other.due_soon,
            self.breached + other.breached,
        )


def _summed(key: str, label: str, loads: Iterable[Load]) -> Load:
    total = Load(key, label)
    for load in loads:
        total += load
    return total


@dataclass(frozen=True)
class CaseLoads:
    queues: list[Load]  # partner and kind queues, then the escalations
    schemes: list[Load]  # the scheme queues (escalations aside, as on the queue page)
    total: Load


def open_cases(f: Filters) -> CaseLoads:
    """Open cases per queue (reviews.queues) and per scheme: one query."""
    rows = (
        f.cases()
        .exclude(status=Case.Status.DECIDED)
        .values("partner__slug", "partner__name", "subject_kind", "is_escalated", "scheme")
        .annotate(**_load_counts(f.now, since="opened_at", warning=deadlines.case_warning()))
        .order_by()
    )
    kinds = dict(Subject.Kind.choices)
    queues: dict[str, Load] = {}
    by_scheme: dict[str, Load] = {}
    for row in rows:
        if row["is_escalated"]:
            queue = Queue.parse("escalated")
            label = queue.label
        else:
            queue = Queue.parse(f"partner:{row['partner__slug']}:{row['subject_kind']}")
            kind = kinds.get(row["subject_kind"], row["subject_kind"])
            label = f"{row['partner__name']} · {kind}"
            scheme = Queue.parse(f"scheme:{row['scheme']}")
            by_scheme[scheme.key] = by_scheme.get(
                scheme.key, Load(scheme.key, scheme.label)
            ) + Load.of_row(scheme.key, scheme.label, row)
        queues[queue.key] = queues.get(queue.key, Load(queue.key, label)) + Load.of_row(
            queue.key, label, row
        )
    ordered = sorted(queues.values(), key=lambda q: (q.key == "escalated", q.label))
    everything = Queue.parse("all")
    return CaseLoads(
        queues=ordered,
        schemes=sorted(by_scheme.values(), key=lambda s: (-s.total, s.label)),
        total=_summed(everything.key, str(_("All")), ordered),
    )


@dataclass(frozen=True)
class AppealLoads:
    partners: list[Load]
    total: Load


def open_appeals(f: Filters) -> AppealLoads:
    """Appeals waiting for a reviewer, per partner, by age from filing: one query."""
    rows = (
        f.appeals()
        .filter(status__in=[Appeal.Status.SUBMITTED, Appeal.Status.IN_REVIEW])
        .values("decision__subject__partner__slug", "decision__subject__partner__name")
        .annotate(**_load_counts(f.now, since="filed_at", warning=deadlines.appeal_warning()))
        .order_by("decision__subject__partner__name")
    )
    partners = [
        Load.of_row(
            row["decision__subject__partner__slug"], row["decision__subject__partner__name"], row
        )
        for row in rows
    ]
    return AppealLoads(partners=partners, total=_summed("all", str(_("All")), partners))


# --- what was done ----------------------------------------------------------------------


@dataclass(frozen=True)
class DayFlow:
    day: date
    opened: int
    decided: int


def daily_flow(f: Filters) -> list[DayFlow]:
    """Cases opened against decisions made, per local day of the period: two queries."""
    opened = dict(
        f.cases()
        .filter(f.within("opened_at"))
        .annotate(day=TruncDate("opened_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    decided = dict(
        f.decisions()
        .annotate(day=TruncDate("decided_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    return [DayFlow(day, opened.get(day, 0), decided.get(day, 0)) for day in f.days]


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class DecisionBreakdown:
    total: int
    by_action: list[Tally]
    by_scheme: list[Tally]
    by_partner: list[Tally]


def _tallies(counts: dict[tuple[str, str], int]) -> list[Tally]:
    return sorted(
        (Tally(key, label, n) for (key, label), n in counts.items()),
        key=lambda t: (-t.count, t.label),
    )


def decision_breakdown(f: Filters) -> DecisionBreakdown:
    """Decisions of the period by action, by the case's scheme and by partner: one query."""
    rows = (
        f.decisions()
        .values("action", "case__scheme", "subject__partner__slug", "subject__partner__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    actions, schemes = dict(Decision.Action.choices), dict(Scheme.choices)
    by: dict[str, dict[tuple[str, str], int]] = {"action": {}, "scheme": {}, "partner": {}}
    for row in rows:
        keys = {
            "action": (row["action"], str(actions.get(row["action"], row["action"]))),
            "scheme": (row["case__scheme"], str(schemes.get(row["case__scheme"], ""))),
            "partner": (row["subject__partner__slug"], row["subject__partner__name"]),
        }
        for name, key in keys.items():
            by[name][key] = by[name].get(key, 0) + row["n"]
    return DecisionBreakdown(
        total=sum(by["action"].values()),
        by_action=_tallies(by["action"]),
        by_scheme=_tallies(by["scheme"]),
        by_partner=_tallies(by["partner"]),
    )


@dataclass(frozen=True)
class Durations:
    to_decide: Spread  # case opened → decided, over the period's decisions
    to_resolve: Spread  # appeal filed → resolved, over the appeals resolved in the period


def durations(f: Filters) -> Durations:
    """Medians and 90th percentiles: two queries."""
    decided = spreads(f.decisions(), start="case__opened_at", end="decided_at")
    resolved = spreads(
        f.appeals().filter(status__in=Appeal.RESOLVED).filter(f.within("resolved_at")),
        start="filed_at",
        end="resolved_at",
    )
    return Durations(to_decide=decided[None], to_resolve=resolved[None])
