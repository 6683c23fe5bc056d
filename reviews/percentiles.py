"""Medians and 90th percentiles of how long things took (case opened → decided, appeal
filed → resolved, event committed → delivered), in one query however many rows there are.

On PostgreSQL the database computes them (`percentile_cont`, linear interpolation between
the closest ranks). Elsewhere (SQLite, the embedded default) the newest `SAMPLE` durations
are read and the same interpolation is done here, so both paths give the same figures on
the same rows; past `SAMPLE` rows, the Python path speaks of the newest only.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, Func, QuerySet

SAMPLE = 10_000
FRACTIONS = (0.5, 0.9)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile of `values`, interpolated between the closest ranks as
    PostgreSQL's `percentile_cont` does; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class Spread:
    """How many durations there were, and their median and 90th percentile."""

    count: int = 0
    p50: timedelta | None = None
    p90: timedelta | None = None

    @classmethod
    def of_seconds(cls, count: int, p50: float | None, p90: float | None) -> Spread:
        def as_delta(seconds: float | None) -> timedelta | None:
            return None if seconds is None else timedelta(seconds=seconds)

        return cls(count=count, p50=as_delta(p50), p90=as_delta(p90))


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate `percentile_cont(fraction) WITHIN GROUP (ORDER BY
    expression)`."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        # Inlined into the SQL: a float this module chose, never input.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def _seconds_between(start: str, end: str) -> Func:
    return Func(
        F(end) - F(start), template="EXTRACT(EPOCH FROM %(expressions)s)", output_field=FloatField()
    )


def in_database(rows: QuerySet[Any]) -> bool:
    """Whether the database of `rows` computes percentiles itself."""
    return connections[rows.db].vendor == "postgresql"


def spreads(
    rows: QuerySet[Any],
    *,
    start: str,
    end: str,
    group: str | None = None,
    python: bool | None = None,
) -> dict[Hashable, Spread]:
    """The spread of `end − start` over `rows`, per value of the field `group` (all rows
    under the key None without one). One query. `python` forces a path (tests compare
    them); by default the database computes it when it can."""
    use_python = not in_database(rows) if python is None else python
    if use_python:
        return _in_python(rows, start=start, end=end, group=group)
    seconds = _seconds_between(start, end)
    figures = {
        "n": Count("pk"),
        "p50": PercentileCont(seconds, FRACTIONS[0]),
        "p90": PercentileCont(seconds, FRACTIONS[1]),
    }
    if group is None:
        row = rows.order_by().aggregate(**figures)
        return {None: Spread.of_seconds(row["n"], row["p50"], row["p90"])}
    grouped = rows.order_by().values(group).annotate(**figures)
    return {r[group]: Spread.of_seconds(r["n"], r["p50"], r["p90"]) for r in grouped}


def _in_python(
    rows: QuerySet[Any], *, start: str, end: str, group: str | None
) -> dict[Hashable, Spread]:
    fields = [start, end] if group is None else [group, start, end]
    newest = rows.order_by(f"-{end}", "-pk").values_list(*fields)[:SAMPLE]
    durations: dict[Hashable, list[float]] = {}
    for row in newest:
        key = None if group is None else row[0]
        began, ended = row[-2], row[-1]
        durations.setdefault(key, []).append((ended - began).total_seconds())
    if group is None:
        durations.setdefault(None, [])
    return {
        key: Spread.of_seconds(len(values), *(percentile(values, f) for f in FRACTIONS))
        for key, values in durations.items()
    }
