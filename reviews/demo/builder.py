"""Builds the demo: the three classifieds partners, their staff, thousands of blocked
accounts with their decisions, and thousands of listings waiting for review; then a bank, a
telecom operator and the police with what they put on the lists (reviews.demo.registry),
and an API key for every partner.

Fraud here is run by *crews*: each crew keeps a few phones, cards, devices and a set of
stolen photos, and reappears under new accounts and on other partners. That is what links
subjects into rings and what the black list catches. Rows are written in bulk, in one
transaction, with the same shapes the services write.
"""

from __future__ import annotations

import base64
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Partner, User
from accounts.roles import ADMIN_SITE_ROLES, Role
from antifraud import detection
from antifraud.audit import AuditEntry, audit_chain_extend, audit_record_many
from antifraud.detection import repeat
from antifraud.detection.base import Explanation
from antifraud.detection.photos import indicator_photos_index, photos_index
from antifraud.detection.rings import rings_update
from antifraud.models import (
    Delivery,
    Dispute,
    Indicator,
    IndicatorKind,
    Photo,
    Scheme,
    Signal,
    Subject,
    SubjectIdentifier,
)
from antifraud.normalize import Normalized, normalize_card, normalize_email, normalize_phone
from antifraud.outbox import event_payload
from antifraud.photos import photo_hashes, photo_store
from antifraud.services import feed_extend, market_prices_refresh
from antifraud.services.keys import api_key_create
from antifraud.services.partners import partner_create, partner_webhook_secret_rotate
from antifraud.services.staff import staff_create
from reviews.demo import catalogue as cat
from reviews.demo.listings import draft_listing
from reviews.demo.photos import photo_draw
from reviews.demo.registry import RegistryDemo
from reviews.evidence import evidence_snapshot
from reviews.links import appeal_url
from reviews.models import Appeal, Case, Decision, Policy, Report
from reviews.scoring import case_priority, case_risk, signal_contribution


@dataclass(frozen=True)
class PartnerSpec:
    slug: str
    name: str
    website: str
    categories: tuple[str, ...]
    port: int  # of its stand-in webhook receiver (partner_stub)


PARTNERS = [
    PartnerSpec("kolesa", "Kolesa.kz", "https://kolesa.kz", ("cars", "auto_parts"), 9001),
    PartnerSpec(
        "krisha",
        "Krisha.kz",
        "https://krisha.kz",
        ("apartments", "houses", "short_term_rental", "long_term_rental"),
        9002,
    ),
    PartnerSpec(
        "olx",
        "OLX.kz",
        "https://www.olx.kz",
        (
            "cars",
            "auto_parts",
            "apartments",
            "short_term_rental",
            "electronics",
            "home_goods",
            "clothing",
            "services",
        ),
        9003,
    ),
]
ORGANISATIONS = ["kolesa", "krisha", "olx", "hub"]
# (username suffix, role); two of each reviewing role, so that four-eyes rules can be met.
STAFF = [
    ("moderator1", Role.MODERATOR),
    ("moderator2", Role.MODERATOR),
    ("senior1", Role.SENIOR_MODERATOR),
    ("senior2", Role.SENIOR_MODERATOR),
    ("supervisor", Role.SUPERVISOR),
    ("admin", Role.ADMIN),
]
# A second administrator at the hub: a policy version drafted by one is published by another.
STAFF_EXTRA: dict[str, list[tuple[str, Role]]] = {"hub": [("admin2", Role.ADMIN)]}
DEMO_PASSWORD = "antifraud-demo-2026"  # noqa: S105 - printed to every demo user

# Where each scheme is practised: (partner, category), and how common it is.
SCHEME_PLACES: dict[str, list[tuple[str, str]]] = {
    Scheme.FAKE_RENTAL: [("krisha", "short_term_rental"), ("olx", "short_term_rental")],
    Scheme.UNDERPRICED_VEHICLE: [("kolesa", "cars"), ("olx", "cars")],
    Scheme.UNDERPRICED_PROPERTY: [
        ("krisha", "apartments"),
        ("krisha", "houses"),
        ("olx", "apartments"),
    ],
    Scheme.PREPAID_DELIVERY: [("kolesa", "auto_parts"), ("olx", "auto_parts")],
    Scheme.FICTITIOUS_STORE: [("olx", "electronics"), ("olx", "clothing"), ("olx", "home_goods")],
    Scheme.FALSE_INVESTMENT: [("olx", "services")],
}
SCHEME_WEIGHTS = {
    Scheme.FAKE_RENTAL: 24,
    Scheme.UNDERPRICED_VEHICLE: 20,
    Scheme.UNDERPRICED_PROPERTY: 14,
    Scheme.PREPAID_DELIVERY: 18,
    Scheme.FICTITIOUS_STORE: 16,
    Scheme.FALSE_INVESTMENT: 8,
}
POLICY_BY_SCHEME = {
    Scheme.FAKE_RENTAL: "fake-rental",
    Scheme.UNDERPRICED_VEHICLE: "underpriced-vehicle",
    Scheme.UNDERPRICED_PROPERTY: "underpriced-property",
    Scheme.PREPAID_DELIVERY: "prepaid-delivery",
    Scheme.FICTITIOUS_STORE: "fictitious-store",
    Scheme.FALSE_INVESTMENT: "false-investment",
    Scheme.FAKE_PHOTOS: "fake-photos",
    Scheme.FAKE_CONTACTS: "fake-contacts",
    Scheme.REPEAT_OFFENDER: "repeat-offender",
}
# Honest listings that got flagged anyway, by category.
HONEST_PLACES = [
    ("kolesa", "cars"),
    ("kolesa", "auto_parts"),
    ("krisha", "apartments"),
    ("krisha", "houses"),
    ("krisha", "short_term_rental"),
    ("krisha", "long_term_rental"),
    ("olx", "electronics"),
    ("olx", "cars"),
    ("olx", "home_goods"),
    ("olx", "short_term_rental"),
]

