"""Rule precision on fixed data: per rule, the cases it raised, how their first decision
went, and how many blocks and removals were overturned."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from antifraud.models import Signal
from reviews.models import Case, Decision, Policy
from reviews.rule_stats import (
    CLEARED,
    OTHER,
    OVERTURNED,
    UPHELD,
    RuleFigures,
    Share,
    decided_cases,
    rule_performance,
)
from tests.factories import CaseFactory, SignalFactory, SubjectFactory, UserFactory

pytestmark = pytest.mark.django_db

SINCE = timezone.make_aware(datetime(2026, 9, 1))
UNTIL = timezone.make_aware(datetime(2026, 12, 1))
DAY = timedelta(days=1)


class World:
    """Cases with rule signals, and decisions written as rows (they are immutable records,
    made here without the services' side effects)."""

    def __init__(self, partner) -> None:
        self.partner = partner
        self.moderator = UserFactory(partner=partner, role=Role.MODERATOR)
        self.senior = UserFactory(partner=partner, role=Role.SENIOR_MODERATOR)
        self.policy = Policy.objects.get(code="fake-rental", is_current=True)

    def case(self, *signals: tuple[str, bool], opened: datetime = SINCE + DAY, partner=None):
        """A case whose signals are (rule, shadow) pairs; rule "" is a partner's report."""
        partner = partner or self.partner
        subject = SubjectFactory(partner=partner, kind="account")
        case = CaseFactory(subject=subject, opened_at=opened)
        for rule, shadow in signals:
            case.signals.add(
                SignalFactory(
                    subject=subject,
                    source=Signal.Source.DETECTION_RULE if rule else Signal.Source.USER_COMPLAINT,
                    rule=rule,
                    rule_version=1 if rule else None,
                    shadow=shadow,
                )
            )
        return case

    def decide(self, case: Case, action: str, *, hours: int = 1, reverses=None) -> Decision:
        return Decision.objects.create(
            case=case,
            subject=case.subject,
            action=action,
            policy=self.policy,
            statement_of_reasons="Основание указано.",
            decided_by=self.senior if reverses else self.moderator,
            decided_at=case.opened_at + timedelta(hours=hours),
            reverses=reverses,
        )


LIVE, SHADOW = False, True
A, B = "prices.below_market", "photos.reused"


@pytest.fixture
def world(kolesa) -> World:
    return World(kolesa)


@pytest.fixture
def cases(world, krisha) -> dict[str, Case]:
    made = {
        "upheld": world.case((A, LIVE)),
        # Two signals of A, one live and one shadow: one case, counted live and shadow.
        "overturned": world.case((A, LIVE), (A, SHADOW)),
        "cleared": world.case((A, SHADOW)),
        "warned": world.case((A, LIVE)),
        "undecided": world.case((A, LIVE)),
        # Cleared first, blocked after a new signal: the first decision counts.
        "cleared_then_blocked": world.case((A, LIVE)),
        # Recorded out of order: the earlier decision counts, not the first row.
        "removed_before_clearance": world.case((A, LIVE), (B, LIVE)),
        "b_only": world.case((B, SHADOW), ("", LIVE)),
        "report_only": world.case(("", LIVE)),
        "before": world.case((A, LIVE), opened=SINCE - timedelta(seconds=1)),
        "at_until": world.case((A, LIVE), opened=UNTIL),
        "krisha": world.case((A, LIVE), partner=krisha),
    }
    world.decide(made["upheld"], "block_account")
    removal = world.decide(made["overturned"], "remove_listing")
    world.decide(made["overturned"], "reverse", hours=30, reverses=removal)
    world.decide(made["cleared"], "clear")
    world.decide(made["warned"], "warn")
    world.decide(made["cleared_then_blocked"], "clear")
    world.decide(made["cleared_then_blocked"], "block_account", hours=50)
    world.decide(made["removed_before_clearance"], "clear", hours=5)
    world.decide(made["removed_before_clearance"], "remove_listing", hours=2)
    world.decide(made["b_only"], "block_account")
    world.decide(made["report_only"], "block_account")
    for name in ("before", "at_until", "krisha"):
        world.decide(made[name], "block_account")
    return made


def by_code(figures: list[RuleFigures]) -> dict[str, RuleFigures]:
    return {f.code: f for f in figures}


def test_figures_per_rule(cases, django_assert_num_queries):
    with django_assert_num_queries(1):
        figures = rule_performance(since=SINCE, until=UNTIL)

    assert [f.code for f in figures] == [B, A]
    a, b = by_code(figures)[A], by_code(figures)[B]
    # A: upheld, overturned, cleared, warned, undecided, cleared_then_blocked,
    # removed_before_clearance and Krisha's; not the case before the period nor the one
    # opened when it ends.
    assert (a.cases, a.live_cases, a.shadow_cases, a.decided) == (8, 7, 2, 7)
    assert a.blocked == Share(4, 7)  # upheld, overturned, removed_before_clearance, krisha
    assert a.cleared == Share(2, 7)  # cleared, cleared_then_blocked
    assert a.overturned == Share(1, 4)
    assert a.blocked.fraction == pytest.approx(4 / 7)
    assert a.overturned.percent == pytest.approx(25.0)

    assert (b.cases, b.live_cases, b.shadow_cases, b.decided) == (2, 1, 1, 2)
    assert b.blocked == Share(2, 2) and b.cleared == Share(0, 2)
    assert b.overturned == Share(0, 2)


def test_a_partners_staff_count_their_partners_cases(cases, kolesa, krisha):
    kolesa_supervisor = UserFactory(partner=kolesa, role=Role.SUPERVISOR)
    krisha_supervisor = UserFactory(partner=krisha, role=Role.SUPERVISOR)
    hub_supervisor = UserFactory(partner=None, role=Role.SUPERVISOR)

    mine = by_code(rule_performance(since=SINCE, until=UNTIL, user=kolesa_supervisor))
    assert mine[A].cases == 7 and mine[A].blocked == Share(3, 6)
    theirs = by_code(rule_performance(since=SINCE, until=UNTIL, user=krisha_supervisor))
    assert list(theirs) == [A] and theirs[A].cases == 1
    every = by_code(rule_performance(since=SINCE, until=UNTIL, user=hub_supervisor))
    assert every[A].cases == 8
    moderator = UserFactory(partner=kolesa, role=Role.MODERATOR)
    assert rule_performance(since=SINCE, until=UNTIL, user=moderator) != []  # may see cases
    assert rule_performance(since=SINCE, until=UNTIL, user=UserFactory(partner=kolesa)) == []


def test_no_case_no_figures(cases):
    assert rule_performance(since=UNTIL + DAY, until=UNTIL + 2 * DAY) == []
    empty = Share(0, 0)
    assert empty.fraction is None and empty.percent is None


def test_the_query_does_not_grow_with_cases(world, django_assert_num_queries):
    for index in range(30):
        case = world.case((A, LIVE), (B, index % 2 == 0))
        world.decide(case, "block_account" if index % 3 else "clear")
    with django_assert_num_queries(1):
        figures = by_code(rule_performance(since=SINCE, until=UNTIL))
    assert figures[A].decided == 30 and figures[A].blocked == Share(20, 30)
    assert (figures[B].live_cases, figures[B].shadow_cases) == (15, 15)


def test_decided_cases_with_their_outcomes(cases, django_assert_num_queries):
    with django_assert_num_queries(1):
        decided = {
            d.case_id: (d.subject_id, d.outcome) for d in decided_cases(since=SINCE, until=UNTIL)
        }
    outcome = {name: decided.get(case.pk, (None, None))[1] for name, case in cases.items()}
    assert outcome == {
        "upheld": UPHELD,
        "overturned": OVERTURNED,
        "cleared": CLEARED,
        "warned": OTHER,
        "undecided": None,
        "cleared_then_blocked": CLEARED,
        "removed_before_clearance": UPHELD,
        "b_only": UPHELD,
        "report_only": UPHELD,
        "before": None,
        "at_until": None,
        "krisha": UPHELD,
    }
    assert decided[cases["upheld"].pk][0] == cases["upheld"].subject_id
