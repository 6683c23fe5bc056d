"""A fixed world for the dashboard (tests/oversight/test_dashboard_*.py): cases opened and decided at known times, appeals upheld
and overturned, signals of known rules, list entries, look-ups and deliveries with known
latencies. The expected figures are worked out by hand in the tests.

Decisions, appeals, entries and deliveries are written as rows, as tests/reviews/
test_rule_stats.py does: the services stamp them with the present time, and these figures
are about times chosen in the past.

The period is 2 to 8 November 2026 (local dates, Asia/Almaty); "now" is 8 November 18:00.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import Partner, User
from accounts.roles import Role
from antifraud.models import (
    Delivery,
    DetectionRule,
    Dispute,
    Indicator,
    LookupAlert,
    LookupTally,
    Scheme,
    Signal,
    Subject,
)
from reviews.models import Appeal, Case, Decision, Policy, QualitySample
from tests.factories import CaseFactory, PartnerFactory, SignalFactory, SubjectFactory, UserFactory

FIRST_DAY, LAST_DAY = date(2026, 11, 2), date(2026, 11, 8)
H = timedelta(hours=1)

PRICE, PHOTO, TEXT, REPEAT = (
    "price.below_market",
    "photo.reused",
    "text.prepayment",
    "repeat.registration",
)


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour, minute, second))


NOW = at(8, 18)


@dataclass
class World:
    kolesa: Partner
    krisha: Partner
    bank: Partner
    users: dict[str, User] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)
    appeals: dict[str, Appeal] = field(default_factory=dict)


class Builder:
    """Builds the world once per `copy`: a second copy doubles every row (new staff and
    subjects, the same partners), for the query budget."""

    def __init__(self, world: World, copy: int = 0) -> None:
        self.world = world
        self.copy = copy
        self.policy = Policy.objects.get(code="fake-rental", is_current=True)
        self.sequence = 0

    def name(self, base: str) -> str:
        return base if self.copy == 0 else f"{base}.{self.copy}"

    def user(self, key: str, username: str, partner: Partner | None, role: str) -> User:
        made = UserFactory(username=self.name(username), partner=partner, role=role)
        self.world.users[key] = made
        return made

    def case(
        self,
        key: str,
        partner: Partner,
        *,
        opened: datetime,
        deadline: datetime | None = None,
        kind: str = Subject.Kind.LISTING,
        scheme: str = Scheme.UNDERPRICED_VEHICLE,
        rules: tuple[tuple[str, bool], ...] = (),
        **fields,
    ) -> Case:
        """A case whose signals are (rule, shadow) pairs, besides a user's complaint."""
        subject = SubjectFactory(partner=partner, kind=kind)
        made = CaseFactory(
            subject=subject,
            scheme=scheme,
            opened_at=opened,
            deadline=deadline or opened + 24 * H,
            **fields,
        )
        made.signals.add(SignalFactory(subject=subject, scheme=scheme))
        for rule, shadow in rules:
            made.signals.add(
                SignalFactory(
                    subject=subject,
                    scheme=scheme,
                    source=Signal.Source.DETECTION_RULE,
                    rule=rule,
                    rule_version=1,
                    shadow=shadow,
                )
            )
        self.world.cases[key] = made
        return made

    def decided(self, key: str, partner: Partner, *, opened: datetime, decided: datetime, **kw):
        return self.case(
            key, partner, opened=opened, status=Case.Status.DECIDED, decided_at=decided, **kw
        )

    def decide(self, key: str, action: str, by: str, at_: datetime, reverses=None) -> Decision:
        case = self.world.cases[key]
        made = Decision.objects.create(
            case=case,
            subject=case.subject,
            action=action,
            policy=self.policy,
            statement_of_reasons="Основание указано.",
            decided_by=self.world.users[by],
            decided_at=at_,
            reverses=reverses,
        )
        self.world.decisions[key if reverses is None else f"{key}-reversal"] = made
        return made

    def appeal(self, key: str, status: str, *, filed: datetime, deadline=None, **fields) -> Appeal:
        made = Appeal.objects.create(
            decision=self.world.decisions[key],
            status=status,
            statement="Я не мошенник, объявление настоящее.",
            filed_at=filed,
            deadline=deadline or filed + 72 * H,
            **fields,
        )
        self.world.appeals[key] = made
        return made

    def build(self) -> None:
        w = self.world
        kolesa, krisha = w.kolesa, w.krisha
        self.user("mod_a", "kolesa.a", kolesa, Role.MODERATOR)
        self.user("mod_b", "kolesa.b", kolesa, Role.MODERATOR)
        self.user("mod_c", "krisha.c", krisha, Role.MODERATOR)
        self.user("senior", "kolesa.senior", kolesa, Role.SENIOR_MODERATOR)
        self.user("krisha_senior", "krisha.senior", krisha, Role.SENIOR_MODERATOR)

        # Open cases: their ages and deadlines as seen at NOW (warning: 4 hours).
        self.case("c1", kolesa, opened=NOW - H / 2, rules=((PRICE, False),))  # < 1 h
        self.case("c2", kolesa, opened=NOW - 2 * H, deadline=NOW + 3 * H)  # 1–4 h, due soon
        self.case("c3", kolesa, opened=NOW - H)  # exactly 1 h: 1–4 h
        self.case("c4", kolesa, opened=NOW - 10 * H, deadline=NOW + H)  # 4–24 h, due soon
        self.case(  # 1–3 days, breached, held by a moderator
            "c5",
            kolesa,
            opened=NOW - 30 * H,
            deadline=NOW - 6 * H,
            status=Case.Status.CLAIMED,
            claimed_by=w.users["mod_a"],
            lease_until=NOW + H,
        )
        self.case(  # > 3 days, breached
            "c6",
            kolesa,
            opened=NOW - 5 * 24 * H,
            deadline=NOW - 4 * 24 * H,
            kind=Subject.Kind.ACCOUNT,
            scheme=Scheme.REPEAT_OFFENDER,
        )
        self.case(  # 1–4 h, due exactly at the end of the window: due soon
            "c7",
            kolesa,
            opened=NOW - 3 * H,
            deadline=NOW + 4 * H,
            status=Case.Status.ESCALATED,
            is_escalated=True,
        )
        self.case(  # 1–3 days, due soon
            "c8",
            krisha,
            opened=NOW - 50 * H,
            deadline=NOW + H / 2,
            scheme=Scheme.FAKE_RENTAL,
            rules=((TEXT, True),),
        )
        self.case(  # exactly 4 h: 4–24 h
            "c9",
            krisha,
            opened=NOW - 4 * H,
            scheme=Scheme.FAKE_RENTAL,
            status=Case.Status.AWAITING_APPROVAL,
        )

        # Decided cases: opened → decided 1 h, 3 h, 10 h, 24 h, 2 h, 20 h.
        self.decided(
            "d1",
            kolesa,
            opened=at(3, 10),
            decided=at(3, 11),
            rules=((PRICE, False), (PRICE, False)),
        )
        self.decided(
            "d2",
            kolesa,
            opened=at(3, 10),
            decided=at(3, 13),
            scheme=Scheme.FAKE_PHOTOS,
            rules=((PHOTO, False), (TEXT, True)),
        )
        self.decided("d3", kolesa, opened=at(4, 8), decided=at(4, 18), rules=((PRICE, False),))
        self.decided(
            "d4",
            kolesa,
            opened=at(5, 9),
            decided=at(6, 9),
            kind=Subject.Kind.ACCOUNT,
            scheme=Scheme.REPEAT_OFFENDER,
            rules=((REPEAT, False),),
        )
        # Opened half an hour into 2 November, local time (still 1 November in UTC).
        self.decided(
            "d5",
            krisha,
            opened=at(2, 0, 30),
            decided=at(2, 2, 30),
            scheme=Scheme.FAKE_RENTAL,
            rules=((PRICE, False),),
        )
        self.decided("d6", krisha, opened=at(7, 16), decided=at(8, 12), scheme=Scheme.OTHER)
        # Decided a minute before the period.
        self.decided(
            "d7", kolesa, opened=at(30, 9, month=10), decided=at(1, 23, 59), rules=((PRICE, False),)
        )
        self.decide("d1", "remove_listing", "mod_a", at(3, 11))
        self.decide("d2", "block_account", "mod_a", at(3, 13))
        self.decide("d3", "clear", "mod_b", at(4, 18))
        self.decide("d4", "block_account", "mod_b", at(6, 9))
        self.decide("d5", "remove_listing", "mod_c", at(2, 2, 30))
        self.decide("d6", "warn", "mod_c", at(8, 12))
        self.decide("d7", "block_account", "mod_a", at(1, 23, 59))

        # Appeals: filed → resolved 24 h (overturned), 6 h (upheld), 3 h (upheld, of a
        # decision before the period); one waiting and due soon, one in review and breached.
        senior = w.users["senior"]
        reversal = self.decide("d1", "reverse", "senior", at(4, 12), reverses=w.decisions["d1"])
        self.appeal(
            "d1",
            Appeal.Status.OVERTURNED,
            filed=at(3, 12),
            reviewer=senior,
            resolved_at=at(4, 12),
            reversal=reversal,
        )
        self.appeal(
            "d2", Appeal.Status.UPHELD, filed=at(4, 9), reviewer=senior, resolved_at=at(4, 15)
        )
        self.appeal(
            "d7", Appeal.Status.UPHELD, filed=at(2, 10), reviewer=senior, resolved_at=at(2, 13)
        )
        self.appeal("d4", Appeal.Status.SUBMITTED, filed=at(6, 10), deadline=at(9, 2))
        self.appeal(
            "d5",
            Appeal.Status.IN_REVIEW,
            filed=at(2, 12),
            claimed_by=w.users["krisha_senior"],
            lease_until=NOW + H,
        )

        # Quality samples: kolesa.a agreed with once of twice, kolesa.b's not judged yet,
        # krisha.c's agreed with.
        sampler = self.user("sampler", "hub.sampler", None, Role.SUPERVISOR)
        for key, verdict, note in (
            ("d1", QualitySample.Verdict.AGREE, ""),
            ("d2", QualitySample.Verdict.DISAGREE, "Фото не чужие."),
            ("d3", "", ""),
            ("d5", QualitySample.Verdict.AGREE, ""),
        ):
            QualitySample.objects.create(
                decision=w.decisions[key],
                reason=QualitySample.Reason.RANDOM,
                drawn_at=at(8, 9),
                verdict=verdict,
                note=note,
                reviewer=sampler if verdict else None,
                reviewed_at=at(8, 10) if verdict else None,
            )

        self.lists()
        self.lookups()
        self.deliveries()

    def entry(self, partner: Partner | None, **fields) -> Indicator:
        self.sequence += 1
        fields.setdefault("list", Indicator.List.GRAY)
        if fields["list"] == Indicator.List.GRAY:
            fields.setdefault("expires_at", at(20, 0, month=12))
        return Indicator.objects.create(
            kind="phone",
            value=f"+7701{self.copy:02d}{self.sequence:05d}",
            origin=Indicator.Origin.PARTNER_PROPOSAL if partner else Indicator.Origin.DECISION,
            partner=partner,
            **fields,
        )

    def lists(self) -> None:
        w = self.world
        overturned = self.entry(
            None,
            list=Indicator.List.BLACK,
            listed_at=at(3, 11),
            revoked_at=at(4, 12),
            ended=Indicator.End.OVERTURNED,
        )
        w.decisions["d1"].listed_indicators.add(overturned)
        promoted = self.entry(
            w.bank,
            list=Indicator.List.BLACK,
            listed_at=at(5, 10),
            promoted_at=at(6, 10),
            promoted_by=w.users["senior"],
        )
        self.entry(w.kolesa, listed_at=at(20, 10, month=10), quarantined_at=at(7, 10))
        self.entry(w.krisha, listed_at=at(1, 10, month=10), expires_at=at(4, 10))
        self.entry(
            w.kolesa,
            listed_at=at(2, 10),
            revoked_at=at(3, 10),
            ended=Indicator.End.WITHDRAWN,
        )
        disputed = self.entry(w.krisha, listed_at=at(1, 10, month=9))
        Dispute.objects.create(
            indicator=disputed,
            partner=w.kolesa,
            reason="Номер нашего клиента.",
            created_at=at(6, 10),
        )
        Dispute.objects.create(
            indicator=promoted,
            partner=w.krisha,
            reason="Карта нашего арендодателя.",
            created_at=at(5, 12),
            status=Dispute.Status.UPHELD,
            reviewer=w.users["senior"],
            resolved_at=at(7, 12),
        )

    def lookups(self) -> None:
        w = self.world
        if self.copy:
            # The tallies are one row per partner, day, purpose and outcome: a copy adds
            # its own days, before the period.
            day = FIRST_DAY - timedelta(days=10 + self.copy)
            LookupTally.objects.create(
                partner=w.kolesa, day=day, purpose="listing", outcome="hit", count=9
            )
            return
        rows = [
            (w.kolesa, date(2026, 11, 3), "listing", "hit", 5),
            (w.kolesa, date(2026, 11, 3), "listing", "miss", 20),
            (w.kolesa, date(2026, 11, 3), "listing", "invalid", 1),
            (w.kolesa, date(2026, 11, 8), "listing", "hit", 2),
            (w.kolesa, date(2026, 11, 8), "listing", "miss", 3),
            (w.kolesa, date(2026, 11, 1), "listing", "miss", 100),  # before the period
            (w.bank, date(2026, 11, 4), "payment", "hit", 7),
            (w.bank, date(2026, 11, 4), "payment", "miss", 50),
            (w.bank, date(2026, 11, 5), "investigation", "miss", 400),
        ]
        for partner, day, purpose, outcome, count in rows:
            LookupTally.objects.create(
                partner=partner, day=day, purpose=purpose, outcome=outcome, count=count
            )
        LookupAlert.objects.create(
            partner=w.bank,
            created_at=at(5, 12),
            reason="400 misses in one block of numbers",
            slowed_until=NOW + 6 * H,
        )
        Partner.objects.filter(pk=w.bank.pk).update(lookup_slowed_until=NOW + 6 * H)

    def delivery(self, partner: Partner, status: str, created: datetime, seconds=None) -> None:
        self.sequence += 1
        Delivery.objects.create(
            partner=partner,
            event_type=Delivery.EventType.SUBJECT_BLOCKED,
            webhook_id=f"msg_{self.copy}_{self.sequence}",
            payload={},
            status=status,
            created_at=created,
            delivered_at=None if seconds is None else created + timedelta(seconds=seconds),
        )

    def deliveries(self) -> None:
        w, S = self.world, Delivery.Status
        # Kolesa: delivered in 2 s, 4 s and 10 s; one waiting, one dead; one before.
        self.delivery(w.kolesa, S.DELIVERED, at(3, 11), 2)
        self.delivery(w.kolesa, S.DELIVERED, at(4, 11), 4)
        self.delivery(w.kolesa, S.DELIVERED, at(5, 11), 10)
        self.delivery(w.kolesa, S.PENDING, NOW - H)
        self.delivery(w.kolesa, S.DEAD, at(6, 11))
        self.delivery(w.kolesa, S.DELIVERED, at(30, 11, month=10), 100)
        # Krisha: delivered in 1 s; two retrying.
        self.delivery(w.krisha, S.DELIVERED, at(6, 11), 1)
        self.delivery(w.krisha, S.RETRYING, at(7, 11))
        self.delivery(w.krisha, S.RETRYING, at(8, 11))