BLOCKED_ACCOUNTS = 5000
DETECTION_CHUNK = 500  # listings per detection run, as intake chunks reports
LISTINGS_UNDER_REVIEW = 7000
# Of the cases under review, the shares past their deadline and due soon (the rest have time).
BREACHED_SHARE = 0.12
DUE_SOON_SHARE = 0.13
APPEALS_PER_STATE = 5


@dataclass
class StoredPhoto:
    path: str
    sha256: str
    pdq_hash: str
    pdq_quality: int


@dataclass
class Crew:
    """A group running one scheme under many accounts."""

    scheme: str
    phones: list[Normalized]
    cards: list[Normalized]
    emails: list[Normalized]
    devices: list[Normalized]
    photos: list[StoredPhoto]
    places: list[tuple[str, str]]


@dataclass
class Planned:
    """A subject with what will hang off it once it has an id."""

    subject: Subject
    identifiers: list[Normalized] = field(default_factory=list)
    photos: list[StoredPhoto] = field(default_factory=list)
    market_price: int | None = None


@dataclass
class DemoSummary:
    counts: dict[str, int]
    password: str
    logins: list[tuple[str, str, Role]]  # (username, organisation, role)
    api_keys: list[tuple[str, str]] = field(default_factory=list)  # (partner slug, key)


def demo_usernames() -> list[str]:
    return [
        f"{org}.{suffix}"
        for org in ORGANISATIONS
        for suffix, _role in STAFF + STAFF_EXTRA.get(org, [])
    ]


