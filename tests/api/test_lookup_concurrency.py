"""Concurrent look-ups of one partner (PostgreSQL: SQLite serialises writers): the daily quota
is never passed together, no tally is lost, and a walk raises one alert."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Sum

from antifraud.models import LookupAlert, LookupTally
from tests.api.conftest import client_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LOOKUP = "/api/v1/lookup/"


def at_once(count: int, send: Callable[[int], int]) -> list[int]:
    """Run send(0) … send(count - 1) in threads released together; their answers' statuses."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            statuses.append(send(n))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_concurrent_look_ups_never_pass_the_quota_together(kolesa, kolesa_key):
    kolesa.lookup_quota = 10
    kolesa.save(update_fields=["lookup_quota"])
    key = kolesa_key[1]

    def send(n: int) -> int:
        phones = [f"+7705{n:03d}{m:04d}" for m in range(5)]
        body = {"purpose": "payment", "phones": phones}
        return client_for(key).post(LOOKUP, body, format="json").status_code

    assert at_once(6, send) == [200, 200, 429, 429, 429, 429]
    total = LookupTally.objects.filter(partner=kolesa).aggregate(total=Sum("count"))["total"]
    assert total == 10
    assert LookupTally.objects.filter(partner=kolesa).count() == 1


def test_a_walk_from_many_connections_raises_one_alert(kolesa, kolesa_key, settings):
    settings.LOOKUP_WALK_MISSES = 40
    key = kolesa_key[1]

    def send(n: int) -> int:
        phones = [f"+7701000{n:02d}{m:02d}" for m in range(20)]
        body = {"purpose": "listing", "phones": phones}
        return client_for(key).post(LOOKUP, body, format="json").status_code

    assert at_once(5, send) == [200] * 5
    assert LookupAlert.objects.filter(partner=kolesa).count() == 1
    kolesa.refresh_from_db()
    assert kolesa.lookup_slowed_until is not None
