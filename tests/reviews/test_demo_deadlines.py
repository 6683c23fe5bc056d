"""The demo's deadlines are spread: most cases and open appeals have time left, some are due
soon, some are breached (before, every one was breached and red meant nothing)."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from reviews import deadlines
from reviews.models import Appeal, Case

pytestmark = pytest.mark.django_db

WAITING = (Case.Status.OPEN, Case.Status.CLAIMED, Case.Status.ESCALATED)


def states(rows, warning) -> Counter[str]:
    now = timezone.now()
    return Counter(deadlines.deadline_state(d, warning=warning, now=now) for d in rows)


def test_the_demo_spreads_its_deadlines():
    call_command("seed_demo", "--scale", "0.02", "--seed", "5", stdout=StringIO())
    cases = states(
        Case.objects.filter(status__in=WAITING).values_list("deadline", flat=True),
        deadlines.case_warning(),
    )
    total = sum(cases.values())
    assert total >= 100
    assert cases[""] > total * 0.6, cases  # most have time left
    assert total * 0.05 < cases[deadlines.DUE_SOON] < total * 0.25, cases
    assert total * 0.05 < cases[deadlines.BREACHED] < total * 0.25, cases
    # A case opens with its first report and is due CASE_DEADLINE_HOURS later.
    for case in Case.objects.filter(status__in=WAITING).prefetch_related("signals")[:50]:
        first = min(s.created_at for s in case.signals.all())
        assert case.opened_at == first <= timezone.now()
    appeals = states(
        Appeal.objects.filter(
            status__in=[Appeal.Status.SUBMITTED, Appeal.Status.IN_REVIEW]
        ).values_list("deadline", flat=True),
        deadlines.appeal_warning(),
    )
    assert sum(appeals.values()) >= 5
    assert appeals[""] > 0, appeals


def test_the_spread_is_the_same_for_the_same_seed():
    def spread() -> list:
        rows = list(
            Case.objects.order_by("subject__external_id").values_list("opened_at", "deadline")
        )
        # Times count back from the moment of seeding: compare them to the first case's.
        origin = rows[0][0]
        return [(opened - origin, deadline - origin) for opened, deadline in rows]

    call_command("seed_demo", "--scale", "0.01", "--seed", "9", stdout=StringIO())
    first = spread()
    call_command("seed_demo", "--scale", "0.01", "--seed", "9", "--reset", stdout=StringIO())
    assert spread() == first