class DemoBuilder:
    def __init__(
        self,
        *,
        seed: int,
        scale: float,
        password: str = DEMO_PASSWORD,
        progress: Callable[[int], None] = lambda n: None,
    ) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.password = password
        self.progress = progress
        self.now = timezone.now()
        self.partners: dict[str, Partner] = {}
        self.staff: dict[str, dict[str, list[User]]] = defaultdict(lambda: defaultdict(list))
        self.policies: dict[str, Policy] = {}
        self.indicators: dict[tuple[str, str], Indicator] = {}
        self.audit: list[AuditEntry] = []
        self.registry_partners: dict[str, Partner] = {}
        self.api_keys: list[tuple[str, str]] = []
        self.counter = 0
        self.used_phones: set[str] = set()

    # --- sizes ----------------------------------------------------------------------------

    def _n(self, base: int) -> int:
        return max(1, round(base * self.scale))

    @property
    def total_steps(self) -> int:
        return self._n(BLOCKED_ACCOUNTS) + self._n(LISTINGS_UNDER_REVIEW)

    # --- small generators -----------------------------------------------------------------

    def _ago(self, max_days: float, min_days: float = 0) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(min_days, max_days))

    def _phone(self) -> Normalized:
        while True:
            raw = f"+7{self.rng.choice(cat.MOBILE_PREFIXES)}{self.rng.randint(0, 9_999_999):07d}"
            if raw not in self.used_phones:
                self.used_phones.add(raw)
                return normalize_phone(raw)

    def _card(self) -> Normalized:
        digits = self.rng.choice(cat.CARD_BINS) + "".join(
            str(self.rng.randint(0, 9)) for _ in range(9)
        )
        # Luhn: choose the check digit that makes the number valid.
        for check in "0123456789":
            try:
                return normalize_card(digits + check)
            except ValueError:
                continue
        raise AssertionError("no Luhn check digit fits")  # pragma: no cover

    def _email(self) -> Normalized:
        name = self.rng.choice(cat.EMAIL_NAMES)
        return normalize_email(
            f"{name}{self.rng.randint(1, 99_999)}@{self.rng.choice(cat.EMAIL_DOMAINS)}"
        )

    def _device(self) -> Normalized:
        return Normalized(
            kind=IndicatorKind.DEVICE,
            value=f"dev-{self.rng.getrandbits(64):016x}",
            display="",
        )

    def _photo(self, category: str) -> StoredPhoto:
        data = photo_draw(self.rng, category)
        hashes = photo_hashes(data)
        return StoredPhoto(
            path=photo_store(data, hashes.sha256),
            sha256=hashes.sha256,
            pdq_hash=hashes.pdq_hash,
            pdq_quality=hashes.pdq_quality,
        )

    def _person_name(self) -> str:
        return f"{self.rng.choice(cat.FIRST_NAMES)} {self.rng.choice(cat.SURNAME_INITIALS)}."

    def _external_id(self, partner: str, kind: str) -> str:
        self.counter += 1
        if partner == "olx":
            return f"{'u' if kind == 'account' else 'ID'}{self.counter:07d}{self.rng.choice('abcdefghkmnpqrstuvwxyz')}"
        base = 100_000_000 if partner == "kolesa" else 700_000_000
        return f"{'u' if kind == 'account' else ''}{base + self.counter}"

    def _listing_url(self, partner: str, external_id: str) -> str:
        site = next(p.website for p in PARTNERS if p.slug == partner)
        path = {"kolesa": "a/show", "krisha": "a/show", "olx": "d/obyavlenie"}[partner]
        return f"{site}/{path}/{external_id}"

    # --- the steps ------------------------------------------------------------------------

    def build(self) -> DemoSummary:
        with transaction.atomic():
            self._partners()
            self._staff()
            self.policies = {p.code: p for p in Policy.objects.filter(is_current=True)}
            crews = self._crews()
            blocked = self._blocked_accounts(crews)
            self._listings_under_review(crews, blocked)
            self._appeals(blocked)
            self.audit.sort(key=lambda e: e.at or self.now)
            audit_record_many(self.audit)
            market_prices_refresh()
            # The bank, telecom and police joined lately: their reports are today's.
            self.registry_partners = RegistryDemo(
                rng=self.rng,
                platforms=self.partners,
                crews=crews,
                fresh_phone=self._phone,
                fresh_card=self._card,
            ).build()
            self.api_keys = self._api_keys()
        # The demo starts with its whole trail chained and its events placed in the feed, as
        # the sequencers would leave them.
        audit_chain_extend()
        feed_extend()
        return self._summary()

    def _api_keys(self) -> list[tuple[str, str]]:
        """One API key per partner, (slug, key): shown once, when the demo is built."""
        every = [*self.partners.values(), *self.registry_partners.values()]
        return [
            (partner.slug, api_key_create(actor=None, partner=partner, name="demo")[1])
            for partner in every
        ]

    def _partners(self) -> None:
        for spec in PARTNERS:
            partner = partner_create(
                actor=None,
                name=spec.name,
                slug=spec.slug,
                kind=Partner.Kind.CLASSIFIEDS,
                website=spec.website,
                categories=spec.categories,
                webhook_url=f"http://127.0.0.1:{spec.port}/webhooks",
            )
            # A seeded secret, so that the same seed gives the stand-in partners the same one.
            secret = "whsec_" + base64.b64encode(self.rng.randbytes(24)).decode()
            partner, _ = partner_webhook_secret_rotate(
                actor=None, partner_id=partner.pk, secret=secret, now=self.now
            )
            self.partners[spec.slug] = partner

    def _staff(self) -> None:
        # One hash for every demo account: hashing is deliberately slow, and the demo
        # accounts share their password anyway.
        hashed = make_password(self.password)
        for org in ORGANISATIONS:
            for suffix, role in STAFF + STAFF_EXTRA.get(org, []):
                hub = org == "hub"
                user = staff_create(
                    actor=None,
                    username=f"{org}.{suffix}",
                    partner=None if hub else self.partners[org],
                    roles=[role],
                    first_name=self.rng.choice(cat.FIRST_NAMES),
                    language="ru",
                    is_staff=hub and role in ADMIN_SITE_ROLES,
                    is_superuser=hub and role == Role.ADMIN,
                    password_hash=hashed,
                )
                self.staff[org][role].append(user)

    def _crews(self) -> list[Crew]:
        crews = []
        schemes = list(SCHEME_WEIGHTS)
        weights = [SCHEME_WEIGHTS[s] for s in schemes]
        # Stolen photos circulate: a crew takes some from a shared pool for its category.
        pool: dict[str, list[StoredPhoto]] = defaultdict(list)
        for _ in range(self._n(900)):
            scheme = self.rng.choices(schemes, weights=weights)[0]
            places = SCHEME_PLACES[scheme]
            photos = []
            for _photo in range(self.rng.randint(2, 5)):
                category = self.rng.choice(places)[1]
                shared = pool[category]
                if shared and self.rng.random() < 0.25:
                    photos.append(self.rng.choice(shared))
                else:
                    photo = self._photo(category)
                    shared.append(photo)
                    photos.append(photo)
            crews.append(
                Crew(
                    scheme=scheme,
                    phones=[self._phone() for _ in range(self.rng.randint(1, 3))],
                    cards=[self._card() for _ in range(self.rng.randint(0, 2))],
                    emails=[self._email() for _ in range(self.rng.randint(0, 1))],
                    devices=[self._device() for _ in range(self.rng.randint(1, 2))],
                    photos=photos,
                    places=places,
                )
            )
        return crews

    def _account(self, partner: str, *, registered: datetime, status: str) -> Subject:
        external_id = self._external_id(partner, "account")
        return Subject(
            partner=self.partners[partner],
            kind=Subject.Kind.ACCOUNT,
            external_id=external_id,
            title=self._person_name(),
            registered_at=registered,
            status=status,
            status_changed_at=None,
            first_seen_at=registered,
            updated_at=self.now,
            url=f"{next(p.website for p in PARTNERS if p.slug == partner)}/user/{external_id}",
        )

    def _crew_traits(self, crew: Crew) -> list[Normalized]:
        traits = [self.rng.choice(crew.phones)]
        if crew.cards and self.rng.random() < 0.6:
            traits.append(self.rng.choice(crew.cards))
        if crew.emails and self.rng.random() < 0.5:
            traits.append(crew.emails[0])
        traits.append(self.rng.choice(crew.devices))
        return traits

    def _save_subjects(self, planned: list[Planned]) -> None:
        Subject.objects.bulk_create([p.subject for p in planned], batch_size=1000)
        identifiers, photos = [], []
        for p in planned:
            seen = set()
            for trait in p.identifiers:
                if (trait.kind, trait.value) in seen:
                    continue
                seen.add((trait.kind, trait.value))
                identifiers.append(
                    SubjectIdentifier(
                        subject=p.subject, kind=trait.kind, value=trait.value, display=trait.display
                    )
                )
            for position, photo in enumerate(p.photos):
                photos.append(
                    Photo(
                        subject=p.subject,
                        position=position,
                        image=photo.path,
                        sha256=photo.sha256,
                        pdq_hash=photo.pdq_hash,
                        pdq_quality=photo.pdq_quality,
                        width=160,
                        height=120,
                    )
                )
                if (IndicatorKind.PHOTO, photo.pdq_hash) not in seen:
                    seen.add((IndicatorKind.PHOTO, photo.pdq_hash))
                    identifiers.append(
                        SubjectIdentifier(
                            subject=p.subject,
                            kind=IndicatorKind.PHOTO,
                            value=photo.pdq_hash,
                            display=photo.pdq_hash[:12],
                        )
                    )
        SubjectIdentifier.objects.bulk_create(identifiers, batch_size=2000)
        Photo.objects.bulk_create(photos, batch_size=2000)

    def _moderator(self, org: str, role: str = Role.MODERATOR) -> User:
        # Hub moderators help every partner's queue.
        source = org if self.rng.random() < 0.8 else "hub"
        return self.rng.choice(self.staff[source][role])

    def _blocked_accounts(self, crews: list[Crew]) -> list[dict[str, Any]]:
        """Accounts blocked over the last months, each with its case, signals, decision,
        black-listed indicators and delivered events."""
        planned: list[Planned] = []
        meta: list[dict[str, Any]] = []
        n_blocked = self._n(BLOCKED_ACCOUNTS)
        # A few honest people were blocked by mistake; their appeals are overturned below.
        n_mistakes = min(n_blocked // 2, APPEALS_PER_STATE * 2)
        for i in range(n_blocked):
            mistaken = i < n_mistakes
            crew = None if mistaken else self.rng.choice(crews)
            scheme = crew.scheme if crew else self.rng.choice(list(SCHEME_PLACES))
            partner, category = self.rng.choice(SCHEME_PLACES[scheme])
            decided_at = self._ago(120, 1)
            registered = decided_at - timedelta(days=self.rng.uniform(2, 60))
            subject = self._account(partner, registered=registered, status=Subject.Status.BLOCKED)
            subject.status_changed_at = decided_at
            subject.category = category
            if crew:
                traits = self._crew_traits(crew)
                photos = self.rng.sample(
                    crew.photos, k=min(len(crew.photos), self.rng.randint(1, 2))
                )
            else:
                traits = [self._phone(), self._device()]
                photos = [self._photo(category)]
            planned.append(Planned(subject=subject, identifiers=traits, photos=photos))
            meta.append(
                {"scheme": scheme, "decided_at": decided_at, "crew": crew, "mistaken": mistaken}
            )
            self.progress(1)
        self._save_subjects(planned)

        signals: list[Signal] = []
        cases: list[Case] = []
        per_case_signals: list[list[Signal]] = []
        by_crew: dict[int, list[tuple[Planned, dict[str, Any]]]] = defaultdict(list)
        for p, m in zip(planned, meta, strict=True):
            if m["crew"] is not None:
                by_crew[id(m["crew"])].append((p, m))
        for p, m in zip(planned, meta, strict=True):
            opened = m["decided_at"] - timedelta(hours=self.rng.uniform(1, 40))
            own = [
                Signal(
                    subject=p.subject,
                    source=Signal.Source.PARTNER_REPORT,
                    scheme=m["scheme"],
                    score=self.rng.randint(55, 90),
                    explanation=cat.PARTNER_REPORT_RU.get(m["scheme"], cat.COMPLAINT_RU[0]),
                    partner=p.subject.partner,
                    report_id=f"demo-{p.subject.external_id}-1",
                    created_at=opened,
                )
            ]
            if self.rng.random() < 0.5:
                own.append(
                    Signal(
                        subject=p.subject,
                        source=Signal.Source.USER_COMPLAINT,
                        scheme=m["scheme"],
                        score=self.rng.randint(40, 70),
                        explanation=self.rng.choice(cat.COMPLAINT_RU),
                        created_at=opened + timedelta(minutes=self.rng.randint(5, 300)),
                    )
                )
            repeat = self._repeat_signal(p, m, opened, by_crew)
            if repeat is not None:
                own.append(repeat)
            signals.extend(own)
            per_case_signals.append(own)
            risk = case_risk(own)
            cases.append(
                Case(
                    subject=p.subject,
                    partner=p.subject.partner,
                    subject_kind=Subject.Kind.ACCOUNT,
                    status=Case.Status.DECIDED,
                    scheme=m["scheme"],
                    risk_score=risk,
                    priority=case_priority(risk_score=risk, signal_count=len(own)),
                    opened_at=opened,
                    deadline=opened + timedelta(hours=settings.CASE_DEADLINE_HOURS),
                    decided_at=m["decided_at"],
                    updated_at=m["decided_at"],
                )
            )
        Signal.objects.bulk_create(signals, batch_size=2000)
        Case.objects.bulk_create(cases, batch_size=1000)
        Case.signals.through.objects.bulk_create(
            [
                Case.signals.through(case_id=c.pk, signal_id=s.pk)
                for c, own in zip(cases, per_case_signals, strict=True)
                for s in own
            ],
            batch_size=2000,
        )

        # Decisions, with the indicators each one put on the black list.
        decisions: list[Decision] = []
        listed_by: list[list[Indicator]] = []
        new_indicators: list[Indicator] = []
        for p, m, case, own in zip(planned, meta, cases, per_case_signals, strict=True):
            org = p.subject.partner.slug
            moderator = self._moderator(org)
            policy = self.policies[POLICY_BY_SCHEME[m["scheme"]]]
            decision = Decision(
                case=case,
                subject=p.subject,
                action=Decision.Action.BLOCK_ACCOUNT,
                policy=policy,
                statement_of_reasons=policy.statement_ru.format(
                    title=p.subject.title, partner=p.subject.partner.name
                ),
                language="ru",
                internal_note="",
                decided_by=moderator,
                decided_at=m["decided_at"],
                # As decision_record sets it: a rule or a list match raised the case.
                automated_detection=any(s.is_automated for s in own),
                evidence=evidence_snapshot(
                    subject=p.subject,
                    identifiers=[
                        SubjectIdentifier(kind=t.kind, value=t.value, display=t.display)
                        for t in p.identifiers
                    ],
                    photos=[Photo(sha256=ph.sha256, pdq_hash=ph.pdq_hash) for ph in p.photos],
                    signals=own,
                    captured_at=m["decided_at"],
                ),
            )
            listed = []
            for trait in p.identifiers:
                if trait.kind not in (
                    IndicatorKind.PHONE,
                    IndicatorKind.CARD,
                    IndicatorKind.DEVICE,
                ):
                    continue
                key = (trait.kind, trait.value)
                if key in self.indicators:
                    continue
                indicator = Indicator(
                    kind=trait.kind,
                    value=trait.value,
                    display=trait.display,
                    list=Indicator.List.BLACK,
                    scheme=m["scheme"],
                    reason=policy.code,
                    origin=Indicator.Origin.DECISION,
                    created_by=moderator,
                    listed_at=m["decided_at"],
                )
                self.indicators[key] = indicator
                new_indicators.append(indicator)
                listed.append(indicator)
            decisions.append(decision)
            listed_by.append(listed)
        Decision.objects.bulk_create(decisions, batch_size=500)
        for decision, listed in zip(decisions, listed_by, strict=True):
            for indicator in listed:
                indicator.origin_ref = f"decision:{decision.pk}"
        Indicator.objects.bulk_create(new_indicators, batch_size=2000)
        Decision.listed_indicators.through.objects.bulk_create(
            [
                Decision.listed_indicators.through(decision_id=d.pk, indicator_id=i.pk)
                for d, listed in zip(decisions, listed_by, strict=True)
                for i in listed
            ],
            batch_size=2000,
        )

        deliveries = []
        for decision, listed in zip(decisions, listed_by, strict=True):
            deliveries.extend(
                self._deliveries(
                    Delivery.EventType.SUBJECT_BLOCKED, decision, listed, delivered=True
                )
            )
        Delivery.objects.bulk_create(deliveries, batch_size=2000)

        for p, case, decision, listed in zip(planned, cases, decisions, listed_by, strict=True):
            self.audit.append(
                AuditEntry(
                    action="case.opened",
                    partner=p.subject.partner,
                    target=case,
                    payload={"subject": p.subject.pk, "scheme": case.scheme},
                    at=case.opened_at,
                )
            )
            self.audit.append(
                AuditEntry(
                    action="decision.recorded",
                    actor=decision.decided_by,
                    target=decision,
                    payload={
                        "case": case.pk,
                        "action": decision.action,
                        "policy": decision.policy.code,
                        "indicators": [i.pk for i in listed],
                    },
                    at=decision.decided_at,
                )
            )
        return [
            {"subject": p.subject, "decision": d, "listed": listed, "mistaken": m["mistaken"]}
            for p, d, listed, m in zip(planned, decisions, listed_by, meta, strict=True)
        ]

    def _deliveries(
        self, event_type: str, decision: Decision, indicators: list[Indicator], *, delivered: bool
    ) -> list[Delivery]:
        decision_part = {
            "id": decision.pk,
            "action": decision.action,
            "policy": decision.policy.code,
            "decided_at": decision.decided_at.isoformat(),
            "statement_of_reasons": decision.statement_of_reasons,
        }
        original = decision.reverses or decision
        if original.action in (Decision.Action.BLOCK_ACCOUNT, Decision.Action.REMOVE_LISTING):
            decision_part["appeal_url"] = appeal_url(
                decision_id=original.pk, decided_at=original.decided_at
            )
        rows = []
        for partner in self.partners.values():
            sent_at = decision.decided_at + timedelta(seconds=self.rng.uniform(1, 20))
            rows.append(
                Delivery(
                    partner=partner,
                    event_type=event_type,
                    webhook_id=f"msg_{self.rng.getrandbits(96):024x}",
                    payload=event_payload(
                        event_type=event_type,
                        at=decision.decided_at,
                        subject=decision.subject,
                        recipient_id=partner.pk,
                        decision=decision_part,
                        indicators=indicators,
                    ),
                    subject=decision.subject,
                    status=Delivery.Status.DELIVERED if delivered else Delivery.Status.PENDING,
                    attempts=1 if delivered else 0,
                    created_at=decision.decided_at,
                    delivered_at=sent_at if delivered else None,
                    next_attempt_at=None if delivered else decision.decided_at,
                    last_status_code=200 if delivered else None,
                )
            )
        return rows

    def _listings_under_review(self, crews: list[Crew], blocked: list[dict[str, Any]]) -> None:
        """Listings waiting in the queues: most from crews (new accounts, same phones and
        photos as blocked ones), the rest from ordinary sellers flagged by complaints."""
        n_listings = self._n(LISTINGS_UNDER_REVIEW)
        accounts: list[Planned] = []
        listings: list[Planned] = []
        listing_meta: list[dict[str, Any]] = []
        blacklisted = {key for key in self.indicators}

        produced = 0
        while produced < n_listings:
            crewed = self.rng.random() < 0.6
            crew = self.rng.choice(crews) if crewed else None
            if crew:
                partner, category = self.rng.choice(crew.places)
                traits = self._crew_traits(crew)
                registered = self._ago(20)
                count = self.rng.randint(1, 4)
            else:
                partner, category = self.rng.choice(HONEST_PLACES)
                traits = [self._phone()] + ([self._email()] if self.rng.random() < 0.4 else [])
                # Some honest sellers have been on the platform for years.
                registered = self._ago(2000, 30)
                count = self.rng.choice([1, 1, 1, 2])
            account = Planned(
                subject=self._account(partner, registered=registered, status=Subject.Status.ACTIVE),
                identifiers=traits,
            )
            account.subject.category = category
            accounts.append(account)
            for _ in range(min(count, n_listings - produced)):
                language = "kk" if self.rng.random() < 0.25 else "ru"
                draft = draft_listing(
                    self.rng,
                    category=category,
                    scheme=crew.scheme if crew else None,
                    language=language,
                )
                if crew:
                    photos = self.rng.sample(
                        crew.photos, k=min(len(crew.photos), self.rng.randint(1, 3))
                    )
                else:
                    photos = [self._photo(category) for _ in range(self.rng.randint(1, 2))]
                external_id = self._external_id(partner, "listing")
                posted = max(registered, self._waiting_since())
                listing = Subject(
                    partner=self.partners[partner],
                    kind=Subject.Kind.LISTING,
                    external_id=external_id,
                    account=account.subject,
                    title=draft.title,
                    text=draft.text,
                    category=category,
                    price=draft.price,
                    city=draft.city,
                    language=draft.language,
                    url=self._listing_url(partner, external_id),
                    registered_at=posted,
                    first_seen_at=posted,
                    updated_at=posted,
                )
                listings.append(
                    Planned(
                        subject=listing,
                        identifiers=[
                            t
                            for t in traits
                            if t.kind in (IndicatorKind.PHONE, IndicatorKind.EMAIL)
                        ],
                        photos=photos,
                        market_price=draft.market_price,
                    )
                )
                listing_meta.append(
                    {"crew": crew, "posted": posted, "draft": draft, "traits": traits}
                )
                produced += 1
                self.progress(1)
        self._save_subjects(accounts)
        for planned in listings:
            # The accounts have their ids now; the listings take them.
            planned.subject.account_id = planned.subject.account.pk  # type: ignore[union-attr]
        self._save_subjects(listings)

        # What partners and users reported; what the rules find is added below, by the rules.
        per_case: list[list[Signal]] = [
            self._listing_signals(planned, meta, blacklisted)
            for planned, meta in zip(listings, listing_meta, strict=True)
        ]
        Signal.objects.bulk_create([s for own in per_case for s in own], batch_size=2000)
        found = self._detect([p.subject for p in listings])
        for planned, own in zip(listings, per_case, strict=True):
            own.extend(found.get(planned.subject.pk, []))
        cases: list[Case] = []
        escalation_rate = 0.02
        for planned, own in zip(listings, per_case, strict=True):
            counted = [s for s in own if not s.shadow] or own
            top = max(counted, key=signal_contribution)
            risk = case_risk(own)
            opened = min(s.created_at for s in own)
            escalated = self.rng.random() < escalation_rate
            cases.append(
                Case(
                    subject=planned.subject,
                    partner=planned.subject.partner,
                    subject_kind=Subject.Kind.LISTING,
                    status=Case.Status.ESCALATED if escalated else Case.Status.OPEN,
                    is_escalated=escalated,
                    escalation_note=(
                        "Похоже на часть кольца на нескольких площадках, нужен второй взгляд."
                        if escalated
                        else ""
                    ),
                    scheme=top.scheme,
                    risk_score=risk,
                    priority=case_priority(
                        risk_score=risk,
                        signal_count=len(counted),
                        list_match=any(
                            s.source == Signal.Source.LIST_MATCH and not s.shadow for s in own
                        ),
                    ),
                    opened_at=opened,
                    deadline=opened + timedelta(hours=settings.CASE_DEADLINE_HOURS),
                    updated_at=max(s.created_at for s in own),
                )
            )
        Case.objects.bulk_create(cases, batch_size=1000)
        Case.signals.through.objects.bulk_create(
            [
                Case.signals.through(case_id=c.pk, signal_id=s.pk)
                for c, own in zip(cases, per_case, strict=True)
                for s in own
            ],
            batch_size=2000,
        )
        for case in cases:
            self.audit.append(
                AuditEntry(
                    action="case.opened",
                    partner=case.partner,
                    target=case,
                    payload={"subject": case.subject_id, "scheme": case.scheme},
                    at=case.opened_at,
                )
            )

    def _detect(self, listings: list[Subject]) -> dict[int, list[Signal]]:
        """The detection rules over the listings, as intake runs them: the market prices
        from what is listed, the photos indexed, then every rule and the rings."""
        market_prices_refresh()
        photos_index(Photo.objects.exclude(pdq_hash="").only("pdq_hash", "pdq_quality"))
        indicator_photos_index(
            Indicator.objects.filter(kind=IndicatorKind.PHOTO).values_list("value", flat=True)
        )
        found: dict[int, list[Signal]] = {}
        now = timezone.now()
        for start in range(0, len(listings), DETECTION_CHUNK):
            chunk = listings[start : start + DETECTION_CHUNK]
            for subject_id, findings in detection.run_batch(chunk, now=now).items():
                found[subject_id] = findings.signals
            rings_update([s.pk for s in chunk])
        return found

    def _waiting_since(self, limit: float | None = None, warn: float | None = None) -> datetime:
        """When something still waiting came in: a listing now under review (its case opens
        minutes later and is due CASE_DEADLINE_HOURS after that), or an open appeal (given
        its own `limit` and `warn` hours). Most have time left, some are due soon and some
        are breached, so that red on the queue means something."""
        limit = settings.CASE_DEADLINE_HOURS if limit is None else limit
        warn = settings.CASE_DEADLINE_WARN_HOURS if warn is None else warn
        draw = self.rng.random()
        if draw < BREACHED_SHARE:
            hours = self.rng.uniform(limit + 1, limit + 5 * 24)
        elif draw < BREACHED_SHARE + DUE_SOON_SHARE:
            hours = self.rng.uniform(limit - warn + 1, limit - 0.5)
        else:
            hours = self.rng.uniform(0.5, limit - warn - 0.5)
        return self.now - timedelta(hours=hours)

    def _repeat_signal(
        self,
        p: Planned,
        m: dict[str, Any],
        opened: datetime,
        by_crew: dict[int, list[tuple[Planned, dict[str, Any]]]],
    ) -> Signal | None:
        """What the repeat-registration rule said of a crew's new account when its case
        opened: it shares a phone, card or device with an account of the crew blocked before
        (the rule's own sentence, as `antifraud.detection.repeat` writes it)."""
        crew: Crew | None = m["crew"]
        registered = p.subject.registered_at
        rule = repeat.RULES[0]
        if crew is None or registered is None:
            return None
        age = (opened - registered) / timedelta(days=1)
        if age > rule.defaults["new_days"]:
            return None
        own = {(t.kind, t.value) for t in p.identifiers}
        earlier = [(q, n) for q, n in by_crew[id(crew)] if n["decided_at"] < opened and q is not p]
        holders = [
            (q, {t.kind for t in q.identifiers if (t.kind, t.value) in own}) for q, _n in earlier
        ]
        holders = [(q, kinds) for q, kinds in holders if kinds]
        if not holders:
            return None
        holder, kinds = max(holders, key=lambda item: (len(item[1]), item[0].subject.pk))
        account = holder.subject
        explanation = Explanation(
            repeat.TEMPLATE,
            {
                "age": max(0, round(age)),
                "shared": sorted(kinds),
                "blocked": account.external_id,
                "partner": account.partner.name,
                "since": f"{account.status_changed_at:%Y-%m-%d}",
            },
        )
        shared = sorted({q.subject.pk for q, _kinds in holders})
        return Signal(
            subject=p.subject,
            source=Signal.Source.DETECTION_RULE,
            scheme=Scheme.REPEAT_OFFENDER,
            score=round(rule.defaults["score"] + 5 * (len(kinds) - 1)),
            explanation=explanation.render("en"),
            details={
                "blocked_accounts": shared,
                "blocked_account": account.pk,
                "shared": sorted(kinds),
                "explain": explanation.as_json(),
                "key": ",".join(str(pk) for pk in shared),
                "thresholds": dict(rule.defaults),
            },
            rule=rule.code,
            rule_version=1,
            created_at=opened + timedelta(minutes=self.rng.randint(1, 20)),
        )

    def _listing_signals(
        self, planned: Planned, meta: dict[str, Any], blacklisted: set[tuple[str, str]]
    ) -> list[Signal]:
        subject = planned.subject
        crew: Crew | None = meta["crew"]
        posted: datetime = meta["posted"]
        signals = []

        # The first report comes within half an hour of posting (the case opens then), later
        # ones over the following day, never after now.
        reports = 0

        def at() -> datetime:
            nonlocal reports
            minutes = self.rng.randint(3, 60 * 24 if reports else 30)
            reports += 1
            return min(posted + timedelta(minutes=minutes), self.now - timedelta(minutes=1))

        scheme = (
            crew.scheme
            if crew
            else self.rng.choice(
                [Scheme.FAKE_PHOTOS, Scheme.FAKE_CONTACTS, Scheme.OTHER, Scheme.UNDERPRICED_VEHICLE]
            )
        )
        if crew or self.rng.random() < 0.5:
            signals.append(
                Signal(
                    subject=subject,
                    source=Signal.Source.PARTNER_REPORT,
                    scheme=scheme,
                    score=self.rng.randint(35, 75) if crew else self.rng.randint(20, 45),
                    explanation=cat.PARTNER_REPORT_RU.get(scheme, cat.COMPLAINT_RU[2]),
                    partner=subject.partner,
                    report_id=f"demo-{subject.external_id}",
                    created_at=at(),
                )
            )
        if not signals or self.rng.random() < 0.4:
            signals.append(
                Signal(
                    subject=subject,
                    source=Signal.Source.USER_COMPLAINT,
                    scheme=scheme,
                    score=self.rng.randint(25, 60),
                    explanation=self.rng.choice(cat.COMPLAINT_RU),
                    created_at=at(),
                )
            )
        return signals

    def _appeals(self, blocked: list[dict[str, Any]]) -> None:
        """A few appeals in every state; the mistaken blocks are the ones overturned."""
        mistaken = [b for b in blocked if b["mistaken"]]
        others = [b for b in blocked if not b["mistaken"]]
        self.rng.shuffle(others)
        states = [
            (Appeal.Status.OVERTURNED, mistaken[:APPEALS_PER_STATE]),
            (Appeal.Status.SUBMITTED, mistaken[APPEALS_PER_STATE : APPEALS_PER_STATE * 2]),
            (Appeal.Status.IN_REVIEW, others[0:APPEALS_PER_STATE]),
            (Appeal.Status.UPHELD, others[APPEALS_PER_STATE : APPEALS_PER_STATE * 2]),
            (Appeal.Status.WITHDRAWN, others[APPEALS_PER_STATE * 2 : APPEALS_PER_STATE * 3]),
        ]
        statements = [
            "Я честный продавец, это мой номер уже 10 лет. Прошу разблокировать.",
            "Квартира существует, могу показать документы на собственность.",
            "Men adal satushymyn, qūjattardy jiberuge dáiynmyn.",
            "Аккаунт заблокирован по ошибке, я никогда не просил предоплату.",
            "Фотографии мои, сделаны лично, прикладываю оригиналы.",
        ]
        for status, items in states:
            for item in items:
                decision: Decision = item["decision"]
                subject: Subject = item["subject"]
                if status in (Appeal.Status.SUBMITTED, Appeal.Status.IN_REVIEW):
                    # Still open: spread over their deadlines, as the cases are.
                    filed = self._waiting_since(
                        settings.APPEAL_DEADLINE_HOURS, settings.APPEAL_DEADLINE_WARN_HOURS
                    )
                    filed = max(filed, decision.decided_at + timedelta(minutes=30))
                else:
                    filed = decision.decided_at + timedelta(hours=self.rng.uniform(2, 200))
                filed = min(filed, self.now - timedelta(hours=1))
                appeal = Appeal(
                    decision=decision,
                    status=status,
                    statement=self.rng.choice(statements),
                    contact_email=f"appellant{decision.pk}@mail.kz"
                    if self.rng.random() < 0.7
                    else "",
                    language="ru",
                    filed_at=filed,
                    deadline=filed + timedelta(hours=settings.APPEAL_DEADLINE_HOURS),
                )
                org = subject.partner.slug
                reviewer = self.rng.choice(self.staff[org][Role.SENIOR_MODERATOR])
                if status == Appeal.Status.IN_REVIEW:
                    appeal.claimed_by = reviewer
                    appeal.lease_until = self.now + timedelta(minutes=settings.CASE_LEASE_MINUTES)
                if status in (Appeal.Status.UPHELD, Appeal.Status.OVERTURNED):
                    appeal.reviewer = reviewer
                    appeal.resolved_at = min(
                        filed + timedelta(hours=self.rng.uniform(3, 60)), self.now
                    )
                    appeal.reply = (
                        "Решение оставлено в силе: данные подтверждают нарушение правила."
                        if status == Appeal.Status.UPHELD
                        else "Решение отменено: проверка показала, что нарушения не было. Аккаунт "
                        "разблокирован."
                    )
                if status == Appeal.Status.OVERTURNED and appeal.resolved_at is not None:
                    appeal.reversal = self._reverse(
                        decision, subject, item["listed"], reviewer, appeal.resolved_at
                    )
                appeal.save()
                self.audit.append(
                    AuditEntry(
                        action="appeal.filed",
                        target=appeal,
                        payload={"decision": decision.pk},
                        at=filed,
                    )
                )
                if appeal.resolved_at:
                    self.audit.append(
                        AuditEntry(
                            action=f"appeal.{status}",
                            actor=reviewer,
                            target=appeal,
                            payload={"decision": decision.pk},
                            at=appeal.resolved_at,
                        )
                    )

    def _reverse(
        self,
        original: Decision,
        subject: Subject,
        listed: list[Indicator],
        reviewer: User,
        at: datetime,
    ) -> Decision:
        reversal = Decision.objects.create(
            case=original.case,
            subject=subject,
            action=Decision.Action.REVERSE,
            policy=original.policy,
            statement_of_reasons=(
                "По результатам рассмотрения жалобы решение о блокировке отменено: нарушения не "
                "подтвердились."
            ),
            language="ru",
            decided_by=reviewer,
            decided_at=at,
            evidence=original.evidence,
            reverses=original,
        )
        Subject.objects.filter(pk=subject.pk).update(
            status=Subject.Status.ACTIVE, status_changed_at=at
        )
        subject.status = Subject.Status.ACTIVE
        cleared = []
        for indicator in listed:
            Indicator.objects.filter(pk=indicator.pk).update(
                revoked_at=at, revoked_reason="overturned on appeal"
            )
            cleared.append(
                Indicator(
                    kind=indicator.kind,
                    value=indicator.value,
                    display=indicator.display,
                    list=Indicator.List.CLEARED,
                    reason="vetted as honest on appeal",
                    origin=Indicator.Origin.DECISION,
                    origin_ref=f"decision:{reversal.pk}",
                    created_by=reviewer,
                    listed_at=at,
                )
            )
        Indicator.objects.bulk_create(cleared)
        reversal.revoked_indicators.set(listed)
        Delivery.objects.bulk_create(
            self._deliveries(
                Delivery.EventType.SUBJECT_UNBLOCKED, reversal, cleared, delivered=True
            )
        )
        self.audit.append(
            AuditEntry(
                action="decision.recorded",
                actor=reviewer,
                target=reversal,
                payload={"reverses": original.pk, "revoked": [i.pk for i in listed]},
                at=at,
            )
        )
        return reversal

    def _summary(self) -> DemoSummary:
        counts = {
            "partners": Partner.objects.count(),
            "staff": User.objects.filter(username__in=demo_usernames()).count(),
            "subjects": Subject.objects.count(),
            "blocked accounts": Subject.objects.filter(status=Subject.Status.BLOCKED).count(),
            "open cases": Case.objects.in_queue().count(),
            "decisions": Decision.objects.count(),
            "black-listed indicators": Indicator.objects.active()
            .filter(list=Indicator.List.BLACK)
            .count(),
            "delivered events": Delivery.objects.filter(status=Delivery.Status.DELIVERED).count(),
            "appeals": Appeal.objects.count(),
            "photos": Photo.objects.count(),
            "indicator reports": Report.objects.filter(subject__isnull=True).count(),
            "gray-listed indicators": Indicator.objects.matching()
            .filter(list=Indicator.List.GRAY)
            .count(),
            "awaiting promotion": Indicator.objects.awaiting_promotion().count(),
            "open disputes": Dispute.objects.filter(status=Dispute.Status.OPEN).count(),
            "quarantined entries": Indicator.objects.in_state(Indicator.State.QUARANTINED).count(),
        }
        logins = [
            (f"{org}.{suffix}", "Hub" if org == "hub" else self.partners[org].name, role)
            for org in ORGANISATIONS
            for suffix, role in STAFF + STAFF_EXTRA.get(org, [])
        ]
        return DemoSummary(
            counts=counts, password=self.password, logins=logins, api_keys=self.api_keys
        )
