"""Near-duplicate search over PDQ photo hashes, in the database (multi-index hashing).

A hash (256 bits, 64 hex digits) is cut into 16 chunks of 16 bits, chunk 0 being the first 4
hex digits; each chunk has its own indexed column in `PhotoHash`. Two hashes within 31 bits of
each other differ in at most one bit on at least one chunk (were every chunk two bits or more
apart, they would be 32 apart), so the rows that hold, in some chunk, the query's value or one
of its 16 one-bit neighbours include every hash within 31 bits. Within 15 bits one chunk is
even equal, and the neighbours need not be probed.

Those candidates are found through the chunk indexes in one query for all the hashes asked
about at once (`c0 IN probes0 OR … OR c15 IN probes15`), then checked bit by bit here. For N
random hashes in the index a query hash draws about 16 × 17 × N / 65 536 candidates (some
4 000 at a million), most of them far away: the price of finding every near one through
ordinary btree indexes. A batch's candidates thus run to hundreds of thousands at a million
hashes, and are checked with numpy. `benchmarks/photoindex.py` measures it all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import reduce
from operator import or_
from typing import Any

import numpy as np
from django.db.models import F, Lookup

from antifraud.models import PhotoHash
from antifraud.photos import pdq_distance

__all__ = ["MAX_DISTANCE", "chunks", "index_add", "near", "pdq_distance", "probes"]

CHUNKS = 16
CHUNK_BITS = 16
# The farthest a search may reach and still find every near hash (see the module's text).
MAX_DISTANCE = 2 * CHUNKS - 1

PDQ_HEX = re.compile(r"[0-9a-f]{64}")
INSERT_BATCH = 2000
VERIFY_BLOCK = 50_000


def _checked(value: str) -> str:
    if not isinstance(value, str) or not PDQ_HEX.fullmatch(value):
        raise ValueError(f"not a normalised PDQ hash (64 lower-case hex digits): {value!r}")
    return value


def chunks(value: str) -> list[int]:
    """The 16 chunks of a hash, as integers, chunk 0 first."""
    _checked(value)
    return [int(value[4 * n : 4 * n + 4], 16) for n in range(CHUNKS)]


def probes(value: str, max_distance: int = MAX_DISTANCE) -> list[set[int]]:
    """Per chunk, the values a hash within `max_distance` bits must hold in that chunk for at
    least one of the chunks: the chunk itself, and its one-bit neighbours past 15 bits."""
    flip = max_distance >= CHUNKS
    return [
        {chunk, *((chunk ^ (1 << bit)) for bit in range(CHUNK_BITS) if flip)}
        for chunk in chunks(value)
    ]


def index_add(entries: Iterable[tuple[str, str, int | None]]) -> int:
    """Add (value, of_value, quality) rows to the index; rows already there are left as they
    are. Returns how many distinct rows were offered."""
    rows: dict[tuple[str, str], PhotoHash] = {}
    for value, of_value, quality in entries:
        parts = chunks(value)
        rows[(value, _checked(of_value))] = PhotoHash(
            value=value,
            of_value=of_value,
            quality=quality,
            **{f"c{n}": part for n, part in enumerate(parts)},
        )
    PhotoHash.objects.bulk_create(rows.values(), ignore_conflicts=True, batch_size=INSERT_BATCH)
    return len(rows)


def near(
    queries: Iterable[str], max_distance: int = MAX_DISTANCE
) -> dict[str, list[tuple[str, int]]]:
    """For each query hash, the indexed hashes within `max_distance` bits, as (of_value,
    distance) pairs — the smallest distance over an of_value's variants — nearest first.
    One database query, whatever the number of query hashes."""
    if not 0 <= max_distance <= MAX_DISTANCE:
        raise ValueError(f"max_distance must be between 0 and {MAX_DISTANCE}")
    wanted = list(dict.fromkeys(_checked(q) for q in queries))
    if not wanted:
        return {}
    # Per chunk: every (probe value, query number) pair, sorted by value.
    probing: list[list[tuple[int, int]]] = [[] for _ in range(CHUNKS)]
    for number, query in enumerate(wanted):
        for n, values in enumerate(probes(query, max_distance)):
            probing[n].extend((value, number) for value in values)
    tables = [_ProbeTable(pairs) for pairs in probing]
    condition = reduce(or_, (OneOf(F(f"c{n}"), table.values) for n, table in enumerate(tables)))
    rows = list(PhotoHash.objects.filter(condition).values_list("value", "of_value"))
    best: dict[str, dict[str, int]] = {query: {} for query in wanted}
    query_words = _words(wanted)
    for start in range(0, len(rows), VERIFY_BLOCK):
        block = rows[start : start + VERIFY_BLOCK]
        for row, number, distance in _within(block, query_words, tables, max_distance):
            of_value, found = block[row][1], best[wanted[number]]
            if distance < found.get(of_value, distance + 1):
                found[of_value] = distance
    return {
        query: sorted(found.items(), key=lambda pair: (pair[1], pair[0]))
        for query, found in best.items()
    }


class OneOf(Lookup):
    """`column IN (values)`, the values sent as one parameter (a PostgreSQL array, a JSON
    array for SQLite). A batch's probes run to hundreds of thousands of values: one parameter
    each would pass SQLite's limit (250 000 here, 32 766 in other builds) and cost more to
    bind than the search."""

    lookup_name = "one_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        values = [int(value) for value in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*params, values]
        if connection.vendor == "sqlite":
            # `lhs` is the column as the compiler quoted it; the values are a parameter.
            sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
            return sql, [*params, json.dumps(values)]
        marks = ", ".join(["%s"] * len(values)) or "NULL"
        return f"{lhs} IN ({marks})", [*params, *values]


def _words(values: list[str]) -> np.ndarray:
    """(len, 4) unsigned 64-bit words, most significant first."""
    raw = bytes.fromhex("".join(values))
    return np.frombuffer(raw, dtype=">u8").reshape(-1, 4).astype(np.uint64)


class _ProbeTable:
    """One chunk's probes: for each chunk value, the numbers of the queries probing it."""

    def __init__(self, pairs: list[tuple[int, int]]) -> None:
        ordered = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
        self.numbers = ordered[:, 1]
        # The queries probing value v are numbers[start[v] : start[v] + count[v]].
        self.count = np.bincount(ordered[:, 0], minlength=1 << CHUNK_BITS)
        self.start = np.cumsum(self.count) - self.count
        self.values = np.unique(ordered[:, 0]).tolist()


