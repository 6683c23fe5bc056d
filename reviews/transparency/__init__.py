"""The figures behind the open pages, kept month by month in `MonthlyFigure` rows.

Each maker in `MAKERS` computes one family of figures for one calendar month and returns
them as unsaved rows (reviews.transparency.compute stores them, replacing the month's old
ones): the transparency report's (reviews.transparency.figures) and the scam-awareness
page's (reviews.transparency.scams). A maker is called as
`maker(start=<first instant of the month>, end=<first instant of the next>)`, both aware
datetimes in the site's time zone, and returns `list[MonthlyFigure]` with `month` set to the
month's first day and `partner` set, or None for all partners together.

No figure resting on fewer than `TRANSPARENCY_MIN_COUNT` records is ever shown or downloaded
(`shown`): so few decisions could single out a person.
"""

from __future__ import annotations

from django.conf import settings

MAKERS = (
    "reviews.transparency.figures.report_figures",
    "reviews.transparency.scams.scam_figures",
)


def min_count() -> int:
    return int(settings.TRANSPARENCY_MIN_COUNT)


def shown(basis: int) -> bool:
    """May a figure resting on `basis` records be published? None (0) may: nothing happened."""
    return basis == 0 or basis >= min_count()
