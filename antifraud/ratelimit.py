"""Rate limits counted on the shared cache (Redis in production, so every web process shares
one count): a fixed window per key, one atomic increment per hit.

A read-modify-write of a list of timestamps (DRF's SimpleRateThrottle) loses hits to
concurrent processes; an increment cannot. The price is that a client may spend two
windows' worth at a window's edge, which is fine for limits that guard capacity and abuse
rather than count money.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" -> (600, 60). The unit's first letter counts, as in DRF."""
    count, _, period = rate.partition("/")
    return int(count), _UNITS[period.strip()[0].lower()]


# When the shared cache cannot be reached, each process counts on its own: the limits still
# hold per process (so at most N processes times the rate), and nothing fails for it.
_local_counts: dict[str, int] = {}
_local_lock = threading.Lock()
_LOCAL_KEYS_MAX = 100_000


def _shared_count(counter: str, period: int) -> int:
    # add() is a no-op when the counter exists; it sets the expiry of a new window.
    cache.add(counter, 0, timeout=period + 1)
    try:
        return int(cache.incr(counter))
    except ValueError:  # expired between add() and incr()
        cache.add(counter, 1, timeout=period + 1)
        return 1


def _local_count(counter: str) -> int:
    with _local_lock:
        if len(_local_counts) > _LOCAL_KEYS_MAX:
            _local_counts.clear()
        count = _local_counts.get(counter, 0) + 1
        _local_counts[counter] = count
        return count


def rate_hit(key: str, rate: str, *, now: float | None = None) -> float | None:
    """Count one hit of `key` against `rate` ("20/h"). None while the rate allows it; once
    spent, the seconds until the window ends (what Retry-After says)."""
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    counter = f"rate:{key}:{period}:{window}"
    try:
        count = _shared_count(counter, period)
    except Exception:
        # Redis down, or refusing: count in this process rather than fail the request.
        logger.warning("rate limit %s counted in this process: the cache is unreachable", key)
        count = _local_count(counter)
    if count <= limit:
        return None
    return (window + 1) * period - now
