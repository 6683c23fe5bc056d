"""How the cases each detection rule raised were decided: the rules' precision, measured
against moderators' decisions and appeals.

A case's outcome is read from its first decision that is not a reversal: a block or a removal
is *upheld* unless a later reversal points at it (then *overturned*), a clearance is
*cleared*, a warning is *other*; a case without a decision has none. The rules page and the
backtest (`manage.py rule_backtest`) both count with this one definition.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value, When

from accounts.models import User
from reviews.models import Case, Decision

UPHELD = "upheld"  # blocked or removed, and not overturned
OVERTURNED = "overturned"  # blocked or removed, then reversed
CLEARED = "cleared"
OTHER = "other"  # warned

BLOCKING = (Decision.Action.BLOCK_ACCOUNT, Decision.Action.REMOVE_LISTING)


def case_outcome(case_ref: str = "pk") -> Subquery:
    """The outcome of the case named by `OuterRef(case_ref)` (None while undecided), for
    annotating a queryset: one correlated subquery, no rows loaded."""
    reversed_later = Exists(
        Decision.objects.filter(action=Decision.Action.REVERSE, reverses_id=OuterRef("pk"))
    )
    first = (
        Decision.objects.filter(case_id=OuterRef(case_ref))
        .exclude(action=Decision.Action.REVERSE)
        .annotate(
            outcome=models.Case(
                When(reversed_later, action__in=BLOCKING, then=Value(OVERTURNED)),
                When(action__in=BLOCKING, then=Value(UPHELD)),
                When(action=Decision.Action.CLEAR, then=Value(CLEARED)),
                default=Value(OTHER),
                output_field=models.CharField(),
            )
        )
        .order_by("decided_at", "pk")
        .values("outcome")[:1]
    )
    return Subquery(first, output_field=models.CharField())


def _cases(*, since: datetime, until: datetime, user: User | None) -> models.QuerySet[Case]:
    cases = Case.objects.visible_to(user) if user is not None else Case.objects.all()
    return cases.filter(opened_at__gte=since, opened_at__lt=until)


# --- per rule ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """`count` of `of`, and the fraction (None when there is nothing to divide)."""

    count: int
    of: int

    @property
    def fraction(self) -> float | None:
        return self.count / self.of if self.of else None

    @property
    def percent(self) -> float | None:
        fraction = self.fraction
        return None if fraction is None else 100 * fraction


@dataclass(frozen=True)
class RuleFigures:
    code: str
    cases: int = 0  # distinct cases with a signal of the rule, live or shadow
    live_cases: int = 0
    shadow_cases: int = 0
    decided: int = 0
    blocked: Share = field(default_factory=lambda: Share(0, 0))  # of the decided
    cleared: Share = field(default_factory=lambda: Share(0, 0))  # of the decided
    overturned: Share = field(default_factory=lambda: Share(0, 0))  # of the blocked


def rule_performance(
    *, since: datetime, until: datetime, user: User | None = None, partner_id: int | None = None
) -> list[RuleFigures]:
    """Per rule code, how the cases opened in [since, until) that carry a signal of the rule
    were decided, by code. Limited to the cases `user` may see (all cases without a user:
    commands and reports), and to one partner's when `partner_id` is given. One query,
    whatever the number of rules and cases."""
    through = Case.signals.through
    cases = _cases(since=since, until=until, user=user)
    if partner_id is not None:
        cases = cases.filter(partner_id=partner_id)
    # One row per case and signal: a case with several signals of a rule counts once.
    rows = (
        through.objects.filter(case_id__in=cases.values("pk"))
        .exclude(signal__rule="")
        .annotate(outcome=case_outcome("case_id"))
        # django-stubs does not follow annotations on an auto-created through model.
        .values("signal__rule", "outcome")  # type: ignore[misc]
        .annotate(
            cases=Count("case_id", distinct=True),
            live=Count("case_id", distinct=True, filter=Q(signal__shadow=False)),
            shadow=Count("case_id", distinct=True, filter=Q(signal__shadow=True)),
        )
        .order_by()
    )
    # A case has one outcome, so summing each rule's outcome groups counts a case once.
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = totals.setdefault(
            row["signal__rule"],
            {"cases": 0, "live": 0, "shadow": 0, UPHELD: 0, OVERTURNED: 0, CLEARED: 0, OTHER: 0},
        )
        counts["cases"] += row["cases"]
        counts["live"] += row["live"]
        counts["shadow"] += row["shadow"]
        if row["outcome"] is not None:
            counts[row["outcome"]] += row["cases"]
    figures = []
    for code, counts in sorted(totals.items()):
        blocked = counts[UPHELD] + counts[OVERTURNED]
        decided = blocked + counts[CLEARED] + counts[OTHER]
        figures.append(
            RuleFigures(
                code=code,
                cases=counts["cases"],
                live_cases=counts["live"],
                shadow_cases=counts["shadow"],
                decided=decided,
                blocked=Share(blocked, decided),
                cleared=Share(counts[CLEARED], decided),
                overturned=Share(counts[OVERTURNED], blocked),
            )
        )
    return figures


# --- per case ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DecidedCase:
    case_id: int
    subject_id: int
    outcome: str  # UPHELD, OVERTURNED, CLEARED or OTHER


def decided_cases(*, since: datetime, until: datetime) -> Iterator[DecidedCase]:
    """Every decided case opened in [since, until) with its outcome, by case id: one query,
    read in chunks."""
    rows = (
        _cases(since=since, until=until, user=None)
        .annotate(outcome=case_outcome("pk"))
        .filter(outcome__isnull=False)
        .order_by("pk")
        .values_list("pk", "subject_id", "outcome")
    )
    for case_id, subject_id, outcome in rows.iterator(chunk_size=2000):
        yield DecidedCase(case_id=case_id, subject_id=subject_id, outcome=outcome)
