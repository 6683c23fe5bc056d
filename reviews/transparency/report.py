"""The transparency report as published: the figures of a month (and the months before it,
for trends) read from the pre-computed rows in one query, with what may not be published
withheld (reviews.transparency.suppression). The page and both downloads read through
`figures_report` alone, never the rows themselves.

Besides the stored metrics (reviews.transparency.figures), a keyed metric has its total
under the key "" (the reports of every source, say), and two shares are worked out here:
`automated_detection_share` and `decided_by_people_share`, fractions of `decisions`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.cache import cache

from antifraud.models import Indicator, Scheme, Signal
from reviews.models import MonthlyFigure
from reviews.public_site import PAGE_SECONDS, generation
from reviews.transparency import min_count
from reviews.transparency.compute import month_previous
from reviews.transparency.suppression import Cell, Kind, suppress

ALL = "all"  # the partner column of the all-partners figures in the downloads

# Every keyed metric and its keys, in the order they are shown.
KEYS: dict[str, tuple[str, ...]] = {
    "reports": tuple(Signal.Source.values),
    "blocked": tuple(Scheme.values),
    "removed": tuple(Scheme.values),
    "entries_listed": (Indicator.List.BLACK.value, Indicator.List.GRAY.value),
}
COUNTS = (
    "reports",
    "blocked",
    "removed",
    "decisions",
    "automated_detection",
    "decided_by_people",
    "appeals_filed",
    "appeals_upheld",
    "appeals_overturned",
    "entries_listed",
    "entries_disputed",
    "entries_revoked",
    "sync_pending",
)
MEDIANS = ("appeal_hours_median", "sync_minutes_median")
# share → the count it is of `decisions`
SHARES = {
    "automated_detection_share": "automated_detection",
    "decided_by_people_share": "decided_by_people",
}
STORED = COUNTS + MEDIANS
# The order of the downloads' rows.
PUBLISHED = (
    "reports",
    "blocked",
    "removed",
    "decisions",
    "automated_detection",
    "automated_detection_share",
    "decided_by_people",
    "decided_by_people_share",
    "appeals_filed",
    "appeals_upheld",
    "appeals_overturned",
    "appeal_hours_median",
    "entries_listed",
    "entries_disputed",
    "entries_revoked",
    "sync_minutes_median",
    "sync_pending",
)
# A partner key for what the all-partners figures hold beyond the partners' own (entries
# listed by a moderator's decision): never published, but the difference of published ones.
HUB = "hub"
REST = ":rest"


@dataclass(frozen=True)
class Figure:
    """A published figure: its value, None when withheld (`suppressed`) or when there was
    nothing to measure (a median of no appeals, a share of no decisions)."""

    value: float | None
    suppressed: bool = False
    kind: str = Kind.COUNT

    @property
    def is_zero(self) -> bool:
        return not self.suppressed and not self.value


NOTHING = Figure(0)


@dataclass(frozen=True)
class Section:
    """One partner's figures of one month, or all partners' (`partner_id` None)."""

    partner_id: int | None
    slug: str
    name: str
    figures: dict[tuple[str, str], Figure]

    @property
    def is_all(self) -> bool:
        return self.partner_id is None

    def figure(self, metric: str, key: str = "") -> Figure:
        return self.figures.get((metric, key), NOTHING)


@dataclass(frozen=True)
class MonthReport:
    month: date
    computed_at: datetime | None
    sections: list[Section]
    keys: dict[str, tuple[str, ...]]

    def section(self, partner_id: int | None) -> Section | None:
        return next((s for s in self.sections if s.partner_id == partner_id), None)


@dataclass(frozen=True)
class PublishedFigure:
    month: date
    partner: str  # a partner's slug, or "all"
    metric: str
    key: str
    value: float | int | None
    suppressed: bool


@dataclass(frozen=True)
class Report:
    min_count: int
    # Oldest first; the last is the month asked for.
    months: list[MonthReport] = field(default_factory=list)

    @property
    def current(self) -> MonthReport:
        return self.months[-1]

    def published(self) -> Iterator[PublishedFigure]:
        """The month's figures as the downloads list them: every figure the page shows."""
        month = self.current
        for section in month.sections:
            for metric in PUBLISHED:
                for key in (*month.keys.get(metric, ()), ""):
                    figure = section.figure(metric, key)
                    yield PublishedFigure(
                        month=month.month,
                        partner=section.slug,
                        metric=metric,
                        key=key,
                        value=_rounded(figure),
                        suppressed=figure.suppressed,
                    )


def _rounded(figure: Figure) -> float | int | None:
    if figure.value is None:
        return None
    if figure.kind == Kind.COUNT:
        return int(figure.value)
    if figure.kind == Kind.MEDIAN:
        return round(figure.value, 1)
    return round(figure.value, 4)


Raw = dict[tuple[int | None, str, str], tuple[float, int]]
# (partner id, None for all or HUB; metric; key)
CellKey = tuple[int | str | None, str, str]


