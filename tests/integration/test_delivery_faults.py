"""Delivery under faults, with the parts a partner depends on running for real: PostgreSQL,
a Redis of the test's own as the broker, the Celery worker as a process started the way
`make run` starts it, and three stand-in partners that verify every signature. The test
process runs the redelivery sweep as beat would, faster.

Each test asserts that every event reaches its partner (counted once per webhook-id, as a
receiver deduplicates), none is missing, none arrives unsigned or wrongly signed.
"""

from __future__ import annotations

import shutil
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from antifraud.models import Delivery
from tests.integration.faults import (
    OwnRedis,
    Process,
    assert_each_arrived,
    broker_of_this_process,
    celery_worker,
    duplicates,
    own_redis,
    service_env,
    sweep_until_delivered,
    this_test_database_url,
    wait_for,
)
from tests.integration.test_webhooks import SLUGS, Partners, block_event

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Retries come quickly here; the schedule's length is what it is in production or more.
FAST_RETRIES = ",".join(["0.5"] * 20)


@dataclass
class Stack:
    partners: Partners
    redis: OwnRedis
    rows: list[Delivery] = field(default_factory=list)

    def worker(self, **settings: str) -> Process:
        env = service_env(this_test_database_url(), self.redis.url, **settings)
        return celery_worker(env)

    def events(self, count: int) -> None:
        """`count` blocks, each an event for every partner, committed and enqueued."""
        for _ in range(count):
            self.rows += block_event()

    def expected(self) -> dict[str, set[str]]:
        return {slug: {r.webhook_id for r in self.rows if r.partner.slug == slug} for slug in SLUGS}

    def arrived(self) -> None:
        assert_each_arrived(self.partners.stubs, self.expected())


@pytest.fixture
def stack(settings) -> Iterator[Stack]:
    # A message lost with the broker is handed over again this long after it was queued.
    settings.WEBHOOK_REQUEUE_AFTER = 2.0
    partners = Partners()
    try:
        for slug in SLUGS:
            partners.add(slug)
        with own_redis() as server, broker_of_this_process(server.url):
            yield Stack(partners, server)
    finally:
        partners.stop()


def test_a_worker_killed_mid_delivery(stack):
    for stub in stack.partners.stubs.values():
        stub.delay = 1.0  # each answer takes a second: attempts are in flight when it dies
    # Short timeouts shorten the in-flight mark a dead worker leaves behind.
    settings = {"WEBHOOK_CONNECT_TIMEOUT": "1", "WEBHOOK_READ_TIMEOUT": "3"}
    with stack.worker(**settings) as first:
        stack.events(10)
        wait_for(
            lambda: any(stub.received for stub in stack.partners.stubs.values()),
            timeout=30,
            what="a first request at a partner",
        )
        first.kill()
    assert Delivery.objects.exclude(status="delivered").exists()
    for stub in stack.partners.stubs.values():
        stub.delay = 0.0
    with stack.worker(**settings) as second:
        stack.events(5)
        sweep_until_delivered(second, deadline=90)
    stack.arrived()
    # The requests the dead worker had sent were answered to nobody and sent again: at least
    # once, and a receiver sees the same webhook-id.
    assert sum(duplicates(stub) for stub in stack.partners.stubs.values()) >= 1


def test_redis_flushed_and_stopped_under_traffic(stack):
    for stub in stack.partners.stubs.values():
        stub.delay = 0.2
    with stack.worker() as worker:
        stack.events(10)
        time.sleep(0.5)
        stack.redis.flush()  # every queued message gone
        stack.events(5)
        stack.redis.stop()
        stack.events(5)  # committed while the broker is down; the sweep sends them later
        time.sleep(2)
        stack.redis.start()
        stack.redis.flush()
        stack.events(5)
        sweep_until_delivered(worker, deadline=90)
        assert worker.alive()
    stack.arrived()


def test_a_partner_failing_then_recovering(stack):
    failing = stack.partners.stubs["olx"]
    failing.fail_status = 503
    failing._failures_left = 10**6  # fails until it recovers below
    with stack.worker(WEBHOOK_RETRY_SCHEDULE=FAST_RETRIES, WEBHOOK_CIRCUIT_PAUSE="1") as worker:
        stack.events(10)
        # The others get everything while it fails.
        others = ("kolesa", "krisha")
        wait_for(
            lambda: all(
                set(stack.partners.stubs[s].accepted_ids()) == stack.expected()[s] for s in others
            ),
            timeout=60,
            what="the healthy partners' events",
            every=0.5,
        )
        assert not failing.accepted_ids()
        time.sleep(5)
        failing._failures_left = 0
        sweep_until_delivered(worker, deadline=120)
    stack.arrived()
    assert len([r for r in failing.received if r.status == 503]) >= 5
    # Nothing died: the retries outlasted the outage.
    assert not Delivery.objects.filter(status="dead").exists()


SLOW_FOR = 60.0


def test_a_partner_slow_for_a_minute_does_not_hold_the_others(stack):
    slow = stack.partners.stubs["olx"]
    slow.delay = 20.0  # past the 10-second read timeout: every attempt times out
    with stack.worker(WEBHOOK_RETRY_SCHEDULE=FAST_RETRIES, WEBHOOK_CIRCUIT_PAUSE="5") as worker:
        start = time.monotonic()
        stop = threading.Event()
        sweeper = threading.Thread(target=_sweep_until, args=(stop,), daemon=True)
        sweeper.start()
        try:
            while time.monotonic() - start < SLOW_FOR - 10:
                stack.events(1)
                time.sleep(2)
            # Ten seconds before the partner recovers, the others have had every event.
            wait_for(
                lambda: all(
                    set(stack.partners.stubs[s].accepted_ids()) == stack.expected()[s]
                    for s in ("kolesa", "krisha")
                ),
                timeout=10,
                what="the healthy partners' events while one partner is slow",
            )
            others = list(
                Delivery.objects.filter(partner__slug__in=("kolesa", "krisha")).values_list(
                    "created_at", "delivered_at"
                )
            )
            latencies = sorted((done - made).total_seconds() for made, done in others)
            p95 = statistics.quantiles(latencies, n=20)[-1]
            # For the README's figure; the test asserts what arrives, not how fast.
            print(f"others' p95 while one partner is slow: {p95:.2f} s over {len(latencies)}")
            time.sleep(max(0.0, SLOW_FOR - (time.monotonic() - start)))
            slow.delay = 0.0
        finally:
            stop.set()
            sweeper.join(timeout=10)
        sweep_until_delivered(worker, deadline=120)
    stack.arrived()


def _sweep_until(stop: threading.Event) -> None:
    from django.db import connection

    from antifraud.delivery import deliveries_redeliver_due

    try:
        while not stop.wait(0.5):
            deliveries_redeliver_due()
    finally:
        connection.close()
