"""`make bench`: the partner API measured next to raw baselines taken in the same run.

- Report ingest through the HTTP API, in batches of 500, against PostgreSQL COPY of the
  same rows into a table of the same shape: reports per second, and their ratio.
- Look-up latency through the HTTP API against a minimal Django view served by the same
  server: median and 95th percentile, and their ratio.

It creates a scratch PostgreSQL database (dropped at the end), runs the project under
gunicorn on a free port, and prints the figures (also written to benchmarks/results.json).
Needs PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DATABASE = "antifraud_bench"
CITIES = ["Алматы", "Астана", "Шымкент", "Караганда", "Актобе"]
SCHEMES = [
    "fake_rental",
    "underpriced_vehicle",
    "underpriced_property",
    "prepaid_delivery",
    "fictitious_store",
]


def server_url(base: str, database: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def phone(rng: random.Random) -> str:
    return f"+7701{rng.randint(0, 9_999_999):07d}"


def make_reports(rng: random.Random, count: int, listed: list[str]) -> list[dict]:
    reports = []
    for n in range(count):
        phones = [rng.choice(listed) if rng.random() < 0.2 else phone(rng)]
        reports.append(
            {
                "report_id": f"bench-{n}",
                "subject": {
                    "kind": "listing",
                    "external_id": f"L{n}",
                    "title": f"Toyota Camry 70, 2019 г. #{n}",
                    "text": "Срочно, уезжаю, нужен задаток на карту. " * 3,
                    "category": "cars",
                    "price": rng.randint(3_000_000, 15_000_000),
                    "city": rng.choice(CITIES),
                    "language": "ru",
                },
                "account": {"external_id": f"U{n // 3}", "name": "Ерлан Т."},
                "contacts": {"phones": phones},
                "photos": [{"pdq": f"{rng.getrandbits(256):064x}"}],
                "signal": {
                    "scheme": rng.choice(SCHEMES),
                    "score": rng.randint(30, 90),
                    "explanation": "Покупатель сообщил о требовании предоплаты.",
                },
            }
        )
    return reports


def run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd[:3])} failed:\n{done.stderr[-2000:]}")
    return done.stdout


SETUP = """
from accounts.models import Partner
from antifraud.normalize import normalize
from antifraud.services import indicator_list
from antifraud.services.keys import api_key_create
from django.contrib.auth.models import Group
from accounts.models import User
partner = Partner.objects.create(slug="bench", name="Bench.kz", kind="classifieds")
key = api_key_create(actor=None, partner=partner, name="bench")[1]
moderators = Group.objects.get(name="moderator")
for n in range({moderators}):
    User.objects.create_user(username=f"bench.moderator{{n}}", partner=partner).groups.add(moderators)
for raw in {listed!r}:
    n = normalize("phone", raw)
    indicator_list(actor=None, kind=n.kind, value=n.value, display=n.display, list="black", origin="decision",
                   scheme="fake_rental", reason="bench")
print(key)
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--moderators", type=int, default=8)
    parser.add_argument("--claim-seconds", type=float, default=10.0)
    args = parser.parse_args()

    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/")
    admin_url = server_url(base, "postgres")
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            conn.execute(f"CREATE DATABASE {DATABASE}")
    except psycopg.OperationalError as exc:
        sys.exit(f"bench: PostgreSQL is needed ({exc.__class__.__name__}); set BENCH_DATABASE_URL")

    rng = random.Random(42)
    listed = [phone(rng) for _ in range(200)]
    env = {
        **os.environ,
        "DATABASE_URL": server_url(base, DATABASE),
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "ANTIFRAUD_VAR_DIR": tempfile.mkdtemp(prefix="antifraud-bench-"),
        "CELERY_BROKER_URL": "memory://",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    server = None
    try:
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
        key = (
            run(
                [
                    PYTHON,
                    "manage.py",
                    "shell",
                    "-c",
                    SETUP.format(listed=listed, moderators=args.moderators),
                ],
                env,
            )
            .strip()
            .splitlines()[-1]
        )
        port = free_port()
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "antifraud.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Api-Key {key}"}
        with httpx.Client(base_url=url, timeout=120) as client:
            for _ in range(100):
                try:
                    if client.get("/bench/minimal/").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            results = measure(client, headers, args, rng, listed, server_url(base, DATABASE))
        # The gunicorn workers are idle now; the moderators take the cores.
        claims = run(
            [
                PYTHON,
                "-m",
                "benchmarks.claims",
                "--moderators",
                str(args.moderators),
                "--seconds",
                str(args.claim_seconds),
            ],
            env,
        )
        results.update(json.loads(claims))
        results.update(json.loads(run([PYTHON, "-m", "benchmarks.uploads"], env)))
        results.update(json.loads(run([PYTHON, "-m", "benchmarks.isolation"], env)))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")

    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(f"{'measure':<44}{'value':>14}")
    for name, value in results.items():
        print(f"{name:<44}{value:>14}")