def _month_report(
    month: date, rows: list[tuple[Any, ...]], partners: dict[int, tuple[str, str]], least: int
) -> MonthReport:
    raw: Raw = {}
    seen_keys: dict[str, set[str]] = defaultdict(set)
    computed_at: datetime | None = None
    present: set[int] = set()
    for partner_id, metric, key, value, basis, at in rows:
        raw[(partner_id, metric, key)] = (value, basis)
        if key:
            seen_keys[metric].add(key)
        if partner_id is not None:
            present.add(partner_id)
        computed_at = at if computed_at is None or at > computed_at else computed_at
    # A key no longer in the choices (a scheme retired) still shows, after the others.
    keys = {
        metric: known + tuple(sorted(seen_keys[metric] - set(known)))
        for metric, known in KEYS.items()
    }
    ids = sorted(present, key=lambda pk: (partners[pk][1].casefold(), pk))
    owners: list[int | None] = [None, *ids]

    def stored(owner: int | None, metric: str, key: str = "") -> Cell:
        value = raw.get((owner, metric, key), (0.0, 0))[0]
        return Cell(value, int(value))

    cells: dict[CellKey, Cell] = {}
    groups: list[list[CellKey]] = []
    for owner in owners:
        for metric, metric_keys in keys.items():
            parts: list[CellKey] = [(owner, metric, key) for key in metric_keys]
            for key in metric_keys:
                cells[(owner, metric, key)] = stored(owner, metric, key)
            total = sum(cells[part].value for part in parts)
            cells[(owner, metric, "")] = Cell(total, int(total))
            groups.append([*parts, (owner, metric, "")])
        for metric in COUNTS:
            if metric not in keys:
                cells[(owner, metric, "")] = stored(owner, metric)
        for metric in MEDIANS:
            value, basis = raw.get((owner, metric, ""), (0.0, 0))
            cells[(owner, metric, "")] = Cell(value, basis, Kind.MEDIAN)
        decisions = cells[(owner, "decisions", "")]
        for metric in SHARES.values():
            rest = decisions.value - cells[(owner, metric, "")].value
            cells[(owner, metric + REST, "")] = Cell(rest, int(rest), Kind.IMPLIED)
            groups.append(
                [(owner, metric, ""), (owner, metric + REST, ""), (owner, "decisions", "")]
            )
    for metric in COUNTS:
        for key in (*keys.get(metric, ()), ""):
            parts = [(pk, metric, key) for pk in ids]
            rest = cells[(None, metric, key)].value - sum(cells[p].value for p in parts)
            cells[(HUB, metric, key)] = Cell(rest, int(rest), Kind.IMPLIED)
            groups.append([*parts, (HUB, metric, key), (None, metric, key)])
    suppress(cells, groups, least)

    sections = []
    for owner in owners:
        figures: dict[tuple[str, str], Figure] = {}
        for (partner, metric, key), cell in cells.items():
            if partner != owner or cell.kind == Kind.IMPLIED:
                continue
            if cell.suppressed:
                figures[(metric, key)] = Figure(None, True, cell.kind)
            elif cell.kind == Kind.MEDIAN and not cell.basis:
                figures[(metric, key)] = Figure(None, False, cell.kind)
            else:
                figures[(metric, key)] = Figure(cell.value, False, cell.kind)
        decisions = cells[(owner, "decisions", "")]
        for share, metric in SHARES.items():
            part = cells[(owner, metric, "")]
            if not decisions.value:
                figures[(share, "")] = Figure(None, False, "share")
            elif decisions.suppressed or part.suppressed or decisions.value < least:
                figures[(share, "")] = Figure(None, True, "share")
            else:
                figures[(share, "")] = Figure(part.value / decisions.value, False, "share")
        slug, name = (ALL, "") if owner is None else partners[owner]
        sections.append(Section(owner, slug, name, figures))
    return MonthReport(month=month, computed_at=computed_at, sections=sections, keys=keys)


def figures_report(*, month: date, months: int = 1) -> Report:
    """The published figures of `month` (its first day) and of the `months − 1` months
    before it. One query."""
    window = [month.replace(day=1)]
    while len(window) < months:
        window.insert(0, month_previous(window[0]))
    rows = (
        MonthlyFigure.objects.filter(month__gte=window[0], month__lte=window[-1], metric__in=STORED)
        .order_by()
        .values_list(
            "month",
            "partner_id",
            "partner__slug",
            "partner__name",
            "metric",
            "key",
            "value",
            "basis",
            "computed_at",
        )
    )
    by_month: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
    partners: dict[int, tuple[str, str]] = {}
    for first, partner_id, slug, name, *rest in rows:
        by_month[first].append((partner_id, *rest))
        if partner_id is not None:
            partners[partner_id] = (slug, name)
    least = min_count()
    return Report(
        min_count=least,
        months=[_month_report(m, by_month[m], partners, least) for m in window],
    )


def months_with_figures() -> list[date]:
    """The months that have report figures, newest first. Kept in the cache for the
    generation of the figures (reviews.public_site), so a page served from the cache asks
    the database nothing."""
    key = f"public-transparency:months:{generation()}"
    months = cache.get(key)
    if months is None:
        months = list(
            MonthlyFigure.objects.filter(metric__in=STORED)
            .order_by("-month")
            .values_list("month", flat=True)
            .distinct()
        )
        cache.set(key, months, PAGE_SECONDS)
    return months
