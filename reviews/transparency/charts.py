"""How the transparency report's figures read and are drawn on its page: numbers as the
reader's language writes them, withheld ones as "fewer than 5", and bar charts as inline SVG
geometry (the template draws <rect> elements from it; no script, no style attribute, colours
from the stylesheet's classes). Every chart sits beside the table of its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _

from reviews.transparency.report import Figure
from reviews.transparency.suppression import Kind


def _number(value: float, decimals: int = 0) -> str:
    return formats.number_format(value, decimals, use_l10n=True, force_grouping=True)


def shown(figure: Figure, least: int, unit: str = "") -> str:
    """A figure as the page writes it: withheld ones as "fewer than 5"."""
    if figure.suppressed:
        if figure.kind == Kind.COUNT:
            return _("fewer than %(n)d") % {"n": least}
        return _("fewer than %(n)d records") % {"n": least}
    if figure.value is None:
        return "—"
    if unit == "hours":
        return _("%(hours)s h") % {"hours": _number(figure.value, 1)}
    if unit == "minutes":
        return _("%(minutes)s min") % {"minutes": _number(figure.value, 1)}
    if unit == "share":
        return _("%(percent)s%%") % {"percent": _number(figure.value * 100, 1)}
    return _number(figure.value)


def month_name(month: date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


# Horizontal bars: the label column, the longest bar, the value column, one row.
LABEL_WIDTH = 210
BAR_SPACE = 330
VALUE_WIDTH = 130
ROW_HEIGHT = 22
BAR_HEIGHT = 14
# Months: the plot's height, the labels' band, a month's width and a bar's.
PLOT_HEIGHT = 140
AXIS_HEIGHT = 18
MONTH_WIDTH = 56
COLUMN_WIDTH = 20


@dataclass(frozen=True)
class Row:
    label: str
    figure: Figure
    text: str


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    y: int
    text_y: int
    width: int
    value_x: int


@dataclass(frozen=True)
class Column:
    x: int
    y: int
    height: int
    title: str


@dataclass(frozen=True)
class MonthColumns:
    label: str
    label_x: int
    blocked: Column | None  # None: withheld or nothing, no bar
    removed: Column | None


def _top(figures: list[Figure]) -> float:
    return max((f.value or 0 for f in figures if not f.suppressed), default=0) or 1


def bars(rows: list[Row]) -> dict[str, object]:
    top = _top([row.figure for row in rows])
    drawn = []
    for n, row in enumerate(rows):
        width = 0 if row.figure.suppressed else round(BAR_SPACE * (row.figure.value or 0) / top)
        y = n * ROW_HEIGHT
        drawn.append(
            Bar(
                label=row.label,
                text=row.text,
                y=y + (ROW_HEIGHT - BAR_HEIGHT) // 2,
                text_y=y + ROW_HEIGHT - 7,
                width=width,
                value_x=LABEL_WIDTH + width + 6,
            )
        )
    return {
        "bars": drawn,
        "width": LABEL_WIDTH + BAR_SPACE + VALUE_WIDTH,
        "height": max(len(rows), 1) * ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
    }


@dataclass(frozen=True)
class TrendRow:
    month: date
    name: str
    blocked: Figure
    removed: Figure
    blocked_text: str
    removed_text: str


def months_chart(rows: list[TrendRow]) -> dict[str, object]:
    top = _top([f for row in rows for f in (row.blocked, row.removed)])

    def column(figure: Figure, x: int, title: str) -> Column | None:
        if figure.suppressed or not figure.value:
            return None
        height = max(1, round(PLOT_HEIGHT * figure.value / top))
        return Column(x=x, y=PLOT_HEIGHT - height, height=height, title=title)

    columns = []
    for n, row in enumerate(rows):
        x = n * MONTH_WIDTH
        columns.append(
            MonthColumns(
                label=row.month.strftime("%m.%y"),
                label_x=x + MONTH_WIDTH // 2,
                blocked=column(
                    row.blocked,
                    x + MONTH_WIDTH // 2 - COLUMN_WIDTH,
                    _("Accounts blocked in %(month)s: %(count)s")
                    % {"month": row.name, "count": row.blocked_text},
                ),
                removed=column(
                    row.removed,
                    x + MONTH_WIDTH // 2,
                    _("Listings removed in %(month)s: %(count)s")
                    % {"month": row.name, "count": row.removed_text},
                ),
            )
        )
    return {
        "columns": columns,
        "column_width": COLUMN_WIDTH,
        "width": max(len(rows), 1) * MONTH_WIDTH,
        "plot_height": PLOT_HEIGHT,
        "height": PLOT_HEIGHT + AXIS_HEIGHT,
        "label_y": PLOT_HEIGHT + AXIS_HEIGHT - 4,
    }
