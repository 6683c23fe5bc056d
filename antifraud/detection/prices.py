"""Price far below market: a listing asking a fraction of what comparable listings ask.

Comparables are listings of the same category in the same city — and of the same make and
model (cars) or number of rooms (flats, houses, rentals) where the partner sends them and
enough exist. Their median is kept in MarketPrice by a periodic task
(antifraud.services.markets). The rule is quiet when fewer than `min_comparables` listings
make the median, and the case page shows the very figure the signal used.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from antifraud.detection.base import Batch, Explanation, Hit, Rule, Thresholds, money
from antifraud.models import Category, MarketPrice, Scheme, Subject

SCHEME_BY_CATEGORY = {
    Category.CARS: Scheme.UNDERPRICED_VEHICLE,
    Category.AUTO_PARTS: Scheme.UNDERPRICED_VEHICLE,
    Category.APARTMENTS: Scheme.UNDERPRICED_PROPERTY,
    Category.HOUSES: Scheme.UNDERPRICED_PROPERTY,
    Category.SHORT_TERM_RENTAL: Scheme.FAKE_RENTAL,
    Category.LONG_TERM_RENTAL: Scheme.FAKE_RENTAL,
}
ROOM_CATEGORIES = {
    Category.APARTMENTS,
    Category.HOUSES,
    Category.SHORT_TERM_RENTAL,
    Category.LONG_TERM_RENTAL,
}


def _clean(value: object) -> str:
    return " ".join(str(value).split()).casefold()[:60]


def segments_of(category: str, attributes: dict | None) -> list[str]:
    """The segments a listing falls in, narrowest first, ending with "" (the category)."""
    attributes = attributes or {}
    found = []
    if category == Category.CARS and attributes.get("make"):
        make = _clean(attributes["make"])
        if attributes.get("model"):
            found.append(f"make={make};model={_clean(attributes['model'])}")
        found.append(f"make={make}")
    if category in ROOM_CATEGORIES and str(attributes.get("rooms", "")).isdigit():
        found.append(f"rooms={int(attributes['rooms'])}")
    return [*found, ""]


def reference_for(subject: Subject, prices: dict[tuple[str, str, str], MarketPrice], minimum: int):
    """The narrowest market price with enough comparables, or None. A listing whose make or
    rooms have too few comparables is judged against its whole category in the city — a
    cheap make among dear ones can then look underpriced (the moderator sees the figures)."""
    for segment in segments_of(subject.category, subject.attributes):
        market = prices.get((subject.category, subject.city, segment))
        if market is not None and market.sample_size >= minimum and market.median_price:
            return market
    return None


def market_prices(pairs: set[tuple[str, str]]) -> dict[tuple[str, str, str], MarketPrice]:
    if not pairs:
        return {}
    condition = reduce(or_, (Q(category=c, city=city) for c, city in pairs))
    return {(m.category, m.city, m.segment): m for m in MarketPrice.objects.filter(condition)}


TEMPLATE = gettext_noop(
    "Asks %(price)s ₸, %(percent)s%% of the median %(median)s ₸ of %(count)s comparable "
    "listings (%(category)s, %(city)s%(segment)s)."
)


def detect(batch: Batch, thresholds: Thresholds) -> Iterator[Hit]:
    priced = [s for s in batch.listings() if s.price and s.category and s.city]
    prices = market_prices({(s.category, s.city) for s in priced})
    minimum = int(thresholds["min_comparables"])
    limit = thresholds["ratio"]
    for subject in priced:
        market = reference_for(subject, prices, minimum)
        if market is None or subject.price is None:
            continue
        ratio = subject.price / market.median_price
        if ratio >= limit:
            continue
        depth = (limit - ratio) / limit if limit else 0
        score = thresholds["score"] + depth * (thresholds["score_max"] - thresholds["score"])
        yield Hit(
            subject=subject,
            score=round(score),
            scheme=SCHEME_BY_CATEGORY.get(Category(subject.category), Scheme.OTHER),
            explanation=Explanation(
                TEMPLATE,
                {
                    "price": money(subject.price),
                    "percent": round(ratio * 100),
                    "median": money(market.median_price),
                    "count": market.sample_size,
                    "category": subject.category,
                    "city": subject.city,
                    "segment": f", {market.segment.replace(';', ', ')}" if market.segment else "",
                },
            ),
            details={
                "price": subject.price,
                "median": market.median_price,
                "sample": market.sample_size,
                "segment": market.segment,
                "ratio": round(ratio, 4),
                "computed_at": market.computed_at.isoformat(),
            },
            key=f"{subject.price}:{market.median_price}",
        )


RULES = [
    Rule(
        code="price.below_market",
        title=_("Price far below market"),
        looks_at=_(
            "the asking price against the median of comparable listings (same category and "
            "city, and make and model or rooms where known) that no rule has flagged"
        ),
        scheme=Scheme.UNDERPRICED_VEHICLE,
        defaults={"ratio": 0.5, "min_comparables": 5, "score": 55, "score_max": 90},
        detect=detect,
    )
]
