"""Limits on the public appeal form, per address and per link (antifraud.ratelimit)."""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.http import HttpRequest

from accounts.client_ip import client_ip
from antifraud.ratelimit import rate_hit


def _digest(value: str) -> str:
    # Neither addresses nor links are kept in the cache as they are.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def appeal_post_wait(request: HttpRequest, token: str) -> int | None:
    """Count this post against the address and the link. None while both allow it; once
    either is spent, the whole seconds until a post would be allowed again (the 429's
    Retry-After)."""
    waits = [
        wait
        for wait in (
            rate_hit(
                f"appeal-address:{_digest(client_ip(request) or 'unknown')}",
                settings.APPEAL_RATE_PER_ADDRESS,
            ),
            rate_hit(f"appeal-link:{_digest(token)}", settings.APPEAL_RATE_PER_LINK),
        )
        if wait is not None
    ]
    return max(1, math.ceil(max(waits))) if waits else None
