"""Rate limits counted on the shared cache (Redis in production, so every web process shares
one count): a fixed window per key, one atomic increment per hit.

A read-modify-write of a list of timestamps (DRF's SimpleRateThrottle) loses hits to
concurrent processes; an increment cannot. The price is that a client may spend two
windows' worth at a window's edge, which is fine for limits that guard capacity and abuse
rather than count money.
"""

from __future__ import annotations

import time

from django.core.cache import cache

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" -> (600, 60). The unit's first letter counts, as in DRF."""
    count, _, period = rate.partition("/")
    return int(count), _UNITS[period.strip()[0].lower()]


def rate_hit(key: str, rate: str, *, now: float | None = None) -> float | None:
    """Count one hit of `key` against `rate` ("20/h"). None while the rate allows it; once
    spent, the seconds until the window ends (what Retry-After says)."""
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    counter = f"rate:{key}:{period}:{window}"
    # add() is a no-op when the counter exists; it sets the expiry of a new window.
    cache.add(counter, 0, timeout=period + 1)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add() and incr()
        cache.add(counter, 1, timeout=period + 1)
        count = 1
    if count <= limit:
        return None
    return (window + 1) * period - now
