"""The demo's registry: a bank, a telecom operator and the police, who joined the three
classifieds platforms lately, and what they and the platforms put on the lists.

Built through the services, as the partners' systems would through the API: indicator
reports from the bank and the police (cards, IBANs, phones, an IIN) that become gray entries
and signals on the open cases of subjects carrying them; a platform's proposal that the bank
then corroborates, so that it waits for a senior moderator's promotion; a dispute, a
quarantine after a spike of hits, feedback on entries, and a number the telecom reports
reassigned to a new subscriber. A few dozen writes: the demo still builds in one go.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from django.utils import timezone

from accounts.models import Partner
from antifraud.models import Feedback, Indicator, IndicatorKind, Scheme, Signal
from antifraud.normalize import Normalized, normalize_iban, normalize_iin
from antifraud.services.indicators import indicator_propose
from antifraud.services.partners import partner_create
from antifraud.services.registry import (
    dispute_open,
    feedback_record,
    hits_record,
    phone_reassigned,
)
from reviews.services.intake import IndicatorReportInput, reports_ingest


@dataclass(frozen=True)
class RegistryPartnerSpec:
    slug: str
    name: str
    kind: str


# Clearly demo organisations (no webhook receiver: they read the event feed).
REGISTRY_PARTNERS = [
    RegistryPartnerSpec("demo-bank", "Demo Bank KZ", Partner.Kind.BANK),
    RegistryPartnerSpec("demo-telecom", "Demo Telecom KZ", Partner.Kind.TELECOM),
    RegistryPartnerSpec("demo-police", "Police of Almaty (demo)", Partner.Kind.LAW_ENFORCEMENT),
]
BANK_REPORTS = 8
POLICE_REPORTS = 4

BANK_SCHEMES = [
    Scheme.PREPAID_DELIVERY,
    Scheme.FICTITIOUS_STORE,
    Scheme.FAKE_RENTAL,
    Scheme.FALSE_INVESTMENT,
]
POLICE_SCHEMES = [Scheme.FALSE_CALL, Scheme.FALSE_INVESTMENT, Scheme.FAKE_RENTAL]
BANK_STORIES = [
    "Клиент оплатил запчасти с доставкой, товар не пришёл, продавец перестал отвечать.",
    "Предоплата за бронь квартиры посуточно; квартиры по адресу не существует.",
    "Перевод на карту «менеджера» интернет-магазина, магазин закрылся через неделю.",
    "Клиент вложил деньги в «инвестиционную платформу», вывод средств заблокирован.",
]
POLICE_STORIES = [
    "Уголовное дело: звонки от имени службы безопасности банка, потерпевшие перевели деньги.",
    "Материалы проверки: «брокер» убеждал оформить кредит и перевести его на счёт.",
    "Заявление потерпевшего: предоплата за аренду жилья, арендодатель исчез.",
]


class CrewValues(Protocol):
    """Values a crew uses on its accounts and listings (reviews.demo.builder.Crew)."""

    @property
    def phones(self) -> Sequence[Normalized]: ...

    @property
    def cards(self) -> Sequence[Normalized]: ...


def _iban(rng: random.Random) -> Normalized:
    """A Kazakh IBAN (20 characters) with correct check digits."""
    bban = f"{rng.randint(100, 999)}KZT{rng.randint(0, 10**10 - 1):010d}"
    digits = "".join(str(int(ch, 36)) for ch in f"{bban}KZ00")
    return normalize_iban(f"KZ{98 - int(digits) % 97:02d}{bban}")


def _iin(rng: random.Random) -> Normalized:
    """A Kazakh IIN: a birth date, the century and sex, a serial and its check digit."""
    while True:
        born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000))
        head = f"{born:%y%m%d}{3 if born.year < 2000 else 5}{rng.randint(0, 9999):04d}"
        for check in "0123456789":
            try:
                return normalize_iin(head + check)
            except ValueError:
                continue


class RegistryDemo:
    def __init__(
        self,
        *,
        rng: random.Random,
        platforms: dict[str, Partner],
        crews: Sequence[CrewValues],
        fresh_phone: Callable[[], Normalized],
        fresh_card: Callable[[], Normalized],
    ) -> None:
        self.rng = rng
        self.platforms = platforms
        self.crews = [c for c in crews if c.phones]
        self.fresh_phone = fresh_phone
        self.fresh_card = fresh_card
        self.partners: dict[str, Partner] = {}
        self.today = timezone.localdate()

    def build(self) -> dict[str, Partner]:
        for spec in REGISTRY_PARTNERS:
            self.partners[spec.slug] = partner_create(
                actor=None, name=spec.name, slug=spec.slug, kind=spec.kind
            )
        bank, police = self.partners["demo-bank"], self.partners["demo-police"]
        # A platform proposes a phone; the bank's first report names it too: partners of two
        # kinds, so the entry waits for a senior moderator's promotion.
        shared = self.fresh_phone()
        indicator_propose(
            partner=self.platforms["kolesa"],
            kind=shared.kind,
            value=shared.value,
            display=shared.display,
            reason="Три покупателя внесли предоплату за запчасти, товар не отправлен.",
            scheme=Scheme.PREPAID_DELIVERY,
        )
        reports_ingest(
            partner=bank,
            reports=[
                self._report(
                    "bank", n, BANK_SCHEMES, BANK_STORIES, extra=[shared] if n == 0 else []
                )
                for n in range(BANK_REPORTS)
            ],
        )
        reports_ingest(
            partner=police,
            reports=[
                self._report(
                    "police",
                    n,
                    POLICE_SCHEMES,
                    POLICE_STORIES,
                    source=Signal.Source.LAW_ENFORCEMENT,
                    extra=[_iin(self.rng)] if n == 0 else [],
                )
                for n in range(POLICE_REPORTS)
            ],
        )
        self._reviews_of_entries(bank)
        self._reassignment()
        return self.partners

    def _report(
        self,
        who: str,
        n: int,
        schemes: Sequence[str],
        stories: Sequence[str],
        *,
        source: str = Signal.Source.PARTNER_REPORT,
        extra: Sequence[Normalized] = (),
    ) -> IndicatorReportInput:
        crew = self.rng.choice(self.crews)
        values: list[Normalized] = [*extra]
        # Values a crew uses on open listings, so that their cases gain the report's signal;
        # and fresh ones nobody has seen yet.
        values.append(self.rng.choice(crew.cards) if crew.cards else self.fresh_card())
        values.append(_iban(self.rng))
        if self.rng.random() < 0.6:
            values.append(self.rng.choice(crew.phones))
        return IndicatorReportInput(
            report_id=f"{who}-{self.today:%Y%m%d}-{n:04d}",
            values=tuple(enumerate(values)),
            scheme=self.rng.choice(schemes),
            amount=self.rng.randint(3, 250) * 10_000,
            occurred_on=self.today - timedelta(days=self.rng.randint(1, 30)),
            description=self.rng.choice(stories),
            source=source,
            score=self.rng.randint(60, 85),
        )

    def _reviews_of_entries(self, bank: Partner) -> None:
        """What the platforms say of the bank's entries: feedback, a dispute, and a spike of
        look-ups that quarantines one."""
        entries = list(
            Indicator.objects.matching()
            .filter(partner=bank, list=Indicator.List.GRAY, promotion_due_at__isnull=True)
            .order_by("pk")
        )
        if len(entries) < 4:
            return
        confirmed, refuted, disputed, spiked = entries[:4]
        feedback_record(
            partner=self.platforms["kolesa"],
            indicator_id=confirmed.pk,
            verdict=Feedback.Verdict.TRUE_POSITIVE,
            note="Подтверждаем: тот же реквизит в трёх заблокированных объявлениях.",
        )
        feedback_record(
            partner=self.platforms["olx"],
            indicator_id=confirmed.pk,
            verdict=Feedback.Verdict.TRUE_POSITIVE,
        )
        feedback_record(
            partner=self.platforms["krisha"],
            indicator_id=refuted.pk,
            verdict=Feedback.Verdict.FALSE_POSITIVE,
            note="Реквизит принадлежит проверенному арендодателю.",
        )
        dispute_open(
            partner=self.platforms["krisha"],
            indicator_id=disputed.pk,
            reason="Счёт принадлежит агентству недвижимости, с которым мы работаем много лет.",
        )
        hits_record({spiked.pk: 80})

    def _reassignment(self) -> None:
        """The telecom reports that a crew's black-listed number went to a new subscriber."""
        black = (
            Indicator.objects.matching()
            .filter(kind=IndicatorKind.PHONE, list=Indicator.List.BLACK)
            .order_by("pk")
            .first()
        )
        if black is None:
            return
        phone_reassigned(
            partner=self.partners["demo-telecom"],
            value=black.value,
            display=black.display,
            reassigned_on=self.today - timedelta(days=20),
        )
