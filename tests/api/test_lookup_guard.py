"""A partner walking through the phone numbers with look-ups is slowed and shown to the hub
(antifraud.lookup_guard); honest traffic, scattered over the country, is not."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from antifraud.lookup_guard import phone_block, phone_misses_record
from antifraud.models import AuditEvent, LookupAlert
from tests.api.test_lookup import listed

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/lookup/"
# Mobile prefixes of Kazakhstan's operators.
PREFIXES = ["700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778"]


def look(client, phones: list[str]):
    return client.post(LOOKUP, {"purpose": "listing", "phones": phones}, format="json")


def walk(start: int, count: int) -> list[str]:
    return [f"+{start + n}" for n in range(count)]


def scattered(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"+7{rng.choice(PREFIXES)}{rng.randrange(10**7):07d}" for _ in range(count)]


def test_the_block_of_a_number(settings):
    settings.LOOKUP_WALK_BLOCK = 1000
    assert phone_block("+77010000000") == phone_block("+77010000999") == 77010000
    assert phone_block("+77010001000") == 77010001


def test_a_walk_through_consecutive_numbers_slows_the_partner(api, kolesa, settings):
    settings.LOOKUP_SLOWED_RATE = "3/min"
    numbers = walk(77010000000, 200)  # +7 701 000 0000 … +7 701 000 0199
    assert look(api, numbers[:100]).status_code == 200
    assert look(api, numbers[100:]).status_code == 200

    alert = LookupAlert.objects.get()  # one alert, however long the walk goes on
    kolesa.refresh_from_db()
    expected = timezone.now() + timedelta(hours=settings.LOOKUP_SLOWED_HOURS)
    assert abs(kolesa.lookup_slowed_until - expected) < timedelta(minutes=1)
    assert alert.partner == kolesa and alert.slowed_until == kolesa.lookup_slowed_until
    assert alert.details["block"] == 77010000
    assert (alert.details["first"], alert.details["last"]) == ("+77010000000", "+77010000999")
    assert alert.details["misses"] == 100  # flagged as the block reached the threshold
    audit = AuditEvent.objects.get(action="lookup.enumeration_suspected")
    assert audit.actor_label == "partner:kolesa"
    assert audit.payload["block"] == 77010000

    # Slowed: the second look-up above was the first at the slowed rate; two more pass.
    assert look(api, ["+77015550000"]).status_code == 200
    assert look(api, ["+77015550001"]).status_code == 200
    response = look(api, ["+77015550002"])
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60
    assert body["retry_after"] == int(response["Retry-After"])


def test_honest_look_ups_across_the_country_are_not_flagged(api, kolesa):
    numbers = scattered(200)
    assert len(set(numbers)) == 200
    for start in (0, 100):
        assert look(api, numbers[start : start + 100]).status_code == 200
    assert not LookupAlert.objects.exists()
    kolesa.refresh_from_db()
    assert kolesa.lookup_slowed_until is None
    for seed in range(20):  # not slowed: only the key's usual rate applies
        assert look(api, scattered(1, seed=seed)).status_code == 200


def test_another_partner_is_not_slowed(api, krisha_api, settings):
    settings.LOOKUP_SLOWED_RATE = "1/min"
    look(api, walk(77010000000, 100))
    assert LookupAlert.objects.count() == 1
    for n in range(5):
        assert look(krisha_api, [f"+7701000{n:04d}"]).status_code == 200


def test_only_misses_count(api, kolesa, settings):
    settings.LOOKUP_WALK_MISSES = 10
    listed("phone", "+77010000005", "gray", partner=kolesa)
    for _ in range(3):
        look(api, ["+77010000005"] * 5 + ["77010000", "+7 701"])  # hits, then invalid values
    assert not LookupAlert.objects.exists()
    look(api, walk(77010000100, 10))
    assert LookupAlert.objects.count() == 1


def test_misses_are_counted_per_day(kolesa, settings):
    settings.LOOKUP_WALK_MISSES = 10
    now = timezone.now()
    phone_misses_record(partner=kolesa, phones=walk(77010000000, 9), now=now - timedelta(days=1))
    assert phone_misses_record(partner=kolesa, phones=walk(77010000009, 9), now=now) is None
    assert phone_misses_record(partner=kolesa, phones=walk(77010000018, 1), now=now) is not None


def test_one_alert_per_slowed_period(kolesa, settings):
    settings.LOOKUP_WALK_MISSES = 10
    settings.LOOKUP_SLOWED_HOURS = 2
    now = timezone.now()
    first = phone_misses_record(partner=kolesa, phones=walk(77010000000, 10), now=now)
    assert first is not None
    kolesa.refresh_from_db()
    # Another block walked while slowed: nothing new.
    later = now + timedelta(hours=1)
    assert phone_misses_record(partner=kolesa, phones=walk(77020000000, 10), now=later) is None
    # Once the period is over, a walk is flagged again.
    after = now + timedelta(hours=3)
    second = phone_misses_record(partner=kolesa, phones=walk(77030000000, 10), now=after)
    assert second is not None
    assert LookupAlert.objects.count() == 2
    kolesa.refresh_from_db()
    assert kolesa.lookup_slowed_until == after + timedelta(hours=2)


def test_a_slowed_period_ends(api, kolesa, settings):
    settings.LOOKUP_SLOWED_RATE = "1/min"
    settings.LOOKUP_WALK_MISSES = 10
    settings.LOOKUP_SLOWED_HOURS = 1
    phone_misses_record(
        partner=kolesa, phones=walk(77010000000, 10), now=timezone.now() - timedelta(hours=2)
    )
    kolesa.refresh_from_db()
    assert kolesa.lookup_slowed_until < timezone.now()
    for n in range(3):
        assert look(api, [f"+7705{n:07d}"]).status_code == 200


def test_an_unreachable_cache_does_not_fail_the_look_up(api, kolesa, monkeypatch):
    from django.core.cache.backends.locmem import LocMemCache

    def refuse(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(LocMemCache, "add", refuse)
    monkeypatch.setattr(LocMemCache, "incr", refuse)
    assert look(api, walk(77010000000, 100)).status_code == 200
    assert not LookupAlert.objects.exists()


def test_the_file_cache_keeps_the_days_counts(kolesa, settings, tmp_path):
    """Django's file cache re-stores a value on incr with its short default expiry; the
    guard puts the day-long expiry back."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
            "TIMEOUT": 1,
        }
    }
    settings.LOOKUP_WALK_MISSES = 10
    now = timezone.now()
    phone_misses_record(partner=kolesa, phones=walk(77010000000, 5), now=now)
    phone_misses_record(partner=kolesa, phones=walk(77010000005, 4), now=now)
    time.sleep(1.2)  # past the cache's default expiry
    assert phone_misses_record(partner=kolesa, phones=walk(77010000009, 1), now=now) is not None
