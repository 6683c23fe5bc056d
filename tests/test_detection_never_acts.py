"""Automated detection queues for humans: whatever the rules find, nothing automated blocks,
removes or lists anyone, and nothing is sent to partners."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from antifraud import detection
from antifraud.models import Delivery, Indicator, Signal, Subject
from antifraud.services import market_prices_refresh
from reviews.models import Decision
from tests.factories import IdentifierFactory, PartnerFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def test_every_rule_firing_blocks_removes_and_lists_nothing(kolesa):
    krisha = PartnerFactory(slug="krisha")
    blocked = SubjectFactory(partner=krisha, kind="account", status="blocked")
    IdentifierFactory(subject=blocked, kind="phone", value="+77015550101")
    Indicator.objects.create(
        kind="phone",
        value="+77015550101",
        list="black",
        reason="x",
        origin="decision",
        origin_ref="decision:1",
    )
    for _ in range(6):
        SubjectFactory(partner=kolesa, price=6_000_000, text="")
    market_prices_refresh()
    account = SubjectFactory(
        partner=kolesa, kind="account", registered_at=timezone.now() - timedelta(days=1)
    )
    listings = [
        SubjectFactory(
            partner=kolesa,
            account=account,
            price=300_000,
            text="Срочно! Только п р е д о п л а т а на карту 4400 4301 2345 6789, доставка",
        )
        for _ in range(6)
    ]
    for listing in listings:
        IdentifierFactory(subject=listing, kind="phone", value="+77015550101")
        IdentifierFactory(subject=listing, kind="email", value="x@mailinator.com")
    indicators = set(Indicator.objects.values_list("pk", "list", "expires_at"))
    detection.run_batch(listings, now=timezone.now())
    fired = set(Signal.objects.exclude(rule="").values_list("rule", flat=True))
    assert {"lists.match", "price.below_market", "repeat.registration"} <= fired
    assert "contacts.nonexistent" in fired
    assert not Decision.objects.exists()
    assert not Delivery.objects.exists()
    assert set(Indicator.objects.values_list("pk", "list", "expires_at")) == indicators
    assert set(Subject.objects.exclude(pk=blocked.pk).values_list("status", flat=True)) == {
        "active"
    }
