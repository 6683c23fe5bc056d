"""The transparency report's monthly figures (reviews.transparency.figures) on a fixed world
built through the services at chosen times, November 2026 on Almaty's clock: every figure,
per partner and for all, worked out by hand below. Then the recomputation, the beat task and
the command.

The world (times are Almaty's, UTC+5):

Kolesa  K1  3 Nov 12:00  block, underpriced vehicle; case from a partner report and a live
            detection rule (and a shadow one); phone P1 black-listed; its events reach Kolesa
            at 12:03 and Krisha at 12:07 (7 min). Appeal filed 4 Nov 08:00, upheld 5 Nov 08:00.
        K2  5 Nov 10:00  listing removed, fake photos; events at 10:01, 10:02 (2 min). Appeal
            filed 28 Nov 10:00, upheld 2 Dec 10:00 (December's).
        K3  10 Nov 15:00 block under a policy without a scheme, case of fake contacts, from the
            police; events at 15:20 (20 min).
        K4  12 Nov 10:00 clearance (no events).
        K5  31 Oct 23:30 block (October's); appeal filed 31 Oct 23:45, upheld 1 Nov 03:45 (4 h).
        K6  20 Nov 14:00 block; Kolesa has its events at 14:01, Krisha's fail: pending.
        a complaint at 1 Nov 00:30 (November's: 31 Oct 19:30 UTC), one at 1 Dec 00:00 (not).
Krisha  R1  4 Nov 11:00  block, fake rental; complaint and list match; phone P2 black-listed;
            events at 11:10 and 11:30 (30 min). Appeal filed 6 Nov 09:00, overturned 6 Nov
            13:00: the reversal's events all at 13:05 (5 min), P2 revoked.
OLX     a complaint on 8 Nov. No webhook: reads the feed.
Bank    proposes P6 on 30 Oct (disputed by Kolesa 2 Nov); P3 on 7 Nov, which Kolesa supports
        on 8 Nov and a senior moderator promotes on 9 Nov (it entered gray); P8 on 1 Dec.
Kolesa  proposes P4 12 Nov (disputed by the bank 13 Nov, revoked on the dispute 14 Nov), P5
        15 Nov (revoked 16 Nov), P7 17 Nov (withdrawn 18 Nov: not a revocation).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import cast

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Partner, User
from accounts.roles import Role
from antifraud import delivery as delivery_module
from antifraud.models import Delivery, Indicator, Scheme, Signal, Subject
from antifraud.services import registry
from antifraud.services.indicators import indicator_propose
from reviews import services
from reviews.models import Case, Decision, MonthlyFigure, Policy
from reviews.services import DecisionRequest, IndicatorChoice
from reviews.tasks import transparency_figures_refresh
from reviews.transparency.compute import (
    figures_backfill,
    figures_recompute,
    figures_refresh,
    month_bounds,
)
from reviews.transparency.figures import SUBJECT_EVENTS, report_figures
from reviews.transparency.report import STORED as REPORT_METRICS
from tests.factories import (
    CaseFactory,
    IdentifierFactory,
    PartnerFactory,
    SignalFactory,
    SubjectFactory,
    UserFactory,
)


# factory_boy's factories, typed as what they make.
def partner(**fields: object) -> Partner:
    return cast(Partner, PartnerFactory(**fields))


def user(**fields: object) -> User:
    return cast(User, UserFactory(**fields))


def subject(**fields: object) -> Subject:
    return cast(Subject, SubjectFactory(**fields))


pytestmark = pytest.mark.django_db

NOVEMBER = date(2026, 11, 1)
P = {n: f"+7701555000{n}" for n in range(1, 9)}
STATEMENT = "Это объявление настоящее, машина стоит у меня во дворе, готов показать."


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour, minute))


class Clock:
    """`timezone.now()` as the services read it, set by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = at(11, 1)
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, when: datetime) -> datetime:
        self.now = when
        return when


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def webhooks(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Partners answer webhooks at once, but those named in the set fail; no broker."""
    failing: set[str] = set()

    def send(claim) -> tuple[int | None, str]:
        return (500, "HTTP 500") if claim.partner.slug in failing else (200, "")

    monkeypatch.setattr(delivery_module, "_send", send)
    monkeypatch.setattr(delivery_module, "deliveries_enqueue", lambda ids, now: 0)
    return failing


def policy(code: str) -> Policy:
    return Policy.objects.get(code=code, is_current=True)


class World:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.kolesa = partner(slug="kolesa", name="Kolesa.kz", webhook_url="https://k.test/h")
        self.krisha = partner(slug="krisha", name="Krisha.kz", webhook_url="https://r.test/h")
        self.olx = partner(slug="olx", name="OLX.kz")
        self.bank = partner(slug="bank", name="Demo Bank", kind=Partner.Kind.BANK)
        self.moderators: dict[str, User] = {
            p.slug: user(username=f"{p.slug}.mod", partner=p, role=Role.MODERATOR)
            for p in (self.kolesa, self.krisha)
        }
        self.seniors: dict[str, User] = {
            p.slug: user(username=f"{p.slug}.senior", partner=p, role=Role.SENIOR_MODERATOR)
            for p in (self.kolesa, self.krisha)
        }
        self.hub_senior = user(username="hub.senior", partner=None, role=Role.SENIOR_MODERATOR)
        self.decisions: dict[str, Decision] = {}

    # --- cases and decisions ---------------------------------------------------------

    def case(
        self,
        partner: Partner,
        opened: datetime,
        sources: tuple[str, ...],
        *,
        scheme: str = Scheme.UNDERPRICED_VEHICLE,
        phone: str | None = None,
        shadow_rule: bool = False,
    ) -> Case:
        account = subject(partner=partner, kind=Subject.Kind.ACCOUNT)
        listing = subject(partner=partner, kind=Subject.Kind.LISTING, account=account)
        if phone:
            IdentifierFactory(subject=listing, kind="phone", value=phone, display=phone)
        made = cast(
            Case,
            CaseFactory(
                subject=listing,
                scheme=scheme,
                opened_at=opened,
                deadline=opened + timedelta(days=1),
            ),
        )
        for source in sources:
            made.signals.add(self.signal(listing, source, opened, scheme=scheme))
        if shadow_rule:
            made.signals.add(
                self.signal(listing, Signal.Source.DETECTION_RULE, opened, shadow=True)
            )
        return made

    def signal(self, subject: Subject, source: str, when: datetime, **fields) -> Signal:
        reporter = subject.partner if source == Signal.Source.PARTNER_REPORT else None
        made = SignalFactory(
            subject=subject, source=source, partner=reporter, created_at=when, **fields
        )
        return cast(Signal, made)

    def decide(
        self, name: str, case: Case, action: str, code: str, when: datetime, *, black: bool = False
    ) -> Decision:
        moderator = self.moderators[case.partner.slug]
        self.clock.set(when - timedelta(minutes=1))
        services.case_claim(actor=moderator, case_id=case.pk)
        self.clock.set(when)
        identifiers = tuple(
            IndicatorChoice(identifier_id=i.pk, list="black")
            for i in case.subject.identifiers.all()
            if black
        )
        outcome = services.decision_record(
            actor=moderator,
            case_id=case.pk,
            request=DecisionRequest(
                action=action,
                policy_id=policy(code).pk,
                statement_of_reasons="Основание указано в правилах.",
                indicators=identifiers,
            ),
        )
        [decision] = outcome.decisions
        self.decisions[name] = decision
        return decision

    def deliver(self, decision: Decision, when: datetime, partner: Partner | None = None) -> None:
        """The decision's events still due (to `partner`, or all) are sent at `when`."""
        rows = Delivery.objects.filter(
            created_at=decision.decided_at,
            event_type__in=SUBJECT_EVENTS,
            status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
        )
        if partner is not None:
            rows = rows.filter(partner=partner)
        self.clock.set(when)
        for pk in rows.values_list("pk", flat=True):
            delivery_module.delivery_attempt(delivery_id=pk)

    # --- appeals ---------------------------------------------------------------------

    def appeal(self, decision: Decision, filed: datetime, resolved: datetime, overturn: bool):
        self.clock.set(filed)
        appeal = services.appeal_file(decision_id=decision.pk, statement=STATEMENT, consent=True)
        senior = self.seniors[decision.subject.partner.slug]
        self.clock.set(resolved - timedelta(minutes=5))
        services.appeal_claim(actor=senior, appeal_id=appeal.pk)
        self.clock.set(resolved)
        return services.appeal_resolve(
            actor=senior, appeal_id=appeal.pk, overturn=overturn, reply="Решение пересмотрено."
        )

    # --- the lists -------------------------------------------------------------------

    def propose(self, partner: Partner, phone: str, when: datetime) -> Indicator:
        self.clock.set(when)
        return indicator_propose(
            partner=partner, kind="phone", value=phone, display=phone, reason="предоплата"
        ).indicator


def build(world: World, webhooks: set[str]) -> None:
    w, kolesa, krisha = world, world.kolesa, world.krisha
    S = Signal.Source

    # Kolesa's decisions.
    k1 = w.case(
        kolesa, at(11, 3, 10), (S.PARTNER_REPORT, S.DETECTION_RULE), phone=P[1], shadow_rule=True
    )
    d = w.decide("K1", k1, "block_account", "underpriced-vehicle", at(11, 3, 12), black=True)
    w.deliver(d, at(11, 3, 12, 3), kolesa)
    w.deliver(d, at(11, 3, 12, 7), krisha)

    k2 = w.case(kolesa, at(11, 5, 9), (S.USER_COMPLAINT,), scheme=Scheme.FAKE_PHOTOS)
    d = w.decide("K2", k2, "remove_listing", "fake-photos", at(11, 5, 10))
    w.deliver(d, at(11, 5, 10, 1), kolesa)
    w.deliver(d, at(11, 5, 10, 2), krisha)

    # A policy without a scheme of its own: the case's scheme counts (catalogue data, as a
    # data migration would write it).
    Policy.objects.create(
        code="unspecified",
        scheme="",
        allowed_actions=["block_account"],
        title_en="Unspecified",
        title_ru="Без схемы",
        text_en="Fraud.",
        text_ru="Мошенничество.",
        statement_en="Fraud.",
        statement_ru="Мошенничество.",
    )
    k3 = w.case(kolesa, at(11, 10, 14), (S.LAW_ENFORCEMENT,), scheme=Scheme.FAKE_CONTACTS)
    d = w.decide("K3", k3, "block_account", "unspecified", at(11, 10, 15))
    w.deliver(d, at(11, 10, 15, 20))

    k4 = w.case(kolesa, at(11, 12, 9), (S.USER_COMPLAINT,))
    w.decide("K4", k4, "clear", "no-violation", at(11, 12, 10))

    k5 = w.case(kolesa, at(10, 31, 23), (S.USER_COMPLAINT,))
    w.decide("K5", k5, "block_account", "underpriced-vehicle", at(10, 31, 23, 30))

    k6 = w.case(kolesa, at(11, 20, 13), (S.PARTNER_REPORT,))
    d = w.decide("K6", k6, "block_account", "underpriced-vehicle", at(11, 20, 14))
    webhooks.add("krisha")
    w.deliver(d, at(11, 20, 14, 1))
    webhooks.clear()

    loose = subject(partner=kolesa, kind=Subject.Kind.LISTING)
    w.signal(loose, S.USER_COMPLAINT, at(11, 1, 0, 30))
    w.signal(loose, S.USER_COMPLAINT, at(12, 1, 0, 0))

    # Krisha's block, overturned on appeal.
    r1 = w.case(
        krisha,
        at(11, 4, 10),
        (S.USER_COMPLAINT, S.LIST_MATCH),
        scheme=Scheme.FAKE_RENTAL,
        phone=P[2],
    )
    d = w.decide("R1", r1, "block_account", "fake-rental", at(11, 4, 11), black=True)
    w.deliver(d, at(11, 4, 11, 10), kolesa)
    w.deliver(d, at(11, 4, 11, 30), krisha)

    # OLX's complaint.
    w.signal(subject(partner=w.olx), S.USER_COMPLAINT, at(11, 8, 12))

    # Appeals.
    w.appeal(w.decisions["K1"], at(11, 4, 8), at(11, 5, 8), overturn=False)
    overturned = w.appeal(w.decisions["R1"], at(11, 6, 9), at(11, 6, 13), overturn=True)
    w.deliver(overturned.reversal, at(11, 6, 13, 5))
    w.appeal(w.decisions["K2"], at(11, 28, 10), at(12, 2, 10), overturn=False)
    w.appeal(w.decisions["K5"], at(10, 31, 23, 45), at(11, 1, 3, 45), overturn=False)

    # The lists.
    p6 = w.propose(w.bank, P[6], at(10, 30, 10))
    w.clock.set(at(11, 2, 10))
    registry.dispute_open(partner=kolesa, indicator_id=p6.pk, reason="Номер нашего клиента.")
    p3 = w.propose(w.bank, P[3], at(11, 7, 10))
    w.propose(kolesa, P[3], at(11, 8, 10))
    w.clock.set(at(11, 9, 10))
    registry.indicator_promote(actor=w.hub_senior, indicator_id=p3.pk, note="Кворум партнёров.")
    p4 = w.propose(kolesa, P[4], at(11, 12, 10))
    w.clock.set(at(11, 13, 10))
    dispute = registry.dispute_open(partner=w.bank, indicator_id=p4.pk, reason="Клиент банка.")
    w.clock.set(at(11, 14, 10))
    registry.dispute_resolve(
        actor=w.hub_senior, dispute_id=dispute.pk, revoke=True, resolution="Ошибка внесения."
    )
    p5 = w.propose(kolesa, P[5], at(11, 15, 10))
    w.clock.set(at(11, 16, 10))
    registry.indicator_revoke(actor=w.hub_senior, indicator_id=p5.pk, reason="Ошибка.", wrong=False)
    p7 = w.propose(kolesa, P[7], at(11, 17, 10))
    w.clock.set(at(11, 18, 10))
    registry.indicator_withdraw(partner=kolesa, indicator_id=p7.pk)
    w.propose(w.bank, P[8], at(12, 1, 0, 0))


@pytest.fixture
def world(clock: Clock, webhooks: set[str]) -> World:
    made = World(clock)
    build(made, webhooks)
    return made


Figures = dict[tuple[str, str, str], tuple[float, int]]


def figures_of(rows: list[MonthlyFigure]) -> Figures:
    slugs = dict(Partner.objects.values_list("pk", "slug"))
    found: Figures = {}
    for row in rows:
        key = (slugs[row.partner_id] if row.partner_id else "all", row.metric, row.key)
        assert key not in found, f"{key} twice"
        found[key] = (row.value, row.basis)
    return found


def counts(**by_partner: dict[tuple[str, str], int]) -> Figures:
    return {
        (partner, metric, key): (float(n), n)
        for partner, figures in by_partner.items()
        for (metric, key), n in figures.items()
    }


EXPECTED: Figures = {
    **counts(
        all={
            ("reports", "partner_report"): 2,
            ("reports", "user_complaint"): 5,
            ("reports", "detection_rule"): 1,
            ("reports", "list_match"): 1,
            ("reports", "law_enforcement"): 1,
            ("decisions", ""): 6,
            ("automated_detection", ""): 2,
            ("decided_by_people", ""): 6,
            ("blocked", "underpriced_vehicle"): 2,
            ("blocked", "fake_contacts"): 1,
            ("blocked", "fake_rental"): 1,
            ("removed", "fake_photos"): 1,
            ("appeals_filed", ""): 3,
            ("appeals_upheld", ""): 2,
            ("appeals_overturned", ""): 1,
            ("entries_listed", "black"): 2,
            ("entries_listed", "gray"): 4,
            ("entries_disputed", ""): 2,
            ("entries_revoked", ""): 3,
            ("sync_pending", ""): 1,
        },
        kolesa={
            ("reports", "partner_report"): 2,
            ("reports", "detection_rule"): 1,
            ("reports", "user_complaint"): 3,
            ("reports", "law_enforcement"): 1,
            ("decisions", ""): 5,
            ("automated_detection", ""): 1,
            ("decided_by_people", ""): 5,
            ("blocked", "underpriced_vehicle"): 2,
            ("blocked", "fake_contacts"): 1,
            ("removed", "fake_photos"): 1,
            ("appeals_filed", ""): 2,
            ("appeals_upheld", ""): 2,
            ("entries_listed", "gray"): 3,
            ("entries_disputed", ""): 1,
            ("entries_revoked", ""): 2,
            ("sync_pending", ""): 1,
        },
        krisha={
            ("reports", "user_complaint"): 1,
            ("reports", "list_match"): 1,
            ("decisions", ""): 1,
            ("automated_detection", ""): 1,
            ("decided_by_people", ""): 1,
            ("blocked", "fake_rental"): 1,
            ("appeals_filed", ""): 1,
            ("appeals_overturned", ""): 1,
        },
        olx={("reports", "user_complaint"): 1},
        bank={("entries_listed", "gray"): 1, ("entries_disputed", ""): 1},
    ),
    # Medians: the value and how many records it rests on.
    ("all", "appeal_hours_median", ""): (4.0, 3),  # 24, 4, 4
    ("kolesa", "appeal_hours_median", ""): (14.0, 2),  # 24, 4
    ("krisha", "appeal_hours_median", ""): (4.0, 1),
    ("all", "sync_minutes_median", ""): (7.0, 5),  # 2, 5, 7, 20, 30
    ("kolesa", "sync_minutes_median", ""): (7.0, 3),  # 2, 7, 20
    ("krisha", "sync_minutes_median", ""): (17.5, 2),  # 5, 30
}


def test_every_figure_of_the_month_per_partner_and_for_all(world):
    start, end = month_bounds(NOVEMBER)
    rows = report_figures(start=start, end=end)
    assert {row.month for row in rows} == {NOVEMBER}
    assert figures_of(rows) == EXPECTED


def test_the_month_is_almatys(world):
    """The complaint at 00:30 on 1 November in Almaty is 31 October in UTC: November's.
    The block at 23:30 on 31 October is October's, and so is its appeal's filing."""
    start, end = month_bounds(date(2026, 10, 1))
    assert start.astimezone(UTC) == datetime(2026, 9, 30, 19, 0, tzinfo=UTC)
    october = figures_of(report_figures(start=start, end=end))
    assert october[("kolesa", "blocked", "underpriced_vehicle")] == (1.0, 1)
    assert october[("kolesa", "appeals_filed", "")] == (1.0, 1)
    assert october[("bank", "entries_listed", "gray")] == (1.0, 1)
    # K5's events were never delivered: pending, not a time.
    assert october[("kolesa", "sync_pending", "")] == (1.0, 1)
    assert ("kolesa", "appeals_upheld", "") not in october


def test_partners_reading_the_feed_have_the_events_at_once(clock, webhooks):
    """No partner has a webhook: every event is in the feed the moment it is written."""
    world = World(clock)
    world.kolesa.webhook_url = world.krisha.webhook_url = ""
    Partner.objects.update(webhook_url="")
    case = world.case(world.kolesa, at(11, 3, 10), (Signal.Source.USER_COMPLAINT,))
    world.decide("K", case, "block_account", "underpriced-vehicle", at(11, 3, 12))
    assert set(Delivery.objects.values_list("status", flat=True)) == {"feed"}
    found = figures_of(report_figures(start=at(11, 1), end=at(12, 1)))
    assert found[("all", "sync_minutes_median", "")] == (0.0, 1)
    assert found[("kolesa", "sync_minutes_median", "")] == (0.0, 1)
    assert ("all", "sync_pending", "") not in found


# --- keeping them -----------------------------------------------------------------------


def only_report(*, start: datetime, end: datetime) -> list[MonthlyFigure]:
    return report_figures(start=start, end=end)


def stored(month: date) -> Figures:
    return figures_of(list(MonthlyFigure.objects.filter(month=month)))


def test_a_recomputation_replaces_the_month_and_renews_the_pages(
    world, django_capture_on_commit_callbacks
):
    from reviews.public_site import generation

    MonthlyFigure.objects.create(month=NOVEMBER, metric="reports", key="gone", value=9, basis=9)
    MonthlyFigure.objects.create(month=date(2026, 10, 1), metric="decisions", value=9, basis=9)
    before = generation()
    world.clock.set(at(12, 5, 9))
    with django_capture_on_commit_callbacks(execute=True):
        written = figures_recompute(month=date(2026, 11, 17), makers=[only_report])
    assert written == len(EXPECTED)
    assert stored(NOVEMBER) == EXPECTED
    # Other months are left alone.
    assert MonthlyFigure.objects.filter(month=date(2026, 10, 1)).count() == 1
    assert set(
        MonthlyFigure.objects.filter(month=NOVEMBER).values_list("computed_at", flat=True)
    ) == {at(12, 5, 9)}
    assert generation() == before + 1
    # Safe to run twice: the same rows, not twice as many.
    figures_recompute(
        month=NOVEMBER, makers=["tests.reviews.test_transparency_figures.only_report"]
    )
    assert stored(NOVEMBER) == EXPECTED


def test_the_refresh_covers_the_current_and_the_previous_month(world):
    world.clock.set(at(12, 1, 0, 30))
    figures_refresh()
    months = set(MonthlyFigure.objects.values_list("month", flat=True))
    assert months == {NOVEMBER, date(2026, 12, 1)}
    assert {k: v for k, v in stored(NOVEMBER).items() if k[1] in REPORT_METRICS} == EXPECTED
    december = stored(date(2026, 12, 1))
    assert december[("all", "reports", "user_complaint")] == (1.0, 1)
    assert december[("bank", "entries_listed", "gray")] == (1.0, 1)


def test_the_backfill_covers_every_month_with_data_and_drops_the_rest(world):
    MonthlyFigure.objects.create(month=date(2025, 1, 1), metric="decisions", value=9, basis=9)
    world.clock.set(at(12, 5, 9))
    figures_backfill()
    months = set(MonthlyFigure.objects.values_list("month", flat=True))
    assert months == {date(2026, 10, 1), NOVEMBER, date(2026, 12, 1)}
    assert {k: v for k, v in stored(NOVEMBER).items() if k[1] in REPORT_METRICS} == EXPECTED


def test_the_beat_task_refreshes_and_may_run_twice(world):
    world.clock.set(at(11, 30, 23))
    transparency_figures_refresh()
    first = MonthlyFigure.objects.count()
    transparency_figures_refresh()
    assert MonthlyFigure.objects.count() == first
    assert set(MonthlyFigure.objects.values_list("month", flat=True)) == {
        date(2026, 10, 1),
        NOVEMBER,
    }
    assert {k: v for k, v in stored(NOVEMBER).items() if k[1] in REPORT_METRICS} == EXPECTED


def test_the_command_recomputes_one_month_or_all(world):
    world.clock.set(at(12, 5, 9))
    out = io.StringIO()
    call_command("transparency_figures", "--month", "2026-11", stdout=out)
    assert "2026-11:" in out.getvalue()
    assert set(MonthlyFigure.objects.values_list("month", flat=True)) == {NOVEMBER}
    call_command("transparency_figures", "--all", stdout=out)
    assert set(MonthlyFigure.objects.values_list("month", flat=True)) == {
        date(2026, 10, 1),
        NOVEMBER,
        date(2026, 12, 1),
    }


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "November", "2026-11-01", ""])
def test_the_command_refuses_a_bad_month_in_one_line(db, bad):
    with pytest.raises(CommandError) as refused:
        call_command("transparency_figures", "--month", bad)
    assert "\n" not in str(refused.value)
    assert "YYYY-MM" in str(refused.value)
    assert not MonthlyFigure.objects.exists()


