"""A worker that outlives its broker: the Celery worker as `make run` starts it (thread pool,
no gossip, mingle or heartbeat), a Redis of the test's own stopped and started again twice
under traffic, three stand-in partners verifying every signature. Every event arrives, none
twice as far as receivers can tell (they deduplicate on webhook-id), and the worker is still
running at the end.

The machine's own Redis is never touched: the test starts a redis-server on a free port and
stops it, also when it fails.
"""

from __future__ import annotations

import shutil
import time

import pytest

from tests.integration.faults import (
    assert_each_arrived,
    broker_of_this_process,
    celery_worker,
    own_redis,
    service_env,
    sweep_until_delivered,
    this_test_database_url,
)
from tests.integration.test_webhooks import SLUGS, Partners, block_event

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OUTAGE_SECONDS = 3
DEADLINE = 90.0


def test_the_worker_outlives_its_broker_stopped_twice_under_traffic(settings):
    # Messages in the stopped Redis are lost (it keeps nothing on disk): the sweep hands
    # their rows over again after this wait.
    settings.WEBHOOK_REQUEUE_AFTER = 2.0
    partners = Partners()
    try:
        for slug in SLUGS:
            partners.add(slug)
        with (
            own_redis() as server,
            broker_of_this_process(server.url),
            celery_worker(service_env(this_test_database_url(), server.url)) as w,
        ):
            rows = [row for _ in range(3) for row in block_event()]
            sweep_until_delivered(w, deadline=DEADLINE)
            for _outage in range(2):
                server.stop()
                # Traffic while the broker is down: committed, not enqueued, left to the sweep.
                rows += [row for _ in range(3) for row in block_event()]
                time.sleep(OUTAGE_SECONDS)
                server.start()
                back = time.monotonic()
                rows += [row for _ in range(3) for row in block_event()]
                sweep_until_delivered(w, deadline=DEADLINE)
                # For the README's figure; the test asserts what arrives, not how fast.
                print(f"every event delivered {time.monotonic() - back:.1f} s after Redis returned")
            assert w.alive(), "the worker exited"
        assert_each_arrived(
            partners.stubs,
            {slug: {r.webhook_id for r in rows if r.partner.slug == slug} for slug in SLUGS},
        )
    finally:
        partners.stop()
