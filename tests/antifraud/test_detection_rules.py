"""The rule families written in antifraud/detection/{prices,contacts,repeat,lists}.py, run
the way intake runs them: over a batch, storing each hit as a signal with its rule's code
and version, in every mode."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from antifraud import detection
from antifraud.detection.base import Explanation, signal_explanation
from antifraud.models import DetectionRule, Indicator, MarketPrice, Signal, Subject
from antifraud.services import market_prices_refresh
from tests.factories import IdentifierFactory, PartnerFactory, SubjectFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def rule_signals(subject: Subject, rule: str) -> list[Signal]:
    return list(Signal.objects.filter(subject=subject, rule=rule))


def market(partner, *, category="cars", city="Алматы", prices=(6_000_000,) * 6, **attrs):
    for price in prices:
        SubjectFactory(
            partner=partner, category=category, city=city, price=price, text="", attributes=attrs
        )
    market_prices_refresh()


# --- price far below market ------------------------------------------------------------------


def test_a_listing_at_a_tenth_of_its_median_is_flagged_with_the_figures(kolesa):
    market(kolesa, prices=[5_800_000, 6_000_000, 6_100_000, 6_500_000, 7_000_000, 5_900_000])
    cheap = SubjectFactory(partner=kolesa, price=610_000, text="")
    detection.run_batch([cheap], now=NOW)
    [signal] = rule_signals(cheap, "price.below_market")
    assert signal.scheme == "underpriced_vehicle" and signal.rule_version == 1
    assert signal.details["median"] == 6_050_000 and signal.details["sample"] == 6
    assert "10% of the median 6\u00a0050\u00a0000 ₸ of 6 comparable listings" in signal.explanation
    assert signal.score > 80  # far below: near the maximum


def test_a_fair_price_and_too_few_comparables_stay_quiet(kolesa):
    market(kolesa, prices=[6_000_000] * 4)  # four: too few
    market(kolesa, city="Астана", prices=[6_000_000] * 6)
    lonely = SubjectFactory(partner=kolesa, price=100_000, text="")
    fair = SubjectFactory(partner=kolesa, city="Астана", price=5_000_000, text="")
    detection.run_batch([lonely, fair], now=NOW)
    assert not Signal.objects.filter(rule="price.below_market").exists()


def test_the_narrowest_segment_with_enough_comparables_is_used(kolesa):
    market(kolesa, prices=[3_000_000] * 6)  # the category at large: old cheap cars
    market(kolesa, prices=[15_000_000] * 6, make="Toyota", model="Land Cruiser")
    cruiser = SubjectFactory(
        partner=kolesa,
        price=4_000_000,
        text="",
        attributes={"make": "toyota", "model": "land  cruiser"},
    )
    detection.run_batch([cruiser], now=NOW)
    [signal] = rule_signals(cruiser, "price.below_market")
    assert signal.details["segment"] == "make=toyota;model=land cruiser"
    assert signal.details["median"] == 15_000_000


def test_flagged_listings_do_not_pull_the_median_down(kolesa):
    market(kolesa, prices=[6_000_000] * 6)
    scams = [SubjectFactory(partner=kolesa, price=500_000, text="") for _ in range(6)]
    detection.run_batch(scams, now=NOW)
    market_prices_refresh()
    assert MarketPrice.objects.get(category="cars", city="Алматы", segment="").median_price == (
        6_000_000
    )


def test_the_case_page_shows_the_figure_the_signal_used(kolesa):
    from reviews.selectors import price_reference

    market(kolesa, prices=[6_000_000] * 6)
    cheap = SubjectFactory(partner=kolesa, price=600_000, text="")
    detection.run_batch([cheap], now=NOW)
    market(kolesa, prices=[9_000_000] * 20)  # the market moves on afterwards
    signals = list(Signal.objects.filter(subject=cheap))
    reference = price_reference(cheap, signals)
    assert (reference.median_price, reference.sample_size) == (6_000_000, 6)


# --- contacts that do not exist ---------------------------------------------------------------


def test_a_phone_no_operator_has_and_a_disposable_address(kolesa):
    listing = SubjectFactory(partner=kolesa, text="")
    IdentifierFactory(subject=listing, kind="phone", value="+70000000000", display="+7 000")
    IdentifierFactory(subject=listing, kind="email", value="seller@mailinator.com")
    honest = SubjectFactory(partner=kolesa, text="")
    IdentifierFactory(subject=honest, kind="phone", value="+77015550101")
    IdentifierFactory(subject=honest, kind="email", value="seller@mail.kz")
    detection.run_batch([listing, honest], now=NOW)
    [signal] = rule_signals(listing, "contacts.nonexistent")
    assert signal.scheme == "fake_contacts"
    assert "+70000000000" in signal.explanation and "mailinator.com" in signal.explanation
    assert not rule_signals(honest, "contacts.nonexistent")


def test_a_subdomain_of_a_disposable_domain_is_disposable():
    from antifraud.detection.contacts import disposable

    assert disposable("x@mailinator.com") and disposable("x@eu.mailinator.com")
    assert not disposable("x@gmail.com") and not disposable("x@kolesa.kz")


# --- repeat registrations ----------------------------------------------------------------------


def test_a_new_account_sharing_a_phone_with_a_blocked_one_names_it(kolesa):
    krisha = PartnerFactory(slug="krisha", name="Krisha.kz")
    blocked = SubjectFactory(
        partner=krisha,
        kind="account",
        external_id="u-77",
        status="blocked",
        status_changed_at=NOW - timedelta(days=40),
    )
    IdentifierFactory(subject=blocked, kind="phone", value="+77015550101")
    fresh = SubjectFactory(
        partner=kolesa, kind="account", registered_at=NOW - timedelta(days=2), text=""
    )
    listing = SubjectFactory(partner=kolesa, account=fresh, text="")
    IdentifierFactory(subject=fresh, kind="phone", value="+77015550101")
    old = SubjectFactory(
        partner=kolesa, kind="account", registered_at=NOW - timedelta(days=900), text=""
    )
    IdentifierFactory(subject=old, kind="phone", value="+77015550101")
    detection.run_batch([listing, old], now=NOW)
    [signal] = rule_signals(listing, "repeat.registration")
    assert signal.scheme == "repeat_offender"
    assert "account u-77 on Krisha.kz" in signal.explanation
    assert signal.details["blocked_account"] == blocked.pk
    assert not rule_signals(old, "repeat.registration")  # an old account is not a new one


# --- lists, modes and explanations ------------------------------------------------------------


def test_shadow_hits_are_stored_and_marked_and_off_rules_store_nothing(kolesa):
    listing = SubjectFactory(partner=kolesa, text="")
    IdentifierFactory(subject=listing, kind="phone", value="+70000000000")
    DetectionRule.objects.create(code="contacts.nonexistent", mode="shadow", version=3)
    detection.run_batch([listing], now=NOW)
    [signal] = rule_signals(listing, "contacts.nonexistent")
    assert signal.shadow and signal.rule_version == 3
    DetectionRule.objects.filter(code="contacts.nonexistent").update(mode="off", version=4)
    other = SubjectFactory(partner=kolesa, text="")
    IdentifierFactory(subject=other, kind="phone", value="+70000000000")
    detection.run_batch([other], now=NOW)
    assert not rule_signals(other, "contacts.nonexistent")


def test_the_same_evidence_is_not_stored_twice(kolesa):
    listing = SubjectFactory(partner=kolesa, text="")
    IdentifierFactory(subject=listing, kind="phone", value="+77015550101")
    Indicator.objects.create(
        kind="phone",
        value="+77015550101",
        display="+7 701 555 0101",
        list="black",
        reason="x",
        origin="decision",
        origin_ref="decision:1",
    )
    detection.run_batch([listing], now=NOW)
    detection.run_batch([listing], now=NOW)
    [signal] = rule_signals(listing, "lists.match")
    assert signal.source == "list_match" and signal.score == 90


def test_an_explanation_is_rendered_in_the_readers_language():
    explanation = Explanation(
        "Phone %(phones)s is not a number any operator has assigned.", {"phones": "+70000000000"}
    )
    english = explanation.render("en")
    assert english == "Phone +70000000000 is not a number any operator has assigned."
    for language in ("ru", "kk"):
        text = explanation.render(language)
        assert "+70000000000" in text and text != english, language


def test_a_signal_without_a_template_keeps_its_text(kolesa):
    signal = Signal(explanation="Жалоба покупателя.", details={})
    assert signal_explanation(signal, "kk") == "Жалоба покупателя."


def test_queries_per_batch_do_not_grow_with_the_batch(kolesa):
    market(kolesa, prices=[6_000_000] * 6)

    def batch(n: int) -> list[Subject]:
        made = []
        for i in range(n):
            account = SubjectFactory(partner=kolesa, kind="account", text="")
            listing = SubjectFactory(partner=kolesa, account=account, price=300_000 + i, text="")
            IdentifierFactory(subject=listing, kind="phone", value=f"+7701555{i:04d}")
            made.append(listing)
        return made

    small, large = batch(2), batch(20)
    with CaptureQueriesContext(connection) as few:
        detection.run_batch(small, now=NOW)
    with CaptureQueriesContext(connection) as many:
        detection.run_batch(large, now=NOW)
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
