"""The behaviour family: what an account does, not what it says.

- `burst.young_account`: an account registered (or, when the partner did not say, first
  seen) at most `young_days` before the run, with at least `listings` listings first seen
  in the `hours` before it. A scammer's account lives a short time; blocked, the same
  person registers again and puts the whole stock up at once. Every subject of the batch
  that is such an account or one of its listings is hit; the scheme is a fictitious store
  for goods (car parts, electronics, home goods, clothing), a repeat registration
  otherwise. The counts come from one query for the whole batch.
- `burst.same_text`: the same listing text, word for word or nearly, posted by at least
  `accounts` accounts (the listing's own included; a listing without an account stands
  for one) within the `days` before the run, on any partner. One template used by many
  accounts is one person or one ring behind them. Texts are compared by a 64-bit SimHash
  of their canonical form (`canonical`: look-alike letters, spacing, transliteration
  undone) with numbers left out, so a copy with another price or phone is the same text;
  prints are kept in `TextPrint` and found through its four 16-bit bands: texts at most
  three bits apart share one. The rule stores the batch's prints itself
  (`text_prints_update`), then reads the near ones in one query. The scheme is a fake
  rental on short-term rentals, a repeat registration otherwise.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import NamedTuple

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from antifraud.detection.base import Batch, Explanation, Hit, Rule, Thresholds
from antifraud.detection.canonical import words
from antifraud.models import Category, Scheme, Subject, TextPrint

# --- burst.young_account -------------------------------------------------------------------

YOUNG_REGISTERED = gettext_noop(
    "The account was registered on %(since)s and put up %(listings)s listings in the last "
    "%(hours)s hours."
)
YOUNG_FIRST_SEEN = gettext_noop(
    "The account, first seen on %(since)s (its registration date is not known), put up "
    "%(listings)s listings in the last %(hours)s hours."
)

# Goods put up in bulk by a new account are a fictitious store's stock; anything else (cars,
# flats, rentals, services) is a blocked seller come back under a new name.
GOODS = frozenset(
    {Category.AUTO_PARTS, Category.ELECTRONICS, Category.HOME_GOODS, Category.CLOTHING}
)
SCORE_CAP = 80


def _burst_scheme(subject: Subject) -> str:
    return Scheme.FICTITIOUS_STORE if subject.category in GOODS else Scheme.REPEAT_OFFENDER


@dataclass(frozen=True)
class Burst:
    account: int
    listings: int  # first seen in the last `hours`
    since: datetime  # registered, or first seen when the partner did not say
    registered: bool


def young_accounts(batch: Batch, thresholds: Thresholds) -> dict[int, Burst]:
    """The accounts of the batch (listed, or behind a listed subject) that are young and
    posted at least `listings` listings first seen in the last `hours` (one query)."""
    account_ids = {s.account_id for s in batch.subjects if s.account_id} | {
        s.pk for s in batch.subjects if s.kind == Subject.Kind.ACCOUNT
    }
    if not account_ids:
        return {}
    since = batch.now - timedelta(hours=thresholds["hours"])
    young_since = batch.now - timedelta(days=thresholds["young_days"])
    rows = (
        Subject.objects.filter(pk__in=account_ids, kind=Subject.Kind.ACCOUNT)
        .annotate(
            recent=Count(
                "listings",
                filter=Q(listings__first_seen_at__gt=since, listings__first_seen_at__lte=batch.now),
            )
        )
        .values_list("pk", "registered_at", "first_seen_at", "recent")
    )
    found: dict[int, Burst] = {}
    for pk, registered_at, first_seen_at, recent in rows:
        started = registered_at or first_seen_at
        if started >= young_since and recent >= thresholds["listings"]:
            found[pk] = Burst(pk, recent, started, registered_at is not None)
    return found


def detect_young(batch: Batch, thresholds: Thresholds) -> Iterator[Hit]:
    found = young_accounts(batch, thresholds)
    for subject in batch.subjects:
        burst = found.get(subject.account_id or subject.pk)
        if burst is None:
            continue
        extra = max(0, burst.listings - int(thresholds["listings"]))
        yield Hit(
            subject=subject,
            score=min(SCORE_CAP, int(thresholds["score"] + thresholds["score_per_extra"] * extra)),
            scheme=_burst_scheme(subject),
            explanation=Explanation(
                YOUNG_REGISTERED if burst.registered else YOUNG_FIRST_SEEN,
                {
                    "since": f"{timezone.localtime(burst.since):%Y-%m-%d}",
                    "listings": burst.listings,
                    "hours": int(thresholds["hours"]),
                },
            ),
            details={
                "account": burst.account,
                "listings": burst.listings,
                "since": burst.since.isoformat(),
                "registered": burst.registered,
            },
            # One burst of an account is one piece of evidence on each of its subjects.
            key=f"account:{burst.account}",
        )


# --- burst.same_text -----------------------------------------------------------------------

SAME_TEXT = gettext_noop(
    "Nearly the same text was posted by %(accounts)s accounts in %(days)s days, for example "
    "listing %(other)s on %(partner)s."
)
# A text's print: the MinHash signature of its set of words (SIGNATURE values, each the least
# of a salted hash over the words), cut into BANDS bands of ROWS values. Two texts sharing a
# fraction s of their words share a band with probability 1 − (1 − s^ROWS)^BANDS — 0.98 at
# s = 0.75, 0.86 at 0.6, 0.2 at 0.3 — so near copies are found through the band indexes, and
# candidates are then judged by the share of equal signature values.
ROWS = 3
BANDS = 8
SIGNATURE = ROWS * BANDS
LISTINGS_KEPT = 20


class Copy(NamedTuple):
    """A near copy of a batch listing's text; sorted most alike first, then newest first."""

    unlike: float  # 1 − the estimated share of words in common
    newest: float  # minus the time it was first seen
    subject: int
    owner: int  # its account, or itself
    partner: str


