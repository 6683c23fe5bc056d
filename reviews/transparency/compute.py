"""Keeping the monthly figures: a month's rows are replaced whole by what every maker
(reviews.transparency.MAKERS) computes for it, in one transaction, and the public pages then
render afresh. Beat refreshes the current and the previous month (an appeal resolved today
changes last month's figures); `figures_backfill` fills every month there is data for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time

from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from antifraud.models import Signal
from reviews.models import Decision, MonthlyFigure
from reviews.public_site import generation_bump
from reviews.transparency import MAKERS

Maker = Callable[..., list[MonthlyFigure]]

# Any fixed number: it names the lock that keeps two recomputations from interleaving.
RECOMPUTE_LOCK = 7_340_211


MONTH = re.compile(r"(\d{4})-(\d{2})")


def month_parse(text: str) -> date | None:
    """The month written as YYYY-MM (its first day), or None for anything else."""
    found = MONTH.fullmatch(text)
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
        return None
    return date(int(found[1]), int(found[2]), 1)


def month_first(day: date) -> date:
    return day.replace(day=1)


def month_next(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_previous(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next, on the site's clock (Asia/Almaty)."""
    zone = timezone.get_default_timezone()
    first = month_first(month)
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(month_next(first), time.min, tzinfo=zone),
    )


def local_month(at: datetime) -> date:
    return month_first(timezone.localtime(at, timezone.get_default_timezone()).date())


def _makers(makers: Sequence[str | Maker] | None) -> list[Maker]:
    # By dotted path, imported only now: a maker's module may import what imports this one.
    chosen = MAKERS if makers is None else makers
    return [import_string(m) if isinstance(m, str) else m for m in chosen]


def _lock() -> None:
    """Two recomputations of one month at once (beat and the command) would each delete the
    old rows and both insert new ones. On PostgreSQL they take turns on an advisory lock
    held to the end of the transaction; SQLite runs one writing transaction at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RECOMPUTE_LOCK])


@transaction.atomic
def figures_recompute(*, month: date, makers: Sequence[str | Maker] | None = None) -> int:
    """Replace the month's figures by what the makers compute now. Returns how many rows."""
    first = month_first(month)
    start, end = month_bounds(first)
    _lock()
    rows = [row for maker in _makers(makers) for row in maker(start=start, end=end)]
    now = timezone.now()
    for row in rows:
        row.month = first
        row.computed_at = now
    MonthlyFigure.objects.filter(month=first).delete()
    MonthlyFigure.objects.bulk_create(rows, batch_size=1000)
    generation_bump()
    return len(rows)


def figures_refresh(now: datetime | None = None) -> int:
    """The current and the previous month. Safe to run twice: each run replaces."""
    current = local_month(now or timezone.now())
    return figures_recompute(month=month_previous(current)) + figures_recompute(month=current)


def _first_month() -> date | None:
    firsts = [
        Signal.objects.order_by("created_at").values_list("created_at", flat=True).first(),
        Decision.objects.order_by("decided_at").values_list("decided_at", flat=True).first(),
    ]
    known = [at for at in firsts if at is not None]
    return local_month(min(known)) if known else None


def figures_backfill(now: datetime | None = None) -> int:
    """Every month from the earliest signal or decision to the current one, each in its own
    transaction; figures of months outside that span rest on nothing and are removed."""
    current = local_month(now or timezone.now())
    first = _first_month()
    if first is None or first > current:
        MonthlyFigure.objects.all().delete()
        generation_bump()
        return 0
    MonthlyFigure.objects.exclude(month__gte=first, month__lte=current).delete()
    total, month = 0, first
    while month <= current:
        total += figures_recompute(month=month)
        month = month_next(month)
    return total
