"""Our PDQ hashes against the reference implementations' (../shared/data/pdq/, read in place):
the hashes themselves, edited copies of one photo, and its rotated and mirrored copies found
through the dihedral hashes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PIL import Image

from antifraud.photos import (
    PDQ_MATCH_DISTANCE,
    PhotoHashes,
    pdq_distance,
    pdq_hex,
    photo_hashes,
)

ORIGINAL = "bridge-1-original.jpg"
# The original turned and mirrored, in the order of its dihedral hashes.
TURNED = [
    "bridge-2-rotate-90.jpg",
    "bridge-3-rotate-180.jpg",
    "bridge-4-rotate-270.jpg",
    "bridge-5-flipx.jpg",
    "bridge-6-flipy.jpg",
    "bridge-7-flip-plus-1.jpg",
    "bridge-8-flip-minus-1.jpg",
]
EDITED = [
    "blur-a-little.jpg",
    "blur-a-lot.jpg",
    "high-contrast.jpg",
    "high-saturation.jpg",
    "sharpen-a-little.jpg",
    "shrink-a-little.jpg",
    "shrink-a-lot.jpg",
    "square-256x256.jpg",
]
REFERENCE_DISTANCE = 16  # what the reference test suite accepts between implementations


@pytest.fixture(scope="module")
def pdq_data() -> Path:
    """The reference folder. Missing data fails: a skip would let CI lose the check."""
    folder = Path(__file__).resolve().parents[3] / "shared" / "data" / "pdq"
    if not (folder / "expected.csv").is_file() or not (folder / "images").is_dir():
        pytest.fail(
            f"PDQ reference data not found at {folder} (expected.csv and images/): "
            "the photo tests need ../shared/data/pdq beside the project"
        )
    return folder


@pytest.fixture(scope="module")
def expected(pdq_data: Path) -> dict[str, str]:
    with open(pdq_data / "expected.csv", newline="") as f:
        rows = {row["file"]: row["pdq_hex"] for row in csv.DictReader(f)}
    assert ORIGINAL in rows and set(TURNED) <= set(rows)
    return rows


@pytest.fixture(scope="module")
def hashes(pdq_data: Path) -> dict[str, PhotoHashes]:
    images = sorted((pdq_data / "images").iterdir())
    missing = {ORIGINAL, *TURNED, *EDITED} - {path.name for path in images}
    assert not missing, f"reference images missing: {sorted(missing)}"
    return {path.name: photo_hashes(path.read_bytes()) for path in images}


def test_every_image_is_within_16_bits_of_the_reference(expected, hashes):
    for name, reference in expected.items():
        assert pdq_distance(hashes[name].pdq_hash, reference) <= REFERENCE_DISTANCE, name


def test_the_dihedral_hashes_follow_the_same_bit_order(pdq_data, expected, hashes):
    for name, found in hashes.items():
        assert len(found.dihedral) == 8, name
        with Image.open(pdq_data / "images" / name) as image:
            plain, quality = pdq_hex(image)
        # The first dihedral hash is the plain one, bit for bit.
        assert found.dihedral[0] == found.pdq_hash == plain, name
        assert found.pdq_quality == quality, name
    # The original's dihedral hashes are, in order, the reference hashes of its turned and
    # mirrored copies: the same bit order and the same order of the eight transforms.
    original = hashes[ORIGINAL].dihedral
    for variant, name in zip(original[1:], TURNED, strict=True):
        assert pdq_distance(variant, expected[name]) <= REFERENCE_DISTANCE, name


def test_every_edited_copy_is_a_near_duplicate_of_the_original(expected, hashes):
    # All eight are in fact within 16 bits of the original; the usual threshold is 31.
    for name in EDITED:
        assert pdq_distance(hashes[name].pdq_hash, expected[ORIGINAL]) <= PDQ_MATCH_DISTANCE, name
        assert pdq_distance(hashes[name].pdq_hash, hashes[ORIGINAL].pdq_hash) <= 31, name


def test_turned_and_mirrored_copies_are_found_through_the_dihedral_hashes(expected, hashes):
    original = hashes[ORIGINAL]
    for name in TURNED:
        copy = hashes[name]
        # Their plain hashes are as far from the original's as an unrelated photo's.
        assert pdq_distance(copy.pdq_hash, original.pdq_hash) > 64, name
        # One of the original's eight hashes is near the copy's, and the other way round.
        assert min(pdq_distance(v, copy.pdq_hash) for v in original.dihedral) <= 31, name
        assert min(pdq_distance(v, original.pdq_hash) for v in copy.dihedral) <= 31, name
        assert min(pdq_distance(v, expected[name]) for v in original.dihedral) <= 31, name


def test_unrelated_photos_are_not_near_the_original(expected, hashes):
    unrelated = set(expected) - {ORIGINAL, *TURNED}
    assert unrelated
    for name in unrelated:
        nearest = min(pdq_distance(v, hashes[name].pdq_hash) for v in hashes[ORIGINAL].dihedral)
        assert nearest > PDQ_MATCH_DISTANCE, name
