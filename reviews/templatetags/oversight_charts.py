"""Charts for the dashboard, drawn on the server as inline SVG: no script, no style
attribute (the CSP allows neither), colours from the stylesheet's classes. Every chart sits
beside a table of its numbers, which is what screen readers read. Labels are escaped by the
templates like any other text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django import template
from django.utils.translation import gettext as _

from reviews.oversight import DayFlow
from reviews.templatetags.reviews_tags import age

register = template.Library()

# Horizontal bars: the label column, the longest bar, one row's height.
LABEL_WIDTH = 220
BAR_SPACE = 360
VALUE_WIDTH = 60
ROW_HEIGHT = 22
BAR_HEIGHT = 14
LABEL_CHARS = 34

# Days: the plot's height, the axis labels' band, and each day's width bounds.
PLOT_HEIGHT = 140
AXIS_HEIGHT = 18
DAY_WIDTH_MIN, DAY_WIDTH_MAX = 8, 80
DAYS_WIDTH = 720


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


@register.inclusion_tag("oversight/_bars.html")
def bar_chart(rows: Sequence[Any], label: str, value: str, caption: str) -> dict[str, Any]:
    """One horizontal bar per row: `label` and `value` name the rows' attributes."""
    items = [(str(getattr(row, label)), int(getattr(row, value) or 0)) for row in rows]
    top = max((v for _label, v in items), default=0)
    bars = []
    for n, (text, number) in enumerate(items):
        width = round(BAR_SPACE * number / top) if top else 0
        y = n * ROW_HEIGHT
        bars.append(
            {
                "label": _short(text),
                "value": number,
                "y": y + (ROW_HEIGHT - BAR_HEIGHT) // 2,
                "text_y": y + ROW_HEIGHT - 7,
                "width": width,
                "value_x": LABEL_WIDTH + width + 6,
            }
        )
    return {
        "caption": caption,
        "bars": bars,
        "width": LABEL_WIDTH + BAR_SPACE + VALUE_WIDTH,
        "height": max(len(items), 1) * ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
    }


@register.inclusion_tag("oversight/_days.html")
def day_chart(days: Sequence[DayFlow], caption: str) -> dict[str, Any]:
    """Per day, cases opened and decisions made, side by side."""
    count = max(len(days), 1)
    day_width = max(DAY_WIDTH_MIN, min(DAY_WIDTH_MAX, DAYS_WIDTH // count))
    bar_width = max(2, (day_width - 4) // 2)
    top = max((max(d.opened, d.decided) for d in days), default=0)
    # A label under every day while they fit, else under every n-th.
    every = max(1, -(-36 // day_width))
    columns = []
    for n, day in enumerate(days):
        x = n * day_width
        opened_height = round(PLOT_HEIGHT * day.opened / top) if top else 0
        decided_height = round(PLOT_HEIGHT * day.decided / top) if top else 0
        columns.append(
            {
                "day": day,
                "opened_x": x + 1,
                "opened_y": PLOT_HEIGHT - opened_height,
                "opened_height": opened_height,
                "decided_x": x + 1 + bar_width,
                "decided_y": PLOT_HEIGHT - decided_height,
                "decided_height": decided_height,
                "label_x": x + day_width // 2,
                "labelled": n % every == 0,
            }
        )
    return {
        "caption": caption,
        "columns": columns,
        "bar_width": bar_width,
        "width": count * day_width,
        "plot_height": PLOT_HEIGHT,
        "height": PLOT_HEIGHT + AXIS_HEIGHT,
        "label_y": PLOT_HEIGHT + AXIS_HEIGHT - 4,
        "top": top,
    }


@register.filter
def duration(value: timedelta | None) -> str:
    """A median or percentile: seconds under a minute, else as ages are written."""
    if value is None:
        return "—"
    seconds = value.total_seconds()
    if seconds < 60:
        return _("%(s).1f s") % {"s": seconds}
    return age(value)