def build_world(kolesa: Partner, krisha: Partner) -> World:
    """The world, with the hub's and each partner's supervisors."""
    bank = PartnerFactory(slug="demo-bank", name="Demo Bank KZ", kind=Partner.Kind.BANK)
    made = World(kolesa=kolesa, krisha=krisha, bank=bank)
    made.users["hub_admin"] = UserFactory(
        username="hub.admin", partner=None, role=Role.ADMIN, is_staff=True
    )
    made.users["hub_supervisor"] = UserFactory(
        username="hub.supervisor", partner=None, role=Role.SUPERVISOR
    )
    made.users["kolesa_supervisor"] = UserFactory(
        username="kolesa.supervisor", partner=kolesa, role=Role.SUPERVISOR
    )
    made.users["krisha_supervisor"] = UserFactory(
        username="krisha.supervisor", partner=krisha, role=Role.SUPERVISOR
    )
    Builder(made).build()
    # text.prepayment runs in shadow mode; the others are live, as by default.
    DetectionRule.objects.create(code=TEXT, mode=DetectionRule.Mode.SHADOW, version=2)
    for partner in (kolesa, krisha, bank):
        partner.refresh_from_db()
    return made


def double(world: World) -> None:
    """Every row of the world once more (the same partners)."""
    copy = World(kolesa=world.kolesa, krisha=world.krisha, bank=world.bank)
    Builder(copy, copy=1).build()