def measure(
    client: httpx.Client, headers: dict, args, rng: random.Random, listed: list[str], db_url: str
) -> dict:
    reports = make_reports(rng, args.reports, listed)

    started = time.perf_counter()
    accepted = 0
    for i in range(0, len(reports), args.batch):
        response = client.post(
            "/api/v1/reports/", json={"reports": reports[i : i + args.batch]}, headers=headers
        )
        if response.status_code != 200:
            sys.exit(f"bench: reports answered {response.status_code}: {response.text[:500]}")
        accepted += response.json()["accepted"]
    api_seconds = time.perf_counter() - started
    if accepted != len(reports):
        sys.exit(f"bench: only {accepted} of {len(reports)} reports were accepted")

    # Baseline: the same rows written by COPY into a table of the same shape, no checks.
    with psycopg.connect(db_url) as conn:
        conn.execute(
            "CREATE TEMP TABLE raw_reports (report_id text, kind text, external_id text, title text,"
            " body text, price bigint, city text, phone text, pdq text, scheme text, score int)"
        )
        started = time.perf_counter()
        with conn.cursor().copy("COPY raw_reports FROM STDIN") as copy:
            for r in reports:
                s = r["subject"]
                copy.write_row(
                    (
                        r["report_id"],
                        s["kind"],
                        s["external_id"],
                        s["title"],
                        s["text"],
                        s["price"],
                        s["city"],
                        r["contacts"]["phones"][0],
                        r["photos"][0]["pdq"],
                        r["signal"]["scheme"],
                        r["signal"]["score"],
                    )
                )
        conn.commit()
        copy_seconds = time.perf_counter() - started

    def timed(fn) -> list[float]:
        out = []
        for _ in range(args.lookups):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
        return out

    def lookup() -> None:
        phones = [rng.choice(listed) if rng.random() < 0.3 else phone(rng) for _ in range(10)]
        response = client.post(
            "/api/v1/lookup/", json={"purpose": "listing", "phones": phones}, headers=headers
        )
        if response.status_code != 200:
            sys.exit(f"bench: lookup answered {response.status_code}: {response.text[:300]}")

    timed(lambda: client.get("/bench/minimal/"))  # warm both workers
    minimal_ms = timed(lambda: client.get("/bench/minimal/"))
    lookup_ms = timed(lookup)

    api_rate = len(reports) / api_seconds
    copy_rate = len(reports) / copy_seconds
    return {
        "reports ingested": len(reports),
        "ingest via API (reports/s)": round(api_rate, 1),
        "COPY baseline (rows/s)": round(copy_rate, 1),
        "ingest / COPY ratio": round(api_rate / copy_rate, 4),
        "lookup p50 (ms, 10 phones)": round(statistics.median(lookup_ms), 2),
        "lookup p95 (ms)": round(percentile(lookup_ms, 0.95), 2),
        "minimal view p50 (ms)": round(statistics.median(minimal_ms), 2),
        "minimal view p95 (ms)": round(percentile(minimal_ms, 0.95), 2),
        "lookup / minimal p50 ratio": round(
            statistics.median(lookup_ms) / statistics.median(minimal_ms), 2
        ),
    }


if __name__ == "__main__":
    main()
