"""The photo near-duplicate index at scale, next to comparing every hash in memory.

Fills `PhotoHash` with `--count` random PDQ hashes through `photoindex.index_add`, then times
`photoindex.near` for single hashes (half of them near copies of indexed hashes, 0–31 bits
off, half unrelated) and for batches, against a numpy brute force over the same hashes held
in memory (XOR and popcount of every one). Each answer is checked against the brute force's.
Also times the look-up of a batch's dihedral hashes by `of_value`, which the photo rule makes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/antifraud_photobench \\
        python benchmarks/photoindex.py --count 1000000

The database must be PostgreSQL and its name must contain "bench": the table is filled with
random rows (migrated here if needed; the rows are left for a second look, drop the database
afterwards). Prints the figures as a table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
INSERT_CHUNK = 50_000
T = TypeVar("T")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[..., T], *args: Any) -> tuple[float, T]:
    """Milliseconds taken by fn(*args), and its result."""
    started = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - started) * 1000, result


def random_hashes(rng: np.random.Generator, count: int) -> np.ndarray:
    """(count, 4) uint64: the 256 bits as four words, most significant first."""
    return rng.integers(0, 2**64, size=(count, 4), dtype=np.uint64)


def as_hex(words: np.ndarray) -> str:
    return "".join(f"{int(w):016x}" for w in words)


def as_words(value: str) -> np.ndarray:
    return np.array([int(value[16 * n : 16 * n + 16], 16) for n in range(4)], dtype=np.uint64)


def brute_force(table: np.ndarray, query: str, max_distance: int) -> np.ndarray:
    """Indexes of the hashes within reach: every one compared."""
    distances = np.bitwise_count(table ^ as_words(query)).sum(axis=1, dtype=np.uint16)
    return np.flatnonzero(distances <= max_distance)


def flipped(value: str, bits: int, rng: random.Random) -> str:
    number = int(value, 16)
    for bit in rng.sample(range(256), bits):
        number ^= 1 << bit
    return f"{number:064x}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="hashes in the index")
    parser.add_argument("--queries", type=int, default=200, help="single-hash look-ups")
    parser.add_argument("--batch", type=int, default=96, help="hashes per batch look-up")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="the table already holds the hashes of an earlier run with the same --count and "
        "--seed: measure the look-ups only",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit("photoindex bench: set DATABASE_URL to a PostgreSQL database")
    if "bench" not in urlsplit(url).path:
        sys.exit("photoindex bench: the database's name must contain 'bench' (it is filled)")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antifraud.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q

    from antifraud.detection.photoindex import MAX_DISTANCE, index_add, near, probes
    from antifraud.models import PhotoHash

    call_command("migrate", "--noinput", verbosity=0)
    held = PhotoHash.objects.count()
    if held and not (args.reuse and held == args.count):
        sys.exit(f"photoindex bench: PhotoHash holds {held} rows; use an empty database")

    rng = np.random.default_rng(args.seed)
    pick = random.Random(args.seed)
    table = random_hashes(rng, args.count)
    values = [as_hex(row) for row in table]

    insert_seconds = None
    if held:
        sample = values[:: max(1, args.count // 100)]
        if PhotoHash.objects.filter(value__in=sample).count() != len(sample):
            sys.exit("photoindex bench: the rows held are not this seed's; use an empty database")
    else:
        started = time.perf_counter()
        for start in range(0, len(values), INSERT_CHUNK):
            index_add((v, v, None) for v in values[start : start + INSERT_CHUNK])
        insert_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE antifraud_photohash")
    values_array = np.array(values)

    def query_hash(n: int) -> str:
        if n % 2:
            return f"{pick.getrandbits(256):064x}"
        return flipped(values[pick.randrange(len(values))], pick.randint(0, MAX_DISTANCE), pick)

    def check(query: str, found: list[tuple[str, int]]) -> None:
        expected = set(values_array[brute_force(table, query, MAX_DISTANCE)].tolist())
        if {of_value for of_value, _ in found} != expected:
            sys.exit(f"photoindex bench: near() and the brute force disagree on {query}")

    # Warm the caches and the connection, as a running hub's are.
    for n in range(20):
        near([query_hash(n)])
        brute_force(table, query_hash(n), MAX_DISTANCE)

    def brute_force_all(queries: list[str]) -> list[np.ndarray]:
        return [brute_force(table, q, MAX_DISTANCE) for q in queries]

    def dihedral_of(hashes: list[str]) -> list[str]:
        return list(PhotoHash.objects.filter(of_value__in=hashes).values_list("value", flat=True))

    near_ms: list[float] = []
    brute_ms: list[float] = []
    candidates: list[int] = []
    for n in range(args.queries):
        query = query_hash(n)
        elapsed, found = timed(near, [query])
        near_ms.append(elapsed)
        brute_ms.append(timed(brute_force, table, query, MAX_DISTANCE)[0])
        check(query, found[query])
        if n < 20:
            condition = Q()
            for chunk, chunk_values in enumerate(probes(query)):
                condition |= Q(**{f"c{chunk}__in": sorted(chunk_values)})
            candidates.append(PhotoHash.objects.filter(condition).count())

    batch_near_ms: list[float] = []
    batch_brute_ms: list[float] = []
    for _ in range(args.batches):
        queries = [query_hash(n) for n in range(args.batch)]
        batch_near_ms.append(timed(near, queries)[0])
        batch_brute_ms.append(timed(brute_force_all, queries)[0])

    # The photo rule's first query: the dihedral hashes of a batch's photos, by of_value.
    variants_ms: list[float] = []
    for _ in range(10):
        variants_ms.append(
            timed(dihedral_of, [values[pick.randrange(len(values))] for _ in range(12)])[0]
        )

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('antifraud_photohash')")
        table_bytes = cursor.fetchone()[0]

    p50, brute_p50 = statistics.median(near_ms), statistics.median(brute_ms)
    results = {
        "hashes indexed": args.count,
        "index_add (rows/s)": round(args.count / insert_seconds) if insert_seconds else "reused",
        "table + indexes (MB)": round(table_bytes / 2**20),
        "candidates per query (mean of 20)": round(statistics.mean(candidates)),
        "near(), 1 hash: p50 (ms)": round(p50, 2),
        "near(), 1 hash: p95 (ms)": round(percentile(near_ms, 0.95), 2),
        "numpy brute force, 1 hash: p50 (ms)": round(brute_p50, 2),
        "numpy brute force, 1 hash: p95 (ms)": round(percentile(brute_ms, 0.95), 2),
        "near / brute force p50 ratio": round(p50 / brute_p50, 2),
        f"near(), {args.batch} hashes: p50 (ms)": round(statistics.median(batch_near_ms), 1),
        f"near(), {args.batch} hashes: p95 (ms)": round(percentile(batch_near_ms, 0.95), 1),
        f"brute force, {args.batch} hashes: p50 (ms)": round(statistics.median(batch_brute_ms), 1),
        "batch near / brute force p50 ratio": round(
            statistics.median(batch_near_ms) / statistics.median(batch_brute_ms), 2
        ),
        "dihedral look-up by of_value, 12 hashes: p50 (ms)": round(
            statistics.median(variants_ms), 1
        ),
    }
    print()
    print(f"{'measure':<52}{'value':>14}")
    for name, value in results.items():
        print(f"{name:<52}{value:>14}")


if __name__ == "__main__":
    main()
