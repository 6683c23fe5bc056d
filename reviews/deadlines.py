"""Deadlines of cases and appeals, and the warning before one is breached.

One definition for every page that marks them (the queue, the appeals page, the case and
appeal pages) and for the dashboard that counts them (reviews.oversight): a deadline is
*breached* once it has passed, and *due soon* within its warning window before that
(`CASE_DEADLINE_WARN_HOURS`, `APPEAL_DEADLINE_WARN_HOURS`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

BREACHED = "breached"
DUE_SOON = "due_soon"


def case_warning() -> timedelta:
    return timedelta(hours=settings.CASE_DEADLINE_WARN_HOURS)


def appeal_warning() -> timedelta:
    return timedelta(hours=settings.APPEAL_DEADLINE_WARN_HOURS)


def deadline_state(
    deadline: datetime | None, *, warning: timedelta, now: datetime | None = None
) -> str:
    """BREACHED, DUE_SOON or "" (nothing to say), for one deadline."""
    if deadline is None:
        return ""
    now = now or timezone.now()
    if deadline <= now:
        return BREACHED
    return DUE_SOON if deadline <= now + warning else ""


def breached_q(now: datetime, field: str = "deadline") -> Q:
    """The rows whose deadline has passed: the same rule as `deadline_state`, in SQL."""
    return Q(**{f"{field}__lte": now})


def due_soon_q(now: datetime, warning: timedelta, field: str = "deadline") -> Q:
    """The rows within their warning window, not yet breached."""
    return Q(**{f"{field}__gt": now, f"{field}__lte": now + warning})
