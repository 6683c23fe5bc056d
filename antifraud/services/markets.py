"""Market prices: the usual asking price per category and city, and per make and model or
number of rooms where partners send them (antifraud.detection.prices.segments_of).

Comparables are listings still up (active, or cleared by a moderator) that no automated
rule or list match has flagged: a scam's low price must not pull the median down.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from antifraud.detection.prices import segments_of
from antifraud.models import MarketPrice, Signal, Subject

MIN_SAMPLE = 5


def comparables():
    flagged = Signal.objects.filter(
        subject_id=OuterRef("pk"),
        source__in=[Signal.Source.DETECTION_RULE, Signal.Source.LIST_MATCH],
        shadow=False,
    )
    return (
        Subject.objects.filter(
            kind=Subject.Kind.LISTING,
            price__isnull=False,
            status__in=[Subject.Status.ACTIVE, Subject.Status.CLEARED],
        )
        .exclude(category="")
        .exclude(city="")
        .exclude(Exists(flagged))
    )


@transaction.atomic
def market_prices_refresh() -> int:
    """Recompute every median from the comparables. Returns how many (category, city,
    segment) groups have a price."""
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for category, city, price, attributes in (
        comparables()
        .values_list("category", "city", "price", "attributes")
        .iterator(chunk_size=5000)
    ):
        for segment in segments_of(category, attributes):
            groups[(category, city, segment)].append(price)
    now = timezone.now()
    rows = [
        MarketPrice(
            category=category,
            city=city,
            segment=segment,
            median_price=int(statistics.median(prices)),
            sample_size=len(prices),
            computed_at=now,
        )
        for (category, city, segment), prices in groups.items()
        if len(prices) >= MIN_SAMPLE
    ]
    MarketPrice.objects.all().delete()
    MarketPrice.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
