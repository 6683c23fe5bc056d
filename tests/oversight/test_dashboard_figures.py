"""Every figure of the dashboard on a fixed world (tests/oversight/dashboard_world.py),
against values worked out by hand. The same expectations hold on SQLite (percentiles in
Python) and PostgreSQL (percentile_cont)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reviews import oversight
from reviews.oversight import Filters, Load, Tally
from reviews.percentiles import Spread
from reviews.rule_stats import Share
from tests.oversight.dashboard_world import (
    FIRST_DAY,
    LAST_DAY,
    NOW,
    PHOTO,
    PRICE,
    REPEAT,
    TEXT,
    World,
    build_world,
)

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
S = timedelta(seconds=1)


@pytest.fixture
def world(kolesa, krisha) -> World:
    return build_world(kolesa, krisha)


def filters(world: World, who: str, **kw) -> Filters:
    user = world.users[who]
    user.get_all_permissions()  # read once per request, before the figures: not counted here
    return Filters(user=user, first_day=FIRST_DAY, last_day=LAST_DAY, now=NOW, **kw)


# --- what waits -------------------------------------------------------------------------


def test_open_cases_per_queue_by_age_and_deadline(world, django_assert_num_queries):
    f = filters(world, "hub_supervisor")
    with django_assert_num_queries(1):
        loads = oversight.open_cases(f)
    #                         total  <1h 1-4h 4-24h 1-3d >3d  due breached
    assert loads.queues == [
        Load("partner:kolesa:account", "Kolesa.kz · Account", 1, (0, 0, 0, 0, 1), 0, 1),
        Load("partner:kolesa:listing", "Kolesa.kz · Listing", 5, (1, 2, 1, 1, 0), 2, 1),
        Load("partner:krisha:listing", "Krisha.kz · Listing", 2, (0, 0, 1, 1, 0), 1, 0),
        Load("escalated", "Escalations", 1, (0, 1, 0, 0, 0), 1, 0),
    ]
    assert loads.total == Load("all", "All", 9, (1, 3, 2, 2, 1), 4, 2)
    # The scheme queues leave the escalations aside, as on the queue page.
    assert [(s.key, s.total, s.due_soon, s.breached) for s in loads.schemes] == [
        ("scheme:underpriced_vehicle", 5, 2, 1),
        ("scheme:fake_rental", 2, 1, 0),
        ("scheme:repeat_offender", 1, 0, 1),
    ]


def test_a_partners_supervisor_counts_its_own_cases_only(world):
    loads = oversight.open_cases(filters(world, "kolesa_supervisor"))
    assert [q.key for q in loads.queues] == [
        "partner:kolesa:account",
        "partner:kolesa:listing",
        "escalated",
    ]
    assert loads.total == Load("all", "All", 7, (1, 3, 1, 1, 1), 3, 2)


def test_the_warning_window_is_a_setting(world, settings):
    settings.CASE_DEADLINE_WARN_HOURS = 1
    loads = oversight.open_cases(filters(world, "hub_supervisor"))
    # Due within the hour: c4 (1 h) and c8 (30 min); c2 (3 h) and c7 (4 h) no longer.
    assert (loads.total.due_soon, loads.total.breached) == (2, 2)


def test_open_appeals_per_partner(world, django_assert_num_queries):
    f = filters(world, "hub_supervisor")
    with django_assert_num_queries(1):
        loads = oversight.open_appeals(f)
    assert loads.partners == [
        # Filed 2 days 8 h ago, due in 8 h (warning: 12 h).
        Load("kolesa", "Kolesa.kz", 1, (0, 0, 0, 1, 0), 1, 0),
        # Filed 6 days 6 h ago, past its deadline.
        Load("krisha", "Krisha.kz", 1, (0, 0, 0, 0, 1), 0, 1),
    ]
    assert (loads.total.total, loads.total.due_soon, loads.total.breached) == (2, 1, 1)


# --- what was done ----------------------------------------------------------------------


def test_cases_opened_and_decided_per_local_day(world, django_assert_num_queries):
    f = filters(world, "hub_supervisor")
    with django_assert_num_queries(2):
        flow = oversight.daily_flow(f)
    assert [(d.day.day, d.opened, d.decided) for d in flow] == [
        (2, 1, 1),  # d5, opened and decided in the small hours (1 November in UTC)
        (3, 3, 2),  # d1, d2 and the open c6; d1 and d2 decided
        (4, 1, 1),  # d3; the reversal of d1 is not a decision on a case
        (5, 1, 0),  # d4
        (6, 1, 1),  # c8; d4 decided
        (7, 2, 0),  # c5, d6
        (8, 6, 1),  # c1, c2, c3, c4, c7, c9; d6 decided
    ]


def test_decisions_by_action_scheme_and_partner(world, django_assert_num_queries):
    f = filters(world, "hub_supervisor")
    with django_assert_num_queries(1):
        breakdown = oversight.decision_breakdown(f)
    # d1–d6: d7 was decided a minute before the period, d1's reversal is an appeal's.
    assert breakdown.total == 6
    assert breakdown.by_action == [
        Tally("block_account", "Block account", 2),
        Tally("remove_listing", "Remove listing", 2),
        Tally("clear", "Clear (no violation)", 1),
        Tally("warn", "Warn", 1),
    ]
    assert breakdown.by_scheme == [
        Tally("underpriced_vehicle", "Vehicle at a suspiciously low price", 2),
        Tally("fake_rental", "Fake short-term rental", 1),
        Tally("other", "Other", 1),
        Tally("repeat_offender", "Repeat registration", 1),
        Tally("fake_photos", "Stolen or fake photos", 1),
    ]
    assert breakdown.by_partner == [
        Tally("kolesa", "Kolesa.kz", 4),
        Tally("krisha", "Krisha.kz", 2),
    ]


def test_one_partner_chosen(world):
    chosen = filters(world, "hub_supervisor", partner=world.krisha)
    breakdown = oversight.decision_breakdown(chosen)
    assert breakdown.by_partner == [Tally("krisha", "Krisha.kz", 2)]
    assert [line.name for line in oversight.moderators(chosen, named=True)] == ["krisha.c"]
    assert oversight.open_cases(chosen).total.total == 2


def test_median_and_90th_percentile_times(world, django_assert_num_queries):
    f = filters(world, "hub_supervisor")
    with django_assert_num_queries(2):
        times = oversight.durations(f)
    # Opened to decided: 1, 2, 3, 10, 20, 24 h. Median between 3 and 10; the 90th
    # percentile at rank 4.5 of 0–5, halfway from 20 to 24.
    assert times.to_decide == Spread(6, 6.5 * H, 22 * H)
    # Filed to resolved, of the appeals resolved in the period: 3, 6, 24 h (rank 1.8 of
    # 0–2 for the 90th: 6 + 0.8 × 18).
    assert times.to_resolve == Spread(3, 6 * H, 20.4 * H)


def test_appeal_and_overturn_rates_per_moderator(world, django_assert_num_queries):
    f = filters(world, "hub_supervisor")
    with django_assert_num_queries(2):
        lines = oversight.moderators(f, named=True)
    assert [line.name for line in lines] == ["kolesa.a", "kolesa.b", "krisha.c"]
    a, b, c = lines
    # kolesa.a: a removal overturned, a block upheld (1 h and 3 h to decide).
    assert (a.rates.decisions, a.rates.appeal_rate, a.rates.overturn_rate) == (
        2,
        Share(2, 2),
        Share(1, 2),
    )
    assert a.to_decide == Spread(2, 2 * H, 2.8 * H)
    # Sampled: d1 agreed with, d2 not; d3 not judged yet; d5 agreed with.
    assert [line.agreement for line in lines] == [Share(1, 2), Share(0, 0), Share(1, 1)]
    # kolesa.b: a clearance and a block whose appeal waits (10 h, 24 h).
    assert (b.rates.appeal_rate, b.rates.overturn_rate) == (Share(1, 1), Share(0, 0))
    assert b.to_decide == Spread(2, 17 * H, 22.6 * H)
    # krisha.c: a removal in review and a warning (2 h, 20 h).
    assert (c.rates.appealable, c.rates.appealed, c.rates.resolved) == (1, 1, 0)
    assert c.to_decide == Spread(2, 11 * H, 18.2 * H)


def test_colleagues_are_numbered_unless_the_viewer_may_see_deciders(world):
    lines = oversight.moderators(filters(world, "hub_supervisor"), named=False)
    assert [line.name for line in lines] == ["Moderator 1", "Moderator 2", "Moderator 3"]


def test_rules_precision_and_appeals_with_shadow_rules_apart(world, django_assert_num_queries):
    f = filters(world, "hub_supervisor")
    with django_assert_num_queries(3):
        board = oversight.rules(f)
    assert [(line.code, line.mode) for line in board.live] == [
        (PHOTO, "live"),
        (PRICE, "live"),
        (REPEAT, "live"),
    ]
    assert [(line.code, line.mode) for line in board.not_live] == [(TEXT, "shadow")]
    photo, price, repeat = board.live
    (text,) = board.not_live
    # price.below_market: cases d1, d3, d5 and the open c1 (d7 opened before); d1 removed
    # and overturned, d3 cleared, d5 removed: one right block of three decided.
    assert price.figures is not None and price.figures.cases == 4
    assert price.precision == Share(1, 3)
    # d1 (two signals of the rule, counted once), d3, d5.
    assert (price.rates.decisions, price.rates.appeal_rate, price.rates.overturn_rate) == (
        3,
        Share(2, 2),
        Share(1, 1),
    )
    assert (photo.precision, photo.rates.appeal_rate, photo.rates.overturn_rate) == (
        Share(1, 1),
        Share(1, 1),
        Share(0, 1),
    )
    assert (repeat.precision, repeat.rates.appeal_rate, repeat.rates.overturn_rate) == (
        Share(1, 1),
        Share(1, 1),
        Share(0, 0),
    )
    # text.prepayment: d2 and the open c8; d2 blocked and upheld.
    assert text.figures is not None and text.figures.cases == 2
    assert (text.precision, text.rates.decisions, text.rates.overturn_rate) == (
        Share(1, 1),
        1,
        Share(0, 1),
    )


def test_a_partners_rules_count_its_own_cases(world):
    board = oversight.rules(filters(world, "kolesa_supervisor", partner=world.kolesa))
    price = next(line for line in board.live if line.code == PRICE)
    # d1 (overturned) and d3 (cleared), and the open c1.
    assert price.figures is not None and price.figures.cases == 3
    assert price.precision == Share(0, 2)
    assert (price.rates.decisions, price.rates.appealed, price.rates.overturned) == (2, 1, 1)


# --- the lists, look-ups, deliveries ----------------------------------------------------


def test_list_activity(world, django_assert_num_queries):
    f = filters(world, "hub_supervisor")
    with django_assert_num_queries(2):
        hub = oversight.list_activity(f)
    assert hub == oversight.ListActivity(
        listed=3,  # the decision's black entry, the bank's, Kolesa's withdrawn one
        promoted=1,
        quarantined=1,
        delisted=2,  # overturned, withdrawn
        expired=1,
        disputes_opened=2,
        disputes_resolved=1,
    )
    # Kolesa's staff see its own entries and those in force; the black entry its decision
    # listed was revoked, so they no longer see it.
    kolesa = oversight.list_activity(filters(world, "kolesa_supervisor", partner=world.kolesa))
    assert kolesa == oversight.ListActivity(
        listed=1,
        promoted=0,
        quarantined=1,
        delisted=1,
        expired=0,
        disputes_opened=1,
        disputes_resolved=0,
    )


def test_lookups_and_enumeration_alerts(world, django_assert_num_queries):
    partners = [world.bank, world.kolesa, world.krisha]
    f = filters(world, "hub_supervisor")
    with django_assert_num_queries(2):
        hub = oversight.lookup_activity(f, partners)
    assert [
        (line.partner, line.purpose, line.hits, line.misses, line.invalid, line.total)
        for line in hub.lines
    ] == [
        ("Demo Bank KZ", "Investigation", 0, 400, 0, 400),
        ("Demo Bank KZ", "Payment", 7, 50, 0, 57),
        ("Kolesa.kz", "Listing", 7, 23, 1, 31),  # not the 100 misses of 1 November
    ]
    assert [a.partner.name for a in hub.alerts] == ["Demo Bank KZ"]
    assert hub.slowed == [world.bank] and hub.shows_alerts

    # Alerts are the hub's: a partner's supervisor sees its own look-ups and no alert.
    kolesa = oversight.lookup_activity(
        filters(world, "kolesa_supervisor", partner=world.kolesa), [world.kolesa]
    )
    assert [(line.partner, line.total) for line in kolesa.lines] == [("Kolesa.kz", 31)]
    assert (kolesa.alerts, kolesa.slowed, kolesa.shows_alerts) == ([], [], False)


def test_delivery_health_per_partner(world, django_assert_num_queries):
    partners = [world.bank, world.kolesa, world.krisha]
    f = filters(world, "hub_supervisor")
    with django_assert_num_queries(2):
        lines = oversight.delivery_health(f, partners)
    assert [
        (line.partner.slug, line.pending, line.retrying, line.dead, line.delivered)
        for line in lines
    ] == [
        ("demo-bank", 0, 0, 0, 0),
        ("kolesa", 1, 0, 1, 3),  # not the delivery of 30 October
        ("krisha", 0, 2, 0, 1),
    ]
    bank, kolesa, krisha = lines
    assert bank.latency == Spread()
    # 2, 4 and 10 s: the 90th percentile at rank 1.8, 4 + 0.8 × 6.
    assert kolesa.latency == Spread(3, 4 * S, 8.8 * S)
    assert krisha.latency == Spread(1, S, S)


def test_a_moderators_own_line(world):
    own = oversight.own_line(filters(world, "mod_a", decider=world.users["mod_a"]))
    assert own.decisions.by_action == [
        Tally("block_account", "Block account", 1),
        Tally("remove_listing", "Remove listing", 1),
    ]
    assert own.line is not None and own.line.name == "kolesa.a"
    assert (own.line.rates.appeal_rate, own.line.rates.overturn_rate) == (Share(2, 2), Share(1, 2))
    assert own.line.agreement == Share(1, 2)


def test_an_own_line_names_its_moderator(world):
    with pytest.raises(ValueError, match="names the moderator"):
        oversight.own_line(filters(world, "mod_a"))
