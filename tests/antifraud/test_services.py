from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from antifraud import services
from antifraud.errors import DomainError
from antifraud.models import AuditEvent, Delivery, Indicator, MarketPrice
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db

PHONE = "+77015550101"


def list_(kind="phone", value=PHONE, *, lst, origin="decision", **kwargs):
    return services.indicator_list(
        actor=None, kind=kind, value=value, display=value, list=lst, origin=origin, **kwargs
    )


def test_listing_a_value_writes_an_audit_event():
    result = list_(lst="black", origin_ref="decision:1")
    assert result.created
    assert AuditEvent.objects.get(action="indicator.listed").target_id == str(result.indicator.pk)


def test_black_over_gray_replaces_the_gray_entry():
    gray = list_(lst="gray", origin="partner_proposal").indicator
    assert gray.expires_at > timezone.now() + timedelta(days=89)
    black = list_(lst="black")
    assert black.created
    gray.refresh_from_db()
    assert gray.revoked_at is not None and "black" in gray.revoked_reason
    assert Indicator.objects.active().get(value=PHONE).list == "black"


def test_gray_over_black_changes_nothing():
    black = list_(lst="black").indicator
    again = list_(lst="gray", origin="partner_proposal")
    assert not again.created and again.indicator.pk == black.pk
    assert Indicator.objects.count() == 1


def test_gray_twice_extends_the_entry(kolesa, krisha):
    first = list_(
        lst="gray",
        origin="partner_proposal",
        partner=kolesa,
        expires_at=timezone.now() + timedelta(days=5),
    )
    later = timezone.now() + timedelta(days=50)
    second = list_(lst="gray", origin="partner_proposal", partner=krisha, expires_at=later)
    assert not second.created
    first.indicator.refresh_from_db()
    assert first.indicator.expires_at == later


def test_an_expired_gray_entry_gives_way():
    old = list_(
        lst="gray", origin="partner_proposal", expires_at=timezone.now() + timedelta(seconds=1)
    )
    fresh = list_(lst="gray", origin="partner_proposal", now=timezone.now() + timedelta(minutes=1))
    assert fresh.created and fresh.indicator.pk != old.indicator.pk


def test_only_decisions_put_values_on_the_black_list():
    with pytest.raises(DomainError) as refused:
        list_(lst="black", origin="partner_proposal")
    assert refused.value.code == "black_needs_decision"
    assert not Indicator.objects.exists()


def test_a_cleared_value_refuses_proposals_but_not_decisions():
    list_(lst="cleared")
    with pytest.raises(DomainError) as refused:
        list_(lst="gray", origin="partner_proposal")
    assert refused.value.code == "value_cleared"
    assert list_(lst="black").created


def test_expiry_tells_every_partner(kolesa, krisha):
    list_(lst="gray", origin="partner_proposal", expires_at=timezone.now() - timedelta(minutes=1))
    assert services.indicators_expire() == 1
    events = Delivery.objects.filter(event_type="indicator.delisted")
    assert sorted(events.values_list("partner__slug", flat=True)) == ["kolesa", "krisha"]
    assert events.first().payload["data"]["indicators"][0]["value"] == PHONE
    assert events.first().payload["data"]["reason"] == "expired"


def test_expiry_takes_gray_entries_out_of_force():
    due = list_(
        lst="gray", origin="partner_proposal", expires_at=timezone.now() - timedelta(minutes=1)
    ).indicator
    kept = list_(kind="email", value="a@b.kz", lst="gray", origin="partner_proposal").indicator
    assert services.indicators_expire() == 1
    due.refresh_from_db()
    kept.refresh_from_db()
    assert due.revoked_reason == "expired" and kept.revoked_at is None
    assert services.indicators_expire() == 0


def test_market_prices_are_medians_of_enough_listings(kolesa):
    for price in (1_000_000, 2_000_000, 3_000_000, 4_000_000, 50_000_000):
        SubjectFactory(partner=kolesa, category="cars", city="Алматы", price=price)
    SubjectFactory(partner=kolesa, category="cars", city="Алматы", price=1, status="removed")
    for price in (1, 2, 3):  # too few to say anything
        SubjectFactory(partner=kolesa, category="cars", city="Тараз", price=price)
    assert services.market_prices_refresh() == 1
    market = MarketPrice.objects.get()
    assert (market.category, market.city, market.median_price, market.sample_size) == (
        "cars",
        "Алматы",
        3_000_000,
        5,
    )
