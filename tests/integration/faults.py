"""The parts a fault test starts of its own and breaks: a Redis, a PostgreSQL cluster, Celery
worker and beat processes started as the README runs them, a gunicorn. The machine's shared
PostgreSQL and Redis are never stopped, restarted or flushed: each part here runs on a free
port of its own and is removed when the test ends, also when it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import kombu.pools
import psycopg
import redis

from antifraud.celery import app as celery_app
from antifraud.partner_stub import PartnerStub

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
PG_VERSION = "15"
# Debian's postgresql-common tools, which make a cluster of the test's own.
PG_TOOL = {
    name: shutil.which(name) or f"/usr/bin/{name}"
    for name in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster")
}
# The worker's command line in Procfile.dev, which `make run` uses and the README shows.
WORKER_FLAGS = [
    "--pool=threads",
    "--concurrency=4",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(done: Callable[[], bool], *, timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout} s")


# --- Redis ----------------------------------------------------------------------------------


class OwnRedis:
    """A redis-server of the test's own, on its own port, that the test may stop and flush."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                return bool(self.client().ping())
            except redis.ConnectionError:
                return False

        wait_for(answers, timeout=10, what="the test's Redis to start", every=0.05)

    def flush(self) -> None:
        self.client().flushall()

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
    """The test process (which runs the sweep, as beat would) publishes to the test's Redis."""
    saved = celery_app.conf.broker_url

    def reset_pools() -> None:
        # Celery keeps its connections and producers in kombu's process-wide pools.
        kombu.pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_url = url
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_url = saved
        reset_pools()


# --- PostgreSQL -----------------------------------------------------------------------------


class OwnPostgres:
    """A PostgreSQL cluster of the test's own (pg_createcluster), on its own port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.name = f"antifraud_fault_{port}"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [PG_TOOL["pg_ctlcluster"], "--skip-systemctl-redirect", PG_VERSION, self.name, *args],
            check=True,
            capture_output=True,
        )

    def create(self) -> None:
        subprocess.run(
            [
                *(PG_TOOL["pg_createcluster"], PG_VERSION, self.name),
                *("--port", str(self.port), "--", "--auth=trust"),
            ],
            check=True,
            capture_output=True,
        )
        self.start()

    def answers(self) -> bool:
        try:
            with psycopg.connect(self.url(), connect_timeout=2) as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
        except psycopg.OperationalError:
            return False

    def start(self) -> None:
        self._ctl("start")
        wait_for(self.answers, timeout=30, what="the test's PostgreSQL to start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")
        wait_for(self.answers, timeout=30, what="the test's PostgreSQL to restart")

    def drop(self) -> None:
        subprocess.run(
            [PG_TOOL["pg_dropcluster"], "--stop", PG_VERSION, self.name],
            check=False,
            capture_output=True,
        )


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    cluster = OwnPostgres(free_port())
    cluster.drop()  # a cluster of this name left by a killed run
    cluster.create()
    try:
        yield cluster
    finally:
        cluster.drop()


# --- processes as the README runs them ------------------------------------------------------


class Process:
    """A child process whose output goes to a file, read back when it ends."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str]) -> None:
        self.name = name
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix=f"{name}-", suffix=".log", delete=False
        )
        self.popen = subprocess.Popen(
            argv, cwd=ROOT, env=dict(env), stdout=self._log, stderr=subprocess.STDOUT
        )
        self.log = ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, as a crashed machine."""
        self.popen.kill()
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._log.close()
        self.log = Path(self._log.name).read_text(errors="replace")

    def output(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def service_env(database_url: str, broker_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "ANTIFRAUD_VAR_DIR": tempfile.mkdtemp(prefix="antifraud-fault-"),
        **extra,
    }


def celery_worker(env: Mapping[str, str]) -> Process:
    return Process(
        "worker", [sys.executable, "-m", "celery", "-A", "antifraud", "worker", *WORKER_FLAGS], env
    )


def celery_beat(env: Mapping[str, str]) -> Process:
    schedule = Path(env["ANTIFRAUD_VAR_DIR"]) / "beat-schedule"
    return Process(
        "beat",
        [sys.executable, "-m", "celery", "-A", "antifraud", "beat", "-s", str(schedule)],
        env,
    )


# --- what the partners received ---------------------------------------------------------------


def assert_each_arrived(stubs: Mapping[str, PartnerStub], expected: Mapping[str, set[str]]) -> None:
    """Every event its partner should have, none it should not, every signature valid —
    counted once per webhook-id, as a receiver deduplicates."""
    for slug, stub in stubs.items():
        received = set(stub.accepted_ids())
        missing, extra = expected[slug] - received, received - expected[slug]
        assert not missing and not extra, f"{slug}: missing {missing}, unexpected {extra}"
        assert all(r.verified for r in stub.received), f"{slug} got an invalid signature"


def duplicates(stub: PartnerStub) -> int:
    return sum(n - 1 for n in Counter(stub.accepted_ids()).values())


def this_test_database_url() -> str:
    """DATABASE_URL naming the database pytest-django created for this run."""
    from urllib.parse import urlsplit, urlunsplit

    from django.db import connection

    database = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(database._replace(path="/" + str(connection.settings_dict["NAME"])))


def sweep_until_delivered(worker: Process, *, deadline: float) -> None:
    """Run the redelivery sweep, as beat does, until every outbox row is delivered."""
    from antifraud.delivery import deliveries_redeliver_due
    from antifraud.models import Delivery

    until = time.monotonic() + deadline
    while time.monotonic() < until:
        assert worker.alive(), "the worker exited:\n" + worker.output()[-3000:]
        deliveries_redeliver_due()
        if not Delivery.objects.exclude(status="delivered").exists():
            return
        time.sleep(0.5)
    states = Counter(Delivery.objects.values_list("partner__slug", "status"))
    raise AssertionError(f"not delivered within {deadline} s: {states}")