def text_words(text: str) -> list[str]:
    """The words a text print is made of: canonical words with letters in them. Numbers
    (a price, a phone, a date) change from copy to copy of one template."""
    return [word for word in words(text) if any(ch.isalpha() for ch in word)]


def _hash(word: str, salt: int) -> int:
    digest = hashlib.blake2b(word.encode(), digest_size=4, salt=salt.to_bytes(16, "big"))
    return int.from_bytes(digest.digest(), "big")


def signature(found: list[str]) -> list[int]:
    """The MinHash signature of the set of words."""
    unique = set(found)
    return [min(_hash(word, salt) for word in unique) for salt in range(SIGNATURE)]


def bands(values: list[int]) -> list[int]:
    """Each band of ROWS signature values as one 31-bit number (an IntegerField holds it)."""
    out = []
    for n in range(BANDS):
        part = values[n * ROWS : (n + 1) * ROWS]
        digest = hashlib.blake2b(repr(part).encode(), digest_size=4).digest()
        out.append(int.from_bytes(digest, "big") >> 1)
    return out


def similarity(a: list[int], b: list[int]) -> float:
    """The estimated share of words two texts have in common (Jaccard)."""
    return sum(x == y for x, y in zip(a, b, strict=True)) / SIGNATURE


def text_print(text: str, *, min_words: int = 8) -> list[int] | None:
    """A text's signature, or None for a text of fewer than `min_words` words: short texts
    ("Продам", "Торг") are alike without being copies."""
    found = text_words(text)
    if len(found) < min_words:
        return None
    return signature(found)


def text_prints_update(
    subjects: Iterable[Subject], *, min_words: int = 8, now: datetime | None = None
) -> dict[int, list[int]]:
    """Store the print of each listing's text (one query), and drop the prints of listings
    whose text became too short (one more, when there are any). Returns the listings'
    prints by subject id."""
    listings = [s for s in subjects if s.kind == Subject.Kind.LISTING]
    prints: dict[int, list[int]] = {}
    short: list[int] = []
    for listing in listings:
        value = text_print(listing.text, min_words=min_words)
        if value is None:
            short.append(listing.pk)
        else:
            prints[listing.pk] = value
    if prints:
        created_at = now or timezone.now()
        TextPrint.objects.bulk_create(
            [
                TextPrint(
                    subject_id=pk,
                    signature=value,
                    **{f"b{n}": band for n, band in enumerate(bands(value))},
                    created_at=created_at,
                )
                for pk, value in prints.items()
            ],
            update_conflicts=True,
            unique_fields=["subject"],
            update_fields=["signature", *(f"b{n}" for n in range(BANDS))],
        )
    if short:
        TextPrint.objects.filter(subject_id__in=short).delete()
    return prints


