"""Market prices: the usual asking price per category and city."""

from __future__ import annotations

import statistics
from itertools import groupby

from django.db import connection, transaction
from django.utils import timezone

from antifraud.models import MarketPrice, Subject

MIN_SAMPLE = 5


@transaction.atomic
def market_prices_refresh() -> int:
    """Recompute the median asking price per category and city from listings that are not
    removed. Returns how many (category, city) pairs have a price."""
    listed = (
        Subject.objects.filter(
            kind=Subject.Kind.LISTING,
            price__isnull=False,
            status__in=[Subject.Status.ACTIVE, Subject.Status.CLEARED],
        )
        .exclude(category="")
        .exclude(city="")
    )
    now = timezone.now()
    rows: list[MarketPrice] = []
    if connection.vendor == "postgresql":
        sql, params = listed.values("category", "city", "price").query.sql_with_params()
        with connection.cursor() as cursor:
            median_sql = (
                # The inner query is the ORM's; every value in it is a parameter.
                "SELECT category, city, percentile_cont(0.5) WITHIN GROUP (ORDER BY price), count(*) "  # noqa: S608
                f"FROM ({sql}) AS listed GROUP BY category, city HAVING count(*) >= %s"
            )
            cursor.execute(median_sql, [*params, MIN_SAMPLE])
            for category, city, median, count in cursor.fetchall():
                rows.append(
                    MarketPrice(
                        category=category,
                        city=city,
                        median_price=int(median),
                        sample_size=count,
                        computed_at=now,
                    )
                )
    else:
        ordered = listed.order_by("category", "city", "price").values_list(
            "category", "city", "price"
        )
        for (category, city), group in groupby(
            ordered.iterator(chunk_size=5000), key=lambda r: (r[0], r[1])
        ):
            # The query keeps only listings with a price.
            prices = [r[2] for r in group if r[2] is not None]
            if len(prices) >= MIN_SAMPLE:
                rows.append(
                    MarketPrice(
                        category=category,
                        city=city,
                        median_price=int(statistics.median(prices)),
                        sample_size=len(prices),
                        computed_at=now,
                    )
                )
    MarketPrice.objects.all().delete()
    MarketPrice.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
