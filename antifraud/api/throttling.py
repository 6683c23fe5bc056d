"""Rate limits per API key, counted in the default cache (Redis in production, so every
web process shares one count)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from antifraud.api.authentication import PartnerClient

if TYPE_CHECKING:
    # Not at run time: DRF imports this module while it defines APIView.
    from rest_framework.request import Request
    from rest_framework.views import APIView

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" -> (600, 60). The unit's first letter counts, as in DRF."""
    count, _, period = rate.partition("/")
    return int(count), _UNITS[period.strip()[0].lower()]


class ApiKeyThrottle(BaseThrottle):
    """A fixed window per key: one atomic increment per request.

    DRF's SimpleRateThrottle reads, appends and writes back a list of timestamps, which
    concurrent processes overwrite; an increment cannot be lost. The price is that a client
    may spend two windows' worth at a window's edge, which is fine for a limit that guards
    capacity rather than counts money.
    """

    scope = "api_key"

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        client = request.user
        if not isinstance(client, PartnerClient):
            return True  # unauthenticated requests are refused before they cost anything
        # Read at call time, not import time, so that a changed setting takes effect.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not rate:
            return True
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        key = f"throttle:{self.scope}:{client.api_key.pk}:{period}:{window}"
        # add() is a no-op when the key exists; it sets the expiry of a new window.
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=period + 1)
            count = 1
        if count <= limit:
            return True
        self.retry_after = (window + 1) * period - now
        return False

    def wait(self) -> float | None:
        return self.retry_after