def test_the_command_exits_non_zero_on_a_bad_month():
    import subprocess
    import sys
    from pathlib import Path

    manage = Path(__file__).resolve().parents[2] / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "transparency_figures", "--month", "2026-13"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "CommandError: --month '2026-13' is not a month (YYYY-MM, e.g. 2026-11)"
    ]


# --- a bounded number of queries ---------------------------------------------------------


def grow(world: World, n: int, day: int) -> None:
    """n more blocks on `day`, each with its events delivered, an appeal resolved and an
    entry proposed and disputed."""
    for i in range(n):
        case = world.case(world.krisha, at(11, day, 8, i), (Signal.Source.USER_COMPLAINT,))
        decision = world.decide(
            f"g{day}-{i}", case, "block_account", "fake-rental", at(11, day, 9, i)
        )
        world.deliver(decision, at(11, day, 9, i + 30))
        world.appeal(decision, at(11, day, 12, i), at(11, day, 18, i), overturn=i % 2 == 0)
        entry = world.propose(world.kolesa, f"+7702{day:02d}{i:05d}", at(11, day, 20, i))
        world.clock.set(at(11, day, 21, i))
        registry.dispute_open(partner=world.bank, indicator_id=entry.pk, reason="Клиент банка.")


def queries_of(make: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        make()
    return len(captured)


def test_the_figures_take_as_many_queries_for_many_subjects_as_for_few(world):
    def compute() -> object:
        return figures_recompute(month=NOVEMBER, makers=[only_report])

    grow(world, 1, 22)
    few = queries_of(compute)
    grow(world, 6, 23)
    many = queries_of(compute)
    assert many == few
    assert stored(NOVEMBER)[("krisha", "appeals_filed", "")][0] == 1 + 1 + 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_recomputations_of_a_month_take_turns():
    """Beat and the command at once: the second waits for the first to commit, then
    replaces its rows; the month never holds both."""
    import threading

    from django.db import connection

    inside, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(*, start: datetime, end: datetime) -> list[MonthlyFigure]:
        calls.append("first")
        inside.set()
        release.wait(10)
        return [MonthlyFigure(metric="decisions", value=1, basis=1)]

    def quick(*, start: datetime, end: datetime) -> list[MonthlyFigure]:
        calls.append("second")
        return [MonthlyFigure(metric="decisions", value=2, basis=2)]

    def run(maker: Callable[..., list[MonthlyFigure]]) -> None:
        try:
            figures_recompute(month=NOVEMBER, makers=[maker])
        finally:
            connection.close()

    first = threading.Thread(target=run, args=(slow,))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=run, args=(quick,))
    second.start()
    second.join(1.0)
    assert second.is_alive() and calls == ["first"], "the second did not wait"
    release.set()
    first.join(10)
    second.join(10)
    assert calls == ["first", "second"]
    assert list(MonthlyFigure.objects.filter(month=NOVEMBER).values_list("value", flat=True)) == [
        2.0
    ]
