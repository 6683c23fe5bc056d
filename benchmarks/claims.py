"""Moderators working a queue at once: claim-next throughput, measured next to a raw baseline.

Run by benchmarks/run.py against its scratch database (DATABASE_URL, benchmarks.settings),
after the ingest measurement has filled the queue. Each moderator is a process of its own
(as web workers are), with its own database connection:

- raw baseline: `SELECT … FOR UPDATE SKIP LOCKED` of the best open case, claim it, commit,
  put it back, commit — the least a claim can cost;
- claim-next and release through the services (leases, scoping, audit);
- claim-next and decide through the services (evidence snapshot, outbox rows, audit), the
  moderators' real work, with the time of each claim-next call.

Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
import traceback
from threading import BrokenBarrierError
from typing import Any

RAW_CLAIM = """
    SELECT id FROM reviews_case WHERE status = 'open' AND NOT is_escalated
    ORDER BY priority DESC, opened_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
"""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()


def _worker(kind: str, username: str, seconds: float, start: Any, out: Any) -> None:
    try:
        _work(kind, username, seconds, start, out)
    except BaseException:
        out.put({"error": traceback.format_exc()})
        start.abort()
        raise


def _work(kind: str, username: str, seconds: float, start: Any, out: Any) -> None:
    _setup_django()
    from django.db import connection, transaction

    from accounts.models import User
    from reviews import services
    from reviews.models import Policy
    from reviews.queues import Queue
    from reviews.services import DecisionRequest

    actor = User.objects.get(username=username)
    queue = Queue.parse("all")
    policy_id = Policy.objects.get(code="fake-photos", is_current=True).pk
    connection.ensure_connection()
    cycles = 0
    claim_ms: list[float] = []
    start.wait()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if kind == "raw":
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(RAW_CLAIM)
                row = cursor.fetchone()
                if row is None:
                    break
                cursor.execute(
                    "UPDATE reviews_case SET status = 'claimed', claimed_by_id = %s,"
                    " lease_until = now() + interval '15 minutes' WHERE id = %s",
                    [actor.pk, row[0]],
                )
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE reviews_case SET status = 'open', claimed_by_id = NULL,"
                    " lease_until = NULL WHERE id = %s",
                    [row[0]],
                )
        else:
            began = time.perf_counter()
            case = services.case_claim_next(actor=actor, queue=queue)
            claim_ms.append((time.perf_counter() - began) * 1000)
            if case is None:
                break
            if kind == "release":
                services.case_release(actor=actor, case_id=case.pk)
            else:
                services.decision_record(
                    actor=actor,
                    case_id=case.pk,
                    request=DecisionRequest(
                        action="remove_listing",
                        policy_id=policy_id,
                        statement_of_reasons="Benchmark decision.",
                    ),
                )
        cycles += 1
    out.put({"cycles": cycles, "claim_ms": claim_ms})
    connection.close()


def _round(kind: str, usernames: list[str], seconds: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(len(usernames) + 1)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(kind, name, seconds, start, out)) for name in usernames
    ]
    for proc in procs:
        proc.start()
    # A moderator that failed before the start breaks the barrier; its error is in the queue.
    with contextlib.suppress(BrokenBarrierError):
        start.wait(timeout=120)
    began = time.perf_counter()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    failed = [r["error"] for r in results if "error" in r]
    if failed:
        sys.exit(f"bench: a moderator process failed:\n{failed[0]}")
    elapsed = time.perf_counter() - began
    for proc in procs:
        proc.join(timeout=30)
    claim_ms = [ms for r in results for ms in r["claim_ms"]]
    return {
        "cycles_per_s": sum(r["cycles"] for r in results) / elapsed,
        "claim_ms": claim_ms,
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moderators", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    usernames = [f"bench.moderator{i}" for i in range(args.moderators)]
    raw = _round("raw", usernames, args.seconds)
    release = _round("release", usernames, args.seconds)
    decide = _round("decide", usernames, args.seconds)
    n = args.moderators
    json.dump(
        {
            f"raw claim+release, {n} moderators (cycles/s)": round(raw["cycles_per_s"], 1),
            f"claim-next+release, {n} moderators (cycles/s)": round(release["cycles_per_s"], 1),
            "claim-next+release / raw ratio": round(
                release["cycles_per_s"] / raw["cycles_per_s"], 3
            ),
            f"claim-next+decide, {n} moderators (cycles/s)": round(decide["cycles_per_s"], 1),
            "claim-next p50 while deciding (ms)": round(statistics.median(decide["claim_ms"]), 2),
            "claim-next p95 while deciding (ms)": round(_percentile(decide["claim_ms"], 0.95), 2),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
