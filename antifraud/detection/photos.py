"""Reused photos: a subject showing a photo that another account shows too, or a near copy of a
black-listed photo — resized, recompressed, lightly edited, mirrored or turned.

Scammers rarely take their own pictures: a fake rental or a car that does not exist is shown
with photos lifted from an honest listing, often mirrored so that a plain comparison misses
them. Each photo of the batch is looked up in the near-duplicate index (`photoindex`) by its
PDQ hash and, when the hub had the image, by its eight dihedral hashes, so a mirrored or
turned copy is found from either side.

Only another account's photo counts: an account showing its own photos again (a car relisted
by its owner, the same flat on two listings) is not evidence. An exact black-listed hash among
the subject's identifiers is the list family's match (`lists.match`), not counted twice here.

The index is fed where photos and photo indicators are written: `photos_index` for photos and
photo identifiers, `indicator_photos_index` for photo hashes put on a list.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from antifraud.detection.base import Batch, Explanation, Hit, Rule, Thresholds
from antifraud.detection.photoindex import MAX_DISTANCE, index_add, near
from antifraud.models import (
    Indicator,
    IndicatorKind,
    Photo,
    PhotoHash,
    Scheme,
    SubjectIdentifier,
)

REUSED = gettext_noop(
    "Photo %(n)s is %(distance)s bits from a photo of another account (%(partner)s, %(other)s)."
)
BLACKLISTED = gettext_noop(
    "Photo %(n)s is %(distance)s bits from a black-listed photo (listed %(since)s)."
)
# A stock photo may be on thousands of listings: the details keep the nearest.
MATCHES_KEPT = 20


@dataclass(frozen=True)
class Carrier:
    """A subject showing a photo hash, as a photo or a photo identifier."""

    subject_id: int
    owner: int  # the account behind it: its account, or itself
    partner_name: str


@dataclass(frozen=True)
class Match:
    photo: int  # the photo's number on the subject, from 1
    distance: int
    ref: int  # the other subject's id, or the indicator's


# --- keeping the index fed -----------------------------------------------------------------


def photos_index(
    photo_rows: Iterable[Photo | SubjectIdentifier],
    variants: Mapping[str, Iterable[str]] | None = None,
) -> int:
    """Put photos' hashes in the near-duplicate index: each Photo's `pdq_hash` and each photo
    identifier's value, standing for itself, and the hashes in `variants[hash]` (the dihedral
    hashes, when the hub had the image) standing for it. Other identifiers and photos without
    a hash are passed over. Returns how many index rows were offered."""
    variants = variants or {}
    entries: list[tuple[str, str, int | None]] = []
    for row in photo_rows:
        if isinstance(row, Photo):
            value, quality = row.pdq_hash, row.pdq_quality
        elif row.kind == IndicatorKind.PHOTO:
            value, quality = row.value, None
        else:
            continue
        if not value:
            continue
        entries.append((value, value, quality))
        entries.extend((variant, value, quality) for variant in variants.get(value, ()))
    return index_add(entries)


def indicator_photos_index(values: Iterable[str]) -> int:
    """Put listed photo hashes in the index, so that near copies of them are found."""
    return index_add((value, value, None) for value in values)


# --- the rule ------------------------------------------------------------------------------


def _variants(hashes: set[str]) -> dict[str, set[str]]:
    """The dihedral hashes the index holds for each hash (one query)."""
    found: dict[str, set[str]] = defaultdict(set)
    for of_value, value in PhotoHash.objects.filter(of_value__in=hashes).values_list(
        "of_value", "value"
    ):
        if value != of_value:
            found[of_value].add(value)
    return found


def _carriers(hashes: set[str]) -> dict[str, list[Carrier]]:
    """Who shows each hash, as a photo or as a photo identifier (one query)."""
    columns = ("subject_id", "subject__account_id", "subject__partner__name")
    shown = (
        Photo.objects.filter(pdq_hash__in=hashes)
        .order_by()
        .values_list("pdq_hash", *columns)
        .union(
            SubjectIdentifier.objects.filter(kind=IndicatorKind.PHOTO, value__in=hashes)
            .order_by()
            .values_list("value", *columns)
        )
    )
    found: dict[str, list[Carrier]] = defaultdict(list)
    for value, subject_id, account_id, partner_name in shown:
        found[value].append(Carrier(subject_id, account_id or subject_id, partner_name))
    return found


def _blacklisted(hashes: set[str], batch: Batch) -> dict[str, Indicator]:
    """The black-listed photo entries that answer matches among the hashes, quarantined ones
    left out (one query)."""
    return {
        indicator.value: indicator
        for indicator in Indicator.objects.matching(batch.now).filter(
            kind=IndicatorKind.PHOTO, list=Indicator.List.BLACK, value__in=hashes
        )
    }


def _nearest(matches: Iterable[Match]) -> list[Match]:
    """The nearest match per subject or indicator, nearest first."""
    best: dict[int, Match] = {}
    for match in matches:
        kept = best.get(match.ref)
        if kept is None or (match.distance, match.photo) < (kept.distance, kept.photo):
            best[match.ref] = match
    return sorted(best.values(), key=lambda m: (m.distance, m.photo, m.ref))


def _key(prefix: str, refs: Iterable[object]) -> str:
    """The same subjects or entries matched again make the same key, however many."""
    text = ",".join(sorted(str(ref) for ref in refs))
    return f"{prefix}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def detect(batch: Batch, thresholds: Thresholds) -> Iterator[Hit]:
    max_distance = max(0, min(MAX_DISTANCE, int(thresholds["max_distance"])))
    min_quality = thresholds["min_quality"]
    # Each subject's photos worth comparing, numbered as the subject shows them.
    shown = {
        subject.pk: [
            (number, ref.pdq_hash)
            for number, ref in enumerate(batch.photos.get(subject.pk, []), start=1)
            if ref.quality is None or ref.quality >= min_quality
        ]
        for subject in batch.subjects
    }
    own = {digest for photos in shown.values() for _, digest in photos}
    if not own:
        return
    variants = _variants(own)
    found = near(own | {v for group in variants.values() for v in group}, max_distance)
    # Per photo hash of the batch: each indexed hash within reach, at its smallest distance
    # over the photo's variants.
    reach: dict[str, dict[str, int]] = {}
    for digest in own:
        distances: dict[str, int] = {}
        for query in (digest, *variants.get(digest, ())):
            for of_value, distance in found.get(query, []):
                distances[of_value] = min(distance, distances.get(of_value, distance))
        reach[digest] = distances
    matched = {of_value for distances in reach.values() for of_value in distances}
    if not matched:
        return
    carriers = _carriers(matched)
    listed = _blacklisted(matched, batch)
    listed_by_pk = {indicator.pk: indicator for indicator in listed.values()}

    for subject in batch.subjects:
        # The account behind a listing, or the account itself; a listing whose account the
        # partner did not name stands alone.
        owner = subject.account_id or subject.pk
        exact = {
            value
            for kind, value in batch.identifiers.get(subject.pk, [])
            if kind == IndicatorKind.PHOTO
        }
        others: list[Match] = []
        blacks: list[Match] = []
        partner_of: dict[int, str] = {}
        for number, digest in shown[subject.pk]:
            for of_value, distance in reach[digest].items():
                for carrier in carriers.get(of_value, []):
                    if carrier.owner != owner:
                        others.append(Match(number, distance, carrier.subject_id))
                        partner_of[carrier.subject_id] = carrier.partner_name
                indicator = listed.get(of_value)
                if indicator is not None and of_value not in exact:
                    blacks.append(Match(number, distance, indicator.pk))
        others, blacks = _nearest(others), _nearest(blacks)
        if not others and not blacks:
            continue
        details = {
            "subjects": [
                {"photo": m.photo, "subject": m.ref, "distance": m.distance}
                for m in others[:MATCHES_KEPT]
            ],
            "subjects_count": len(others),
            "indicators": [
                {"photo": m.photo, "indicator": m.ref, "distance": m.distance}
                for m in blacks[:MATCHES_KEPT]
            ],
            "max_distance": max_distance,
        }
        refs = [f"s{m.ref}" for m in others] + [f"i{m.ref}" for m in blacks]
        if blacks:
            first = blacks[0]
            indicator = listed_by_pk[first.ref]
            yield Hit(
                subject=subject,
                score=int(thresholds["blacklisted_score"]),
                scheme=indicator.scheme or None,
                explanation=Explanation(
                    BLACKLISTED,
                    {
                        "n": first.photo,
                        "distance": first.distance,
                        "since": f"{timezone.localtime(indicator.listed_at):%Y-%m-%d}",
                    },
                ),
                details=details,
                key=_key("black", refs),
            )
        else:
            first = others[0]
            yield Hit(
                subject=subject,
                score=int(thresholds["score"]),
                explanation=Explanation(
                    REUSED,
                    {
                        "n": first.photo,
                        "distance": first.distance,
                        "partner": partner_of[first.ref],
                        # The hub's id: a partner's staff who may not see the other subject
                        # learn nothing more from it.
                        "other": f"#{first.ref}",
                    },
                ),
                details=details,
                key=_key("reused", refs),
            )


RULES = [
    Rule(
        code="photo.reused",
        title=_("Photo reused from another account"),
        looks_at=_(
            "each photo of the subject, as posted and mirrored or turned, against the photos "
            "of every other account and the black-listed photos (PDQ hashes, near copies "
            "included)"
        ),
        scheme=Scheme.FAKE_PHOTOS,
        defaults={"max_distance": 31, "min_quality": 50, "score": 70, "blacklisted_score": 85},
        detect=detect,
    )
]