def _within(
    block: list[tuple[str, str]],
    query_words: np.ndarray,
    tables: list[_ProbeTable],
    max_distance: int,
) -> Iterator[tuple[int, int, int]]:
    """(row, query number, distance) for the candidate rows within reach of a query.

    A row is compared only with the queries it shares a probe with (any query within reach
    shares one), and with numpy: a batch's candidates run to hundreds of thousands of rows."""
    raw = bytes.fromhex("".join(value for value, _ in block))
    parts = np.frombuffer(raw, dtype=">u2").reshape(-1, CHUNKS).astype(np.int64)
    pairs = []
    for n, table in enumerate(tables):
        left, counts = table.start[parts[:, n]], table.count[parts[:, n]]
        total = int(counts.sum())
        if not total:
            continue
        # Row r pairs with the queries numbers[left[r] : left[r] + counts[r]].
        rows = np.repeat(np.arange(len(block), dtype=np.int64), counts)
        first = np.repeat(left - (np.cumsum(counts) - counts), counts)
        pairs.append(rows * len(query_words) + table.numbers[first + np.arange(total)])
    if not pairs:
        return
    rows, numbers = np.divmod(np.unique(np.concatenate(pairs)), len(query_words))
    words = np.frombuffer(raw, dtype=">u8").reshape(-1, 4).astype(np.uint64)
    distances = np.bitwise_count(words[rows] ^ query_words[numbers]).sum(axis=1)
    keep = distances <= max_distance
    yield from zip(
        rows[keep].tolist(), numbers[keep].tolist(), distances[keep].tolist(), strict=True
    )
