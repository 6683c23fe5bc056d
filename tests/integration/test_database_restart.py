"""Moderators deciding through a PostgreSQL restart.

Everything runs as in production, against a PostgreSQL cluster of the test's own (created,
restarted three times and dropped by the test; the machine's shared one is never touched): gunicorn
serving the pages, a Celery worker and beat as the README starts them, a Redis of the test's
own, three stand-in partners verifying every signature. Four moderators decide their cases
through the real decision form while the database restarts under them; whenever an answer
is not a plain success they do what the answer tells them — send the same form again.

Afterwards: each case has exactly one decision, none is half-written (its listing removed,
its events in the outbox for every partner, its audit event, the audit chain verifying), no
answer was a 500, and every event reached every partner (once per webhook-id).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import psycopg
import pytest
import requests

from antifraud.partner_stub import PartnerStub
from tests.integration.faults import (
    PG_TOOL,
    ROOT,
    OwnPostgres,
    Process,
    assert_each_arrived,
    celery_beat,
    celery_worker,
    free_port,
    own_postgres,
    own_redis,
    service_env,
    wait_for,
)
from tests.integration.test_webhooks import SLUGS, new_secret

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
    pytest.mark.skipif(
        shutil.which(PG_TOOL["pg_createcluster"]) is None,
        reason="needs Debian's postgresql-common (pg_createcluster) for a cluster of its own",
    ),
]

MODERATORS = 4
CASES = 160
RESTARTS = 3
DATABASE = "antifraud_fault"

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ATTEMPT = re.compile(r'name="attempt" value="([^"]+)"')
# What the answers say (English: the moderators' sessions have no other language).
NOT_RECORDED = "your decision was not recorded"
UNKNOWN = "it is not known whether your decision was recorded"
RECORDED = "the database failed after your decision, and it was recorded"


@dataclass
class Tally:
    answers: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str) -> None:
        with self.lock:
            self.answers[what] += 1


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@contextmanager
def stubs() -> Iterator[dict[str, tuple[PartnerStub, str]]]:
    secrets = {slug: new_secret() for slug in SLUGS}
    made = {slug: (PartnerStub(secret=secrets[slug]).start(), secrets[slug]) for slug in SLUGS}
    try:
        yield made
    finally:
        for stub, _ in made.values():
            stub.stop()


def moderate(base: str, cookie: str, moderator: dict, policy: int, tally: Tally) -> None:
    """One moderator: open each held case, decide it, and on an unclear answer send the
    same form again until the answer is clear."""
    session = requests.Session()
    session.cookies.set(cookie, moderator["session"])
    for case_id in moderator["cases"]:
        page = _get_form(session, f"{base}/cases/{case_id}/?queue=all", tally)
        form = {
            "csrfmiddlewaretoken": CSRF.search(page).group(1),  # type: ignore[union-attr]
            "attempt": ATTEMPT.search(page).group(1),  # type: ignore[union-attr]
            "action": "remove_listing",
            "policy": str(policy),
            "statement_of_reasons": "Фотографии взяты из чужого объявления.",
            "language": "ru",
            "queue": "all",
        }
        headers = {"Referer": base + "/", "X-CSRFToken": form["csrfmiddlewaretoken"]}
        for _ in range(200):
            try:
                answer = session.post(
                    f"{base}/cases/{case_id}/decide/",
                    data=form,
                    headers=headers,
                    allow_redirects=False,
                    timeout=30,
                )
            except requests.ConnectionError:
                tally.add("connection error")
                time.sleep(0.2)
                continue
            body = answer.text
            if answer.status_code == 302:
                tally.add("decided")
                break
            if answer.status_code == 503:
                tally.add(
                    "503 not recorded"
                    if NOT_RECORDED in body
                    else "503 unknown"
                    if UNKNOWN in body
                    else "503 unavailable"
                )
                time.sleep(0.3)
                continue
            tally.failures.append(f"case {case_id}: {answer.status_code} {body[:300]}")
            return
        else:
            tally.failures.append(f"case {case_id}: never decided")


def _get_form(session: requests.Session, url: str, tally: Tally) -> str:
    for _ in range(200):
        try:
            page = session.get(url, timeout=30)
        except requests.ConnectionError:
            time.sleep(0.2)
            continue
        if page.status_code == 200 and ATTEMPT.search(page.text):
            return page.text
        if page.status_code != 503:
            tally.failures.append(f"{url}: {page.status_code} {page.text[:300]}")
        time.sleep(0.3)
    raise AssertionError(f"{url} never opened")


def test_moderators_decide_through_a_postgresql_restart():
    with ExitStack() as stack:
        cluster: OwnPostgres = stack.enter_context(own_postgres())
        broker = stack.enter_context(own_redis())
        stubbed = stack.enter_context(stubs())
        partner_stubs = {slug: stub for slug, (stub, _) in stubbed.items()}
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        env = service_env(
            cluster.url(DATABASE),
            broker.url,
            DELIVERIES_SWEEP_INTERVAL_SECONDS="1",
            EVENTS_FEED_INTERVAL_SECONDS="1",
            AUDIT_CHAIN_INTERVAL_SECONDS="1",
            WEBHOOK_RETRY_SCHEDULE=",".join(["1"] * 10),
            WEBHOOK_REQUEUE_AFTER="5",
        )
        migrated = manage(env, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr[-2000:]
        config = {
            "stubs": {
                slug: {"url": stub.url, "secret": secret}
                for slug, (stub, secret) in stubbed.items()
            },
            "moderators": MODERATORS,
            "cases": CASES,
        }
        made = subprocess.run(
            [sys.executable, "-m", "tests.integration.fault_setup", json.dumps(config)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert made.returncode == 0, made.stderr[-2000:]
        setup = json.loads(made.stdout)

        port = free_port()
        web = stack.enter_context(
            Process(
                "gunicorn",
                [
                    *(sys.executable, "-m", "gunicorn", "antifraud.wsgi"),
                    *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"),
                ],
                env,
            )
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(base) or not web.alive(), timeout=30, what="gunicorn to answer")
        assert web.alive(), web.output()[-3000:]
        worker = stack.enter_context(celery_worker(env))
        stack.enter_context(celery_beat(env))

        tally = Tally()
        threads = [
            threading.Thread(
                target=moderate, args=(base, setup["cookie"], m, setup["policy"], tally)
            )
            for m in setup["moderators"]
        ]
        for thread in threads:
            thread.start()
        for _ in range(RESTARTS):
            time.sleep(1.5)
            cluster.restart()
        for thread in threads:
            thread.join(timeout=300)
        assert web.alive(), web.output()[-3000:]
        assert not tally.failures, tally.failures[:5]
        print("answers:", dict(tally.answers))
        assert tally.answers["decided"] == CASES
        # The restarts were felt: some answers were not a plain success.
        assert sum(n for what, n in tally.answers.items() if what != "decided") >= 1

        with psycopg.connect(cluster.url(DATABASE), autocommit=True) as conn:
            _assert_whole(conn)
            wait_for(
                lambda: (
                    conn.execute(
                        "SELECT count(*) FROM antifraud_delivery WHERE status <> 'delivered'"
                    ).fetchone()
                    == (0,)
                ),
                timeout=120,
                what="every event delivered",
                every=0.5,
            )
            expected: dict[str, set[str]] = {slug: set() for slug in SLUGS}
            for slug, webhook_id in conn.execute(
                "SELECT p.slug, d.webhook_id FROM antifraud_delivery d "
                "JOIN accounts_partner p ON p.id = d.partner_id"
            ):
                expected[slug].add(webhook_id)
        assert worker.alive(), worker.output()[-3000:]
        assert_each_arrived(partner_stubs, expected)
        verified = manage(env, "verify_audit", "--max-lag", "60")
        assert verified.returncode == 0, verified.stdout + verified.stderr


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code in (200, 503)
    except requests.ConnectionError:
        return False


def _assert_whole(conn: psycopg.Connection) -> None:
    """Each case decided once, and every decision with all that belongs to it."""
    rows = conn.execute(
        "SELECT c.id, c.status, count(d.id) FROM reviews_case c "
        "LEFT JOIN reviews_decision d ON d.case_id = c.id GROUP BY c.id, c.status"
    ).fetchall()
    assert len(rows) == CASES
    assert {(status, decisions) for _, status, decisions in rows} == {("decided", 1)}
    removed = conn.execute(
        "SELECT count(*) FROM reviews_decision d JOIN antifraud_subject s ON s.id = d.subject_id "
        "WHERE s.status = 'removed'"
    ).fetchone()
    assert removed == (CASES,)
    per_decision = conn.execute(
        "SELECT d.id, count(o.id) FROM reviews_decision d LEFT JOIN antifraud_delivery o "
        "ON (o.payload -> 'data' -> 'decision' ->> 'id')::bigint = d.id GROUP BY d.id"
    ).fetchall()
    assert {n for _, n in per_decision} == {len(SLUGS)}
    audited = conn.execute(
        "SELECT count(DISTINCT target_id) FROM antifraud_auditevent "
        "WHERE action = 'decision.recorded'"
    ).fetchone()
    assert audited == (CASES,)
