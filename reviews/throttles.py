"""Limits on the public appeal form, per address and per link, on the shared cache.

DRF's rate throttle does the counting; the appeal page is a plain Django view, so it asks
the throttles directly rather than through an API view.
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from accounts.client_ip import client_ip


class _AppealThrottle(SimpleRateThrottle):
    setting = ""

    def __init__(self, key: str) -> None:
        self.key_part = key
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_cache_key(self, request, view) -> str:
        return f"throttle_{self.scope}_{self.key_part}"


class AppealAddressThrottle(_AppealThrottle):
    scope = "appeal-address"
    setting = "APPEAL_RATE_PER_ADDRESS"


class AppealLinkThrottle(_AppealThrottle):
    scope = "appeal-link"
    setting = "APPEAL_RATE_PER_LINK"


def appeal_post_wait(request: HttpRequest, token: str) -> int | None:
    """Count this post against the address and the link. None while both allow it; once
    either is spent, the whole seconds until a post would be allowed again (the 429's
    Retry-After)."""
    address = hashlib.sha256((client_ip(request) or "unknown").encode()).hexdigest()[:32]
    link = hashlib.sha256(token.encode()).hexdigest()[:32]
    waits = []
    for throttle in (AppealAddressThrottle(address), AppealLinkThrottle(link)):
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait() or 1.0)
    return max(1, math.ceil(max(waits))) if waits else None
