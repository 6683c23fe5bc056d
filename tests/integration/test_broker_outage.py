"""A worker that outlives its broker: the Celery worker as `make run` starts it (thread pool,
no gossip, mingle or heartbeat), a Redis of the test's own stopped and started again twice
under traffic, three stand-in partners verifying every signature. Every event arrives, none
twice as far as receivers can tell (they deduplicate on webhook-id), and the worker is still
running at the end.

The machine's own Redis is never touched: the test starts a redis-server on a free port and
stops it, also when it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import kombu.pools
import pytest
import redis
from django.db import connection

from antifraud.celery import app as celery_app
from antifraud.delivery import deliveries_redeliver_due
from antifraud.models import Delivery
from tests.integration.test_webhooks import SLUGS, Partners, block_event, free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
# The worker's command line in Procfile.dev, which `make run` uses and the README shows.
WORKER_FLAGS = [
    "--pool=threads",
    "--concurrency=4",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
]
OUTAGE_SECONDS = 3
DEADLINE = 90.0


class OwnRedis:
    """A redis-server of the test's own, on its own port, that the test may stop."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("the test's Redis did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def broker_of_this_process(url: str) -> Iterator[None]:
    """The test process (which runs the sweep, as beat would) publishes to the test's Redis,
    and gives up at once rather than retrying while it is down."""
    saved = (celery_app.conf.broker_url, celery_app.conf.task_publish_retry)

    def reset_pools() -> None:
        # Celery keeps its connections and producers in kombu's process-wide pools.
        kombu.pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_url, celery_app.conf.task_publish_retry = url, False
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_publish_retry = saved
        reset_pools()


@contextmanager
def worker(broker: str) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker process on the test database and the test's broker."""
    database = urlsplit(os.environ["DATABASE_URL"])
    test_database = urlunsplit(database._replace(path="/" + str(connection.settings_dict["NAME"])))
    log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", delete=False)  # noqa: SIM115
    env = {
        **os.environ,
        "DATABASE_URL": test_database,
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "ANTIFRAUD_VAR_DIR": tempfile.mkdtemp(prefix="antifraud-worker-"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "antifraud", "worker", *WORKER_FLAGS],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        process.log = Path(log.name).read_text(errors="replace")  # type: ignore[attr-defined]


def deliver_all(process: subprocess.Popen[bytes]) -> None:
    """Run the sweep as beat would until every event is delivered."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        assert process.poll() is None, "the worker exited"
        deliveries_redeliver_due()
        if not Delivery.objects.exclude(status="delivered").exists():
            return
        time.sleep(0.5)
    states = Counter(Delivery.objects.values_list("partner__slug", "status"))
    raise AssertionError(f"not delivered within {DEADLINE} s: {states}")


def test_the_worker_outlives_its_broker_stopped_twice_under_traffic(settings):
    # Messages in the stopped Redis are lost (it keeps nothing on disk): the sweep hands
    # their rows over again after this wait.
    settings.WEBHOOK_REQUEUE_AFTER = 2.0
    partners = Partners()
    try:
        for slug in SLUGS:
            partners.add(slug)
        with own_redis() as server, broker_of_this_process(server.url), worker(server.url) as w:
            rows = [row for _ in range(3) for row in block_event()]
            deliver_all(w)
            for _outage in range(2):
                server.stop()
                # Traffic while the broker is down: committed, not enqueued, left to the sweep.
                rows += [row for _ in range(3) for row in block_event()]
                time.sleep(OUTAGE_SECONDS)
                server.start()
                back = time.monotonic()
                rows += [row for _ in range(3) for row in block_event()]
                deliver_all(w)
                # For the README's figure; the test asserts what arrives, not how fast.
                print(f"every event delivered {time.monotonic() - back:.1f} s after Redis returned")
            assert w.poll() is None, "the worker exited"
        for slug, stub in partners.stubs.items():
            expected = {r.webhook_id for r in rows if r.partner.slug == slug}
            received = set(stub.accepted_ids())
            assert received == expected, f"{slug} is missing {expected - received}"
            assert all(r.verified for r in stub.received)
    finally:
        partners.stop()