def detect_same_text(batch: Batch, thresholds: Thresholds) -> Iterator[Hit]:
    listings = batch.listings()
    prints = text_prints_update(listings, min_words=int(thresholds["min_words"]), now=batch.now)
    if not prints:
        return
    least = thresholds["min_similarity"]
    # Which of the batch's listings has each band value.
    by_band: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, value in prints.items():
        for n, band in enumerate(bands(value)):
            by_band[(n, band)].append(pk)
    condition = reduce(
        or_,
        (
            Q(**{f"b{n}__in": sorted({band for (m, band) in by_band if m == n})})
            for n in range(BANDS)
        ),
    )
    since = batch.now - timedelta(days=thresholds["days"])
    rows = (
        TextPrint.objects.filter(condition)
        .filter(subject__first_seen_at__gte=since, subject__first_seen_at__lte=batch.now)
        .values_list(
            "subject_id",
            "signature",
            "subject__account_id",
            "subject__partner__name",
            "subject__first_seen_at",
            *(f"b{n}" for n in range(BANDS)),
        )
    )
    near: dict[int, dict[int, Copy]] = defaultdict(dict)
    for subject_id, value, account_id, partner, first_seen_at, *row_bands in rows:
        for n, band in enumerate(row_bands):
            for pk in by_band.get((n, band), ()):
                if pk == subject_id or subject_id in near[pk]:
                    continue
                alike = similarity(prints[pk], value)
                if alike >= least:
                    near[pk][subject_id] = Copy(
                        round(1 - alike, 3),
                        -first_seen_at.timestamp(),
                        subject_id,
                        account_id or subject_id,
                        partner,
                    )
    for listing in listings:
        copies = sorted(near.get(listing.pk, {}).values())
        own = listing.account_id or listing.pk
        others = [copy for copy in copies if copy.owner != own]
        accounts = len({copy.owner for copy in others} | {own})
        if accounts < thresholds["accounts"] or not others:
            continue
        example = others[0]
        extra = max(0, accounts - int(thresholds["accounts"]))
        yield Hit(
            subject=listing,
            score=min(SCORE_CAP, int(thresholds["score"] + thresholds["score_per_extra"] * extra)),
            scheme=Scheme.FAKE_RENTAL
            if listing.category == Category.SHORT_TERM_RENTAL
            else Scheme.REPEAT_OFFENDER,
            explanation=Explanation(
                SAME_TEXT,
                {
                    "accounts": accounts,
                    "days": int(thresholds["days"]),
                    # The hub's id: a partner's staff who may not see the other listing
                    # learn nothing more from it.
                    "other": f"#{example.subject}",
                    "partner": example.partner,
                },
            ),
            details={
                "accounts": accounts,
                "listings": [
                    {"subject": copy.subject, "similarity": round(1 - copy.unlike, 3)}
                    for copy in copies[:LISTINGS_KEPT]
                ],
                "listings_count": len(copies),
                "min_similarity": least,
            },
            key="same_text",
        )


RULES = [
    Rule(
        code="burst.young_account",
        title=_("New account posting in bulk"),
        looks_at=_(
            "how long ago the account behind the subject registered (or was first seen, when "
            "the partner did not say) and how many listings it put up in the last hours"
        ),
        scheme=Scheme.REPEAT_OFFENDER,
        defaults={"young_days": 7, "listings": 5, "hours": 24, "score": 45, "score_per_extra": 3},
        detect=detect_young,
    ),
    Rule(
        code="burst.same_text",
        title=_("Same text from several accounts"),
        looks_at=_(
            "the listing's text in canonical form (look-alike letters, spacing and "
            "transliteration undone, numbers left out) against the texts other accounts "
            "posted in the last days: the share of words in common, estimated by MinHash"
        ),
        scheme=Scheme.REPEAT_OFFENDER,
        defaults={
            "min_words": 8,
            "min_similarity": 0.6,
            "accounts": 3,
            "days": 30,
            "score": 50,
            "score_per_extra": 5,
        },
        detect=detect_same_text,
    ),
]
