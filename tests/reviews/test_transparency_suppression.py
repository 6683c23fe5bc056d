"""What the transparency report withholds: primary suppression (counts from 1 to
TRANSPARENCY_MIN_COUNT − 1, medians and shares on too few records) and secondary
suppression (no withheld figure can be worked out from a total by subtraction), first on
bare cells, then on hand-made monthly figures stored through the recomputation and read
back through `figures_report`, as the page and the downloads read them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import cast

import pytest

from accounts.models import Partner
from reviews.models import MonthlyFigure
from reviews.transparency import min_count
from reviews.transparency.compute import figures_recompute
from reviews.transparency.report import Figure, figures_report
from reviews.transparency.suppression import Cell, Kind, suppress
from tests.factories import PartnerFactory

NOVEMBER = date(2026, 11, 1)


def counts(**values: float) -> dict[str, Cell]:
    return {key: Cell(value, int(value)) for key, value in values.items()}


# --- bare cells -------------------------------------------------------------------------


def test_the_threshold_is_the_setting(settings):
    assert min_count() == 5
    settings.TRANSPARENCY_MIN_COUNT = 10
    assert min_count() == 10
    cells = counts(a=9, b=10)
    assert suppress(cells, [], min_count()) == {"a"}


@pytest.mark.parametrize(
    ("value", "withheld"), [(0, False), (1, True), (4, True), (5, False), (120, False)]
)
def test_a_count_from_one_to_four_is_withheld(value, withheld):
    cells = counts(a=value)
    assert suppress(cells, [], 5) == ({"a"} if withheld else set())
    assert cells["a"].suppressed is withheld


@pytest.mark.parametrize(("basis", "withheld"), [(0, False), (4, True), (5, False)])
def test_a_median_is_withheld_on_fewer_than_five_records(basis, withheld):
    cells = {"median": Cell(36.5, basis, Kind.MEDIAN)}
    assert suppress(cells, [], 5) == ({"median"} if withheld else set())


def test_one_withheld_figure_of_a_group_takes_the_smallest_other_with_it():
    cells = counts(a=7, b=3, c=12, zero=0, total=22)
    assert suppress(cells, [["a", "b", "c", "zero", "total"]], 5) == {"b", "a"}


def test_two_withheld_figures_need_no_third():
    cells = counts(a=7, b=3, c=2, total=12)
    assert suppress(cells, [["a", "b", "c", "total"]], 5) == {"b", "c"}


def test_a_zero_is_never_withheld_to_hide_another():
    # 3 of a total of 3: both withheld on their own; the zeros stay.
    cells = counts(a=3, zero=0, other=0, total=3)
    assert suppress(cells, [["a", "zero", "other", "total"]], 5) == {"a", "total"}
    cells = counts(a=0, b=6, total=6)
    assert suppress(cells, [["a", "b", "total"]], 5) == set()


def test_a_figure_never_published_is_withheld_first_on_a_tie():
    cells = {**counts(a=3, b=8, total=19), "rest": Cell(8, 8, Kind.IMPLIED)}
    assert suppress(cells, [["a", "b", "rest", "total"]], 5) == {"a", "rest"}


def test_withholding_is_repeated_across_groups_until_none_has_a_single_one():
    """Two partners' figures by two keys, with every total published: the first figure
    withheld spreads through rows and columns (by hand: P1·k1 is 3; its row takes P1·k2, its
    column P2·k1, then P1·k2's column takes P2·k2)."""
    cells = counts(p1k1=3, p1k2=8, p1t=11, p2k1=6, p2k2=9, p2t=15, k1=9, k2=17, t=26)
    rows = [["p1k1", "p1k2", "p1t"], ["p2k1", "p2k2", "p2t"], ["k1", "k2", "t"]]
    columns = [["p1k1", "p2k1", "k1"], ["p1k2", "p2k2", "k2"], ["p1t", "p2t", "t"]]
    withheld = suppress(cells, rows + columns, 5)
    assert withheld == {"p1k1", "p1k2", "p2k1", "p2k2"}
    for group in rows + columns:
        assert sum(key in withheld for key in group) != 1, group


# --- the report -------------------------------------------------------------------------


@pytest.fixture
def partners(db) -> tuple[Partner, Partner]:
    return (
        cast(Partner, PartnerFactory(slug="kolesa", name="Kolesa.kz")),
        cast(Partner, PartnerFactory(slug="krisha", name="Krisha.kz")),
    )


def store(month: date, rows: Sequence[tuple[Partner | None, str, str, float, int]]) -> None:
    """The month's figures as a maker would compute them, through the recomputation."""

    def maker(*, start: datetime, end: datetime) -> list[MonthlyFigure]:
        return [
            MonthlyFigure(partner=partner, metric=metric, key=key, value=value, basis=basis)
            for partner, metric, key, value, basis in rows
        ]

    figures_recompute(month=month, makers=[maker])


def blocked(kolesa: Partner, krisha: Partner) -> list[tuple[Partner | None, str, str, float, int]]:
    return [
        (kolesa, "blocked", "fake_rental", 3, 3),
        (kolesa, "blocked", "underpriced_vehicle", 10, 10),
        (kolesa, "blocked", "fake_photos", 6, 6),
        (krisha, "blocked", "fake_rental", 7, 7),
        (krisha, "blocked", "underpriced_vehicle", 20, 20),
        (None, "blocked", "fake_rental", 10, 10),
        (None, "blocked", "underpriced_vehicle", 30, 30),
        (None, "blocked", "fake_photos", 6, 6),
    ]


WITHHELD = Figure(None, True, Kind.COUNT)


def test_blocks_by_scheme_per_partner_and_for_all(partners):
    """Worked out by hand, in the report's order (rows, then columns, over and over):
    Kolesa's 3 fake rentals are withheld; in Kolesa's row its 6 fake photos go too; in the
    fake-rental column, Krisha's 7; in the fake-photos column, all partners' 6; in the
    all-partners row, their 10 fake rentals; in Krisha's row, its 20 underpriced vehicles;
    in that column, Kolesa's 10. The totals stay."""
    kolesa, krisha = partners
    store(NOVEMBER, blocked(kolesa, krisha))
    month = figures_report(month=NOVEMBER).current
    every, k, r = (month.section(pk) for pk in (None, kolesa.pk, krisha.pk))
    assert every and k and r
    assert [s.slug for s in month.sections] == ["all", "kolesa", "krisha"]
    assert k.figure("blocked", "fake_rental") == WITHHELD
    assert k.figure("blocked", "fake_photos") == WITHHELD
    assert k.figure("blocked", "underpriced_vehicle") == WITHHELD
    assert k.figure("blocked") == Figure(19)
    assert r.figure("blocked", "fake_rental") == WITHHELD
    assert r.figure("blocked", "underpriced_vehicle") == WITHHELD
    assert r.figure("blocked", "fake_photos") == Figure(0)
    assert r.figure("blocked") == Figure(27)
    assert every.figure("blocked", "fake_rental") == WITHHELD
    assert every.figure("blocked", "fake_photos") == WITHHELD
    assert every.figure("blocked", "underpriced_vehicle") == Figure(30)
    assert every.figure("blocked") == Figure(46)
    # Nothing removed: zeros, never withheld.
    assert every.figure("removed") == Figure(0)


def test_shares_follow_the_counts_they_are_made_of(partners):
    """Kolesa: 2 of its 19 decisions raised by detection, withheld, and so its share; the
    17 others are the figure withheld beside it (never published). Krisha's 20 go with
    Kolesa's 2 in the partners' column (22 for all), and its share with them."""
    kolesa, krisha = partners
    rows = []
    for partner, decisions, detected in ((kolesa, 19, 2), (krisha, 27, 20), (None, 46, 22)):
        rows += [
            (partner, "decisions", "", decisions, decisions),
            (partner, "automated_detection", "", detected, detected),
            (partner, "decided_by_people", "", decisions, decisions),
        ]
    store(NOVEMBER, rows)
    month = figures_report(month=NOVEMBER).current
    every, k, r = (month.section(pk) for pk in (None, kolesa.pk, krisha.pk))
    assert every and k and r
    assert k.figure("automated_detection") == WITHHELD
    assert k.figure("automated_detection_share") == Figure(None, True, "share")
    assert r.figure("automated_detection") == WITHHELD
    assert r.figure("automated_detection_share") == Figure(None, True, "share")
    assert every.figure("automated_detection_share") == Figure(22 / 46, False, "share")
    for section in (every, k, r):
        assert section.figure("decided_by_people_share") == Figure(1.0, False, "share")
        assert section.figure("decisions").suppressed is False


def test_a_share_of_fewer_than_five_decisions_is_withheld(partners):
    kolesa, _krisha = partners
    store(
        NOVEMBER,
        [
            (kolesa, "decisions", "", 4, 4),
            (kolesa, "decided_by_people", "", 4, 4),
            (None, "decisions", "", 4, 4),
            (None, "decided_by_people", "", 4, 4),
        ],
    )
    month = figures_report(month=NOVEMBER).current
    k = month.section(kolesa.pk)
    assert k is not None
    assert k.figure("decisions") == WITHHELD
    assert k.figure("decided_by_people_share") == Figure(None, True, "share")
    # None of them raised by detection: 0 % of 4 would still tell the 4.
    assert k.figure("automated_detection_share") == Figure(None, True, "share")


def test_medians_on_too_few_appeals_are_withheld_and_none_is_not(partners):
    kolesa, krisha = partners
    store(
        NOVEMBER,
        [
            (kolesa, "appeal_hours_median", "", 10.0, 3),
            (krisha, "appeal_hours_median", "", 30.0, 5),
            (None, "appeal_hours_median", "", 20.0, 8),
            (krisha, "reports", "user_complaint", 5, 5),
            (None, "reports", "user_complaint", 5, 5),
        ],
    )
    month = figures_report(month=NOVEMBER).current
    every, k, r = (month.section(pk) for pk in (None, kolesa.pk, krisha.pk))
    assert every and k and r
    assert k.figure("appeal_hours_median") == Figure(None, True, Kind.MEDIAN)
    assert r.figure("appeal_hours_median") == Figure(30.0, False, Kind.MEDIAN)
    assert every.figure("appeal_hours_median") == Figure(20.0, False, Kind.MEDIAN)
    # No decision reached the partners: no median, and nothing withheld.
    assert every.figure("sync_minutes_median") == Figure(None, False, Kind.MEDIAN)


def test_what_the_all_partners_figure_holds_beyond_the_partners_counts_as_a_figure(partners):
    """8 disputes, 6 of entries Kolesa proposed and 2 of entries listed by decisions (no
    partner's): all partners' 8 minus Kolesa's 6 would tell the 2, so Kolesa's goes."""
    kolesa, _krisha = partners
    store(
        NOVEMBER,
        [(kolesa, "entries_disputed", "", 6, 6), (None, "entries_disputed", "", 8, 8)],
    )
    month = figures_report(month=NOVEMBER).current
    k, every = month.section(kolesa.pk), month.section(None)
    assert k and every
    assert k.figure("entries_disputed") == WITHHELD
    assert every.figure("entries_disputed") == Figure(8)


def test_each_month_is_withheld_on_its_own(partners):
    kolesa, krisha = partners
    store(
        date(2026, 10, 1),
        [(kolesa, "blocked", "fake_rental", 9, 9), (None, "blocked", "fake_rental", 9, 9)],
    )
    store(NOVEMBER, blocked(kolesa, krisha))
    report = figures_report(month=NOVEMBER, months=3)
    assert [m.month for m in report.months] == [date(2026, 9, 1), date(2026, 10, 1), NOVEMBER]
    september, october, november = report.months
    assert september.sections and september.sections[0].figure("blocked") == Figure(0)
    october_kolesa = october.section(kolesa.pk)
    assert october_kolesa and october_kolesa.figure("blocked", "fake_rental") == Figure(9)
    assert october.section(krisha.pk) is None
    november_kolesa = november.section(kolesa.pk)
    assert november_kolesa and november_kolesa.figure("blocked", "fake_rental") == WITHHELD


def test_the_report_reads_in_one_query(partners, django_assert_num_queries):
    kolesa, krisha = partners
    store(NOVEMBER, blocked(kolesa, krisha))
    with django_assert_num_queries(1):
        figures_report(month=NOVEMBER, months=12)
