"""The near-duplicate index finds exactly what comparing every hash would find."""

from __future__ import annotations

import csv
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antifraud.detection.photoindex import MAX_DISTANCE, chunks, index_add, near, probes
from antifraud.models import PhotoHash
from antifraud.photos import pdq_distance, photo_hashes

pytestmark = pytest.mark.django_db

Entries = list[tuple[str, str, int | None]]


def brute_force(entries: Entries, queries: list[str], max_distance: int) -> dict:
    """Every indexed row compared with every query: the smallest distance per of_value."""
    found: dict[str, list[tuple[str, int]]] = {}
    for query in queries:
        best: dict[str, int] = {}
        for value, of_value, _quality in entries:
            distance = pdq_distance(query, value)
            if distance <= max_distance:
                best[of_value] = min(distance, best.get(of_value, distance))
        found[query] = sorted(best.items(), key=lambda pair: (pair[1], pair[0]))
    return found


def flipped(value: str, bits: set[int]) -> str:
    number = int(value, 16)
    for bit in bits:
        number ^= 1 << bit
    return f"{number:064x}"


def test_chunk_0_is_the_first_four_hex_digits():
    value = "f8f8" + "0001" + "0" * 52 + "ffff"
    assert chunks(value)[:2] == [0xF8F8, 1]
    assert chunks(value)[15] == 0xFFFF
    assert len(chunks(value)) == 16
    assert [len(p) for p in probes(value)] == [17] * 16
    assert [len(p) for p in probes(value, 15)] == [1] * 16
    with pytest.raises(ValueError):
        chunks("F" * 64)  # not normalised
    with pytest.raises(ValueError):
        chunks("abc")


def test_one_query_for_many_hashes(django_assert_num_queries):
    rng = random.Random(1)
    values = [f"{rng.getrandbits(256):064x}" for _ in range(50)]
    index_add((v, v, None) for v in values)
    with django_assert_num_queries(1):
        found = near([flipped(v, {3, 77, 200}) for v in values])
    assert all(pairs[0][1] == 3 for pairs in found.values())
    assert near([]) == {}
    with pytest.raises(ValueError):
        near(values, max_distance=MAX_DISTANCE + 1)


def test_adding_again_changes_nothing():
    value = f"{random.Random(2).getrandbits(256):064x}"
    assert index_add([(value, value, 90), (value, value, 90)]) == 1
    index_add([(value, value, 40)])
    assert list(PhotoHash.objects.values_list("value", "of_value", "quality")) == [
        (value, value, 90)
    ]


def test_the_hardest_neighbours_are_found():
    """31 bits apart, two in each chunk but one: the one-bit chunk is the only way in."""
    rng = random.Random(3)
    base = f"{rng.getrandbits(256):064x}"
    index_add([(base, base, None)])
    spread = {16 * n + b for n in range(16) for b in ((0, 9) if n != 11 else (4,))}
    assert len(spread) == 31
    assert near([flipped(base, spread)])[flipped(base, spread)] == [(base, 31)]
    spread.add(16 * 11 + 5)  # two bits in every chunk: 32, out of reach
    assert near([flipped(base, spread)])[flipped(base, spread)] == []
    # Within 15 bits, exact chunks suffice: one bit in each of 15 chunks.
    fifteen = {16 * n + 7 for n in range(15)}
    assert near([flipped(base, fifteen)], max_distance=15)[flipped(base, fifteen)] == [(base, 15)]
    assert near([flipped(base, fifteen)], max_distance=14)[flipped(base, fifteen)] == []


def test_real_photos_against_brute_force(shared_data):
    folder = shared_data / "pdq"
    with open(folder / "expected.csv", newline="") as f:
        references = [row["pdq_hex"] for row in csv.DictReader(f)]
    computed = {
        path.name: photo_hashes(path.read_bytes()) for path in sorted((folder / "images").iterdir())
    }
    original = computed.pop("bridge-1-original.jpg")
    # The original with its dihedral hashes, the reference hashes, and random ones.
    rng = random.Random(4)
    entries: Entries = [(v, original.pdq_hash, 100) for v in original.dihedral]
    entries += [(v, v, None) for v in references]
    entries += [(f"{rng.getrandbits(256):064x}",) * 2 + (None,) for _ in range(2000)]
    index_add(entries)
    queries = [h.pdq_hash for h in computed.values()]
    found = near(queries)
    assert found == brute_force(entries, queries, MAX_DISTANCE)
    # Every edited, turned and mirrored copy leads back to the original.
    for name, hashes in computed.items():
        if name.startswith(("bridge", "blur", "high", "sharpen", "shrink", "square")):
            assert original.pdq_hash in dict(found[hashes.pdq_hash]), name


hashes = st.integers(min_value=0, max_value=2**256 - 1).map(lambda v: f"{v:064x}")
# Bits flipped anywhere, or spread a few per chunk (the pigeonhole's edge).
anywhere = st.sets(st.integers(min_value=0, max_value=255), max_size=40)
spread = st.lists(
    st.sets(st.integers(min_value=0, max_value=15), max_size=3), min_size=16, max_size=16
).map(lambda per_chunk: {16 * n + b for n, bits in enumerate(per_chunk) for b in bits})


@st.composite
def index_and_queries(draw) -> tuple[Entries, list[str], int]:
    photos = draw(st.lists(hashes, min_size=1, max_size=8, unique=True))
    entries: Entries = []
    for photo in photos:
        entries.append((photo, photo, None))
        # Variants standing for the photo: near it or not.
        for bits in draw(st.lists(st.one_of(anywhere, spread), max_size=3)):
            entries.append((flipped(photo, bits), photo, None))
    queries = [
        flipped(
            draw(st.sampled_from([v for v, _, _ in entries])), draw(st.one_of(anywhere, spread))
        )
        for _ in range(draw(st.integers(min_value=1, max_value=6)))
    ]
    queries += draw(st.lists(hashes, max_size=2))
    return entries, queries, draw(st.integers(min_value=0, max_value=MAX_DISTANCE))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=index_and_queries())
def test_near_finds_exactly_what_brute_force_finds(case):
    entries, queries, max_distance = case
    PhotoHash.objects.all().delete()
    index_add(entries)
    assert near(queries, max_distance) == brute_force(entries, queries, max_distance)


def test_a_large_batch_is_still_one_query(django_assert_num_queries):
    """Thousands of hashes probe most chunk values: still one parameter per chunk, within
    SQLite's limit on parameters."""
    rng = random.Random(5)
    queries = [f"{rng.getrandbits(256):064x}" for _ in range(5000)]
    index_add((q, q, None) for q in queries[:50])
    with django_assert_num_queries(1):
        found = near(queries)
    assert all(found[q] == [(q, 0)] for q in queries[:50])
    assert all(found[q] == [] for q in queries[50:])
