"""Small filters for the moderators' pages. Nothing here marks text safe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from antifraud.detection.base import signal_explanation
from antifraud.models import Signal
from reviews import deadlines
from reviews.escalations import Escalation, escalations_of
from reviews.links import appeal_url
from reviews.models import Case, Decision
from reviews.scoring import signal_contribution

register = template.Library()


@register.filter
def kzt(value: int | None) -> str:
    """An amount in tenge, grouped as the reader's language writes numbers: 1,234,567 ₸ in
    English, 1 234 567 ₸ (narrow no-break spaces) in Russian and Kazakh. The sign stays on
    the number's line."""
    if value is None:
        return "—"
    grouped = f"{value:,}"
    if get_language() != "en":
        grouped = grouped.replace(",", "\u202f")
    return grouped + "\u00a0₸"


@register.filter
def long_date(value: datetime | date | None) -> str:
    """A date in words in the reader's language, on the Almaty calendar: Dec. 4, 2026;
    4 декабря 2026 г.; 4 Желтоқсан 2026 ж."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "DATE_FORMAT")


@register.filter
def local_time(value: datetime | None) -> str:
    """A time of day with its date, on Almaty's clock: 04.12.2026 14:05."""
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")


@register.filter
def http_url(value: str | None) -> str:
    """The URL if it is http(s), else nothing: partner-supplied links could be javascript:."""
    if not value:
        return ""
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return ""
    return value if scheme in ("http", "https") else ""


@register.filter
def appeal_link(decision: Decision) -> str:
    """The decision's appeal link, for the decisions that can be appealed."""
    if not decision.is_appealable:
        return ""
    return appeal_url(decision_id=decision.pk, decided_at=decision.decided_at)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@register.filter
def age(value: datetime | timedelta | None) -> str:
    """Compact age: 3 d 4 h, 5 h 12 min, 7 min."""
    if value is None:
        return "—"
    delta = value if isinstance(value, timedelta) else timezone.now() - value
    minutes = int(delta.total_seconds() // 60)
    if minutes < 0:
        return _("in %(time)s") % {"time": age(-delta)}
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days >= 365:
        return _("%(years).1f y") % {"years": days / 365}
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


@register.filter
def deadline_class(state: str) -> str:
    """The style of a deadline in `state` (a case's or appeal's `deadline_state`)."""
    return {deadlines.BREACHED: "breached", deadlines.DUE_SOON: "due"}.get(state, "")


@register.filter
def explained(signal: Signal) -> str:
    """The signal's explanation in the reader's language."""
    return signal_explanation(signal)


@register.filter
def contribution(signal: Signal) -> str:
    """What the signal counts for in the risk, as a percentage."""
    return f"{round(signal_contribution(signal) * 100)}%"


@register.simple_tag
def escalations(cases: Iterable[Case]) -> dict[int, Escalation]:
    """Who escalated each case of the page, and why, in one query:
    `{% escalations page.object_list as escalated %}`."""
    return escalations_of(cases)


@register.filter
def by_id(mapping: Mapping[int, Any], key: int) -> Any:
    """`mapping[key]`, or None: `{{ escalated|by_id:case.pk }}`."""
    return mapping.get(key)


@register.filter
def policy_title(policy: Any) -> str:
    """The policy's title in the page's language (falling back to Russian, then English)."""
    return policy.localized("title", get_language() or "ru") if policy is not None else ""
