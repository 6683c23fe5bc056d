"""Rate limits per API key (antifraud.ratelimit), as DRF's throttle."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
