"""What the registry changes in detection: gray matches fade without corroboration and weigh
by their proposer's reliability; values vetted as honest lower the signals of the rules that
rest on contacts; a reassigned number's earlier history is not held against its new owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Partner
from antifraud import detection
from antifraud.detection.base import signal_explanation
from antifraud.detection.rings import rings_update
from antifraud.models import Indicator, Signal, Subject
from antifraud.services import indicator_list
from antifraud.services.indicators import indicator_propose
from antifraud.services.registry import phone_reassigned
from reviews.services.intake import ReportInput, SubjectInput, report_ingest
from tests.factories import IdentifierFactory, PartnerFactory, SubjectFactory

pytestmark = pytest.mark.django_db

PHONE = "+77015550101"
NOW = timezone.now()


def gray(partner: Partner, value: str = PHONE, *, idle_days: float = 0) -> Indicator:
    """A gray entry on a phone, last corroborated `idle_days` ago."""
    indicator = indicator_propose(
        partner=partner, kind="phone", value=value, display=value, reason="prepayments"
    ).indicator
    Indicator.objects.filter(pk=indicator.pk).update(fresh_at=NOW - timedelta(days=idle_days))
    return indicator


def listing_with(partner: Partner, **identifiers: str) -> Subject:
    listing = SubjectFactory(partner=partner, text="")
    for kind, value in identifiers.items():
        IdentifierFactory(subject=listing, kind=kind, value=value, display=value)
    return listing


def signal_of(subject: Subject, rule: str) -> Signal:
    return Signal.objects.get(subject=subject, rule=rule)


def vetted(kind: str, value: str) -> Indicator:
    return indicator_list(
        actor=None,
        kind=kind,
        value=value,
        display=value,
        list=Indicator.List.CLEARED,
        origin=Indicator.Origin.DECISION,
        reason="vetted on appeal",
    ).indicator


# --- decay and reliability --------------------------------------------------------------------


def test_a_fresh_gray_entry_weighs_one(kolesa):
    gray(kolesa, idle_days=settings.GRAY_FRESH_DAYS - 1)
    listing = listing_with(kolesa, phone=PHONE)
    detection.run_batch([listing], now=NOW)
    signal = signal_of(listing, "lists.match")
    assert signal.weight == 1.0
    assert "Weight" not in signal.explanation


def test_a_gray_entry_weighs_half_a_half_life_after_its_freshness(kolesa):
    idle = settings.GRAY_FRESH_DAYS + settings.GRAY_HALF_LIFE_DAYS
    gray(kolesa, idle_days=idle)
    listing = listing_with(kolesa, phone=PHONE)
    detection.run_batch([listing], now=NOW)
    signal = signal_of(listing, "lists.match")
    assert signal.weight == pytest.approx(0.5, abs=0.001)
    assert signal.explanation.endswith(f"Weight 0.5: no fresh corroboration for {idle} days.")
    # The note is translated with the sentence it follows.
    russian = signal_explanation(signal, "ru")
    assert russian != signal.explanation and "0.5" in russian


def test_an_unreliable_proposer_halves_its_entries_weight(kolesa):
    doubtful = PartnerFactory(slug="doubtful", name="Doubtful.kz")
    doubtful.reliability = 0.5
    doubtful.save(update_fields=["reliability"])
    gray(doubtful)
    listing = listing_with(kolesa, phone=PHONE)
    detection.run_batch([listing], now=NOW)
    signal = signal_of(listing, "lists.match")
    assert signal.weight == pytest.approx(0.5, abs=0.001)
    assert "the proposing partner's entries wrong" in signal.explanation


def test_a_black_entry_weighs_one_however_old(kolesa):
    black = indicator_list(
        actor=None,
        kind="phone",
        value=PHONE,
        display=PHONE,
        list=Indicator.List.BLACK,
        origin=Indicator.Origin.DECISION,
        reason="blocked",
    ).indicator
    Indicator.objects.filter(pk=black.pk).update(fresh_at=NOW - timedelta(days=400))
    listing = listing_with(kolesa, phone=PHONE)
    detection.run_batch([listing], now=NOW)
    assert signal_of(listing, "lists.match").weight == 1.0


def test_a_quarantined_entry_matches_nothing(kolesa):
    entry = gray(kolesa)
    Indicator.objects.filter(pk=entry.pk).update(quarantined_at=NOW, quarantine_reason="spike")
    listing = listing_with(kolesa, phone=PHONE)
    findings = detection.run_batch([listing], now=NOW)[listing.pk]
    assert findings.list_matches == []
    assert not Signal.objects.filter(subject=listing, rule="lists.match").exists()


def test_a_faded_gray_match_raises_the_case_risk_less(kolesa):
    def reported(n: int, phone: str) -> int:
        outcome = report_ingest(
            partner=kolesa,
            report=ReportInput(
                report_id=f"r-{n}",
                subject=SubjectInput(kind="listing", external_id=f"l-{n}"),
                scheme="other",
                explanation="complaint",
                score=10,
                identifiers=(_phone(phone),),
            ),
        )
        return outcome.result["risk_score"]

    gray(kolesa, "+77015550101")
    gray(kolesa, "+77015550202", idle_days=200)
    assert reported(1, "+77015550101") > reported(2, "+77015550202") > reported(3, "+77015550303")


def _phone(value: str):
    from antifraud.normalize import normalize_phone

    return normalize_phone(value)


# --- values vetted as honest -----------------------------------------------------------------


def test_a_value_vetted_as_honest_lowers_the_contacts_signal(kolesa):
    vetted("phone", "+70000000000")
    lowered = listing_with(kolesa, phone="+70000000000")
    plain = listing_with(kolesa, phone="+70000000001")
    detection.run_batch([lowered, plain], now=NOW)
    assert signal_of(plain, "contacts.nonexistent").weight == 1.0
    signal = signal_of(lowered, "contacts.nonexistent")
    assert signal.weight == pytest.approx(settings.CLEARED_SIGNAL_WEIGHT)
    assert signal.explanation.endswith(
        "Weight ×0.3: Phone +70000000000 was vetted as honest by a moderator."
    )
    assert signal.details["cleared"] == [["phone", "+70000000000"]]


def blocked_account(partner: Partner, *, days_ago: float = 200, **identifiers: str) -> Subject:
    account = SubjectFactory(
        partner=partner,
        kind="account",
        external_id=f"u-blocked-{days_ago}",
        status="blocked",
        status_changed_at=NOW - timedelta(days=days_ago - 10),
        first_seen_at=NOW - timedelta(days=days_ago),
        text="",
    )
    for kind, value in identifiers.items():
        IdentifierFactory(subject=account, kind=kind, value=value, display=value)
    return account


def new_account(partner: Partner, **identifiers: str) -> Subject:
    account = SubjectFactory(
        partner=partner, kind="account", registered_at=NOW - timedelta(days=2), text=""
    )
    for kind, value in identifiers.items():
        IdentifierFactory(subject=account, kind=kind, value=value, display=value)
    return account


def test_a_value_vetted_as_honest_lowers_the_repeat_signal(kolesa):
    blocked_account(kolesa, device="dev-0001")
    vetted("email", "honest@mail.kz")
    lowered = new_account(kolesa, device="dev-0001", email="honest@mail.kz")
    plain = new_account(kolesa, device="dev-0001", email="other@mail.kz")
    detection.run_batch([lowered, plain], now=NOW)
    assert signal_of(plain, "repeat.registration").weight == 1.0
    signal = signal_of(lowered, "repeat.registration")
    assert signal.weight == pytest.approx(settings.CLEARED_SIGNAL_WEIGHT)
    assert "E-mail honest@mail.kz was vetted as honest" in signal.explanation


def test_a_photo_vetted_as_honest_does_not_lower_a_signal(kolesa):
    # Scammers copy honest sellers' photos: a copied photo must not make a scam weigh less.
    photo = "ab" * 32
    vetted("photo", photo)
    blocked_account(kolesa, device="dev-0001")
    copier = new_account(kolesa, device="dev-0001", photo=photo)
    detection.run_batch([copier], now=NOW)
    assert signal_of(copier, "repeat.registration").weight == 1.0


def test_a_value_vetted_as_honest_links_nobody_into_a_ring(kolesa):
    vetted("phone", PHONE)
    scammer = SubjectFactory(partner=kolesa, kind="account")
    honest = SubjectFactory(partner=kolesa, kind="account")
    IdentifierFactory(subject=scammer, kind="phone", value=PHONE)
    IdentifierFactory(subject=honest, kind="phone", value=PHONE)
    rings_update([scammer.pk, honest.pk])
    scammer.refresh_from_db()
    assert scammer.ring_id is None


# --- reassigned numbers ----------------------------------------------------------------------


@pytest.fixture
def telecom(db) -> Partner:
    return PartnerFactory(slug="telecom", name="Beeline Demo", kind=Partner.Kind.TELECOM)


def reassign(telecom: Partner, phone: str, days_ago: int) -> None:
    phone_reassigned(
        partner=telecom,
        value=phone,
        display=phone,
        reassigned_on=timezone.localdate() - timedelta(days=days_ago),
    )


def test_a_reassigned_numbers_old_blocked_account_is_not_counted(kolesa, telecom):
    krisha = PartnerFactory(slug="krisha", name="Krisha.kz")
    blocked_account(krisha, phone=PHONE)
    before = new_account(kolesa, phone=PHONE)
    detection.run_batch([before], now=NOW)
    assert signal_of(before, "repeat.registration")  # the number still counts

    reassign(telecom, PHONE, days_ago=100)
    after = new_account(kolesa, phone=PHONE)
    detection.run_batch([after], now=NOW)
    assert not Signal.objects.filter(subject=after, rule="repeat.registration").exists()


def test_the_rule_still_fires_on_what_else_is_shared_and_says_what_it_left_out(kolesa, telecom):
    blocked_account(kolesa, phone=PHONE, device="dev-0001")
    reassign(telecom, PHONE, days_ago=100)
    fresh = new_account(kolesa, phone=PHONE, device="dev-0001")
    detection.run_batch([fresh], now=NOW)
    signal = signal_of(fresh, "repeat.registration")
    assert signal.details["shared"] == ["device"]
    day = timezone.localdate() - timedelta(days=100)
    assert signal.explanation.endswith(
        f"The earlier history of Phone {PHONE} is not counted: reassigned to a new "
        f"subscriber on {day:%Y-%m-%d}."
    )


def test_an_account_blocked_after_the_reassignment_still_counts(kolesa, telecom):
    reassign(telecom, PHONE, days_ago=100)
    blocked_account(kolesa, days_ago=50, phone=PHONE)  # the new subscriber's own history
    fresh = new_account(kolesa, phone=PHONE)
    detection.run_batch([fresh], now=NOW)
    signal = signal_of(fresh, "repeat.registration")
    assert "earlier history" not in signal.explanation


def test_a_reassigned_number_does_not_ring_its_old_and_new_subscribers(kolesa, telecom):
    old = SubjectFactory(partner=kolesa, kind="account", first_seen_at=NOW - timedelta(days=300))
    old_too = SubjectFactory(
        partner=kolesa, kind="account", first_seen_at=NOW - timedelta(days=200)
    )
    IdentifierFactory(subject=old, kind="phone", value=PHONE)
    IdentifierFactory(subject=old_too, kind="phone", value=PHONE)
    reassign(telecom, PHONE, days_ago=100)
    new = SubjectFactory(partner=kolesa, kind="account")
    IdentifierFactory(subject=new, kind="phone", value=PHONE)
    rings_update([new.pk, old.pk])
    for subject in (old, old_too, new):
        subject.refresh_from_db()
    assert old.ring_id == old_too.ring_id == old.pk  # the earlier subscriber's, together
    assert new.ring_id is None


# --- bounded queries -------------------------------------------------------------------------


def test_the_registrys_reads_cost_the_same_for_any_batch(kolesa, telecom):
    vetted("phone", "+70000000000")
    reassign(telecom, PHONE, days_ago=100)
    blocked_account(kolesa, phone=PHONE, device="dev-0001")
    gray(kolesa, "+77015559999", idle_days=100)

    def batch(n: int, start: int) -> list[Subject]:
        return [
            new_account(
                kolesa,
                phone=PHONE,
                device="dev-0001",
                email=f"user{start + i}@mail.kz",
            )
            for i in range(n)
        ]

    small, large = batch(2, 0), batch(20, 100)
    for subject in small[:1] + large[:1]:
        IdentifierFactory(subject=subject, kind="phone", value="+77015559999")
        IdentifierFactory(subject=subject, kind="phone", value="+70000000000")
    with CaptureQueriesContext(connection) as few:
        detection.run_batch(small, now=NOW)
    with CaptureQueriesContext(connection) as many:
        detection.run_batch(large, now=NOW)
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert Signal.objects.filter(rule="repeat.registration").count() == 22
