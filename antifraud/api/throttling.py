"""Rate limits of the partner API (antifraud.ratelimit), as DRF's throttles: every call per
API key, and the look-ups of a partner slowed for walking through the numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from antifraud.api.authentication import PartnerClient
from antifraud.ratelimit import rate_hit

if TYPE_CHECKING:
    # Not at run time: DRF imports this module while it defines APIView.
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ApiKeyThrottle(BaseThrottle):
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
        self.retry_after = rate_hit(f"{self.scope}:{client.api_key.pk}", rate)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


class SlowedPartnerThrottle(BaseThrottle):
    """Look-ups of a partner whose look-ups walked through the phone numbers
    (antifraud.lookup_guard): at settings.LOOKUP_SLOWED_RATE, all its keys together, until
    `Partner.lookup_slowed_until`. Other partners, and this one once the period ends, are
    not limited here."""

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        client = request.user
        if not isinstance(client, PartnerClient):
            return True
        # The partner row is read afresh with the key on every request.
        until = client.partner.lookup_slowed_until
        if until is None or until <= timezone.now():
            return True
        self.retry_after = rate_hit(
            f"lookup-slowed:{client.partner.pk}", settings.LOOKUP_SLOWED_RATE
        )
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after
