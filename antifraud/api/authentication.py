"""`Authorization: Api-Key <key>`: a partner's system calling the API.

A key is found by its SHA-256 (the only thing stored), so a lookup compares hashes in the
database and reveals nothing through timing. Revocation and a partner's deactivation take
effect on the next request: keys are looked up every time, never cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from django.db.models import Q
from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.crypto import api_key_hash
from accounts.models import ApiKey, Partner
from antifraud.access import PARTNER_API_PERMISSIONS
from antifraud.services.keys import api_key_prefix

if TYPE_CHECKING:
    # Not at run time: DRF imports this module while it defines APIView. For the same
    # reason the OpenAPI security scheme lives in antifraud.api.schema.
    from rest_framework.request import Request

KEYWORD = "Api-Key"
# last_used_at is for people ("is this key still in use?"): minute precision is plenty, and
# it spares a write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)
# Longer than any key: nothing longer is hashed or looked up.
KEY_MAX_LENGTH = 100


@dataclass(frozen=True, eq=False)
class PartnerClient:
    """`request.user` for a partner's system: the partner and the key it used."""

    partner: Partner
    api_key: ApiKey

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_active: ClassVar[bool] = True
    is_staff: ClassVar[bool] = False

    @property
    def pk(self) -> None:
        # Not a staff user: code that keys on a user's pk must not mistake it for one.
        return None

    @property
    def partner_id(self) -> int:
        """The partner whose objects the access policy lets this system see."""
        return int(self.partner.pk)

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return perm in PARTNER_API_PERMISSIONS

    def __str__(self) -> str:
        return f"partner:{self.partner.slug} ({self.api_key.prefix})"


def _invalid(message: str) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(message, code="invalid_key")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[PartnerClient, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # -> 401 not_authenticated
        keyword, _, key = header.strip().partition(" ")
        if keyword.lower() != KEYWORD.lower():
            raise exceptions.NotAuthenticated(
                f"Send the key as `Authorization: {KEYWORD} <key>`.", code="not_authenticated"
            )
        key = key.strip()
        if len(key) > KEY_MAX_LENGTH or api_key_prefix(key) is None:
            raise _invalid("Malformed API key.")
        api_key = (
            ApiKey.objects.select_related("partner").filter(key_hash=api_key_hash(key)).first()
        )
        if api_key is None:
            raise _invalid("Unknown API key.")
        if api_key.revoked_at is not None:
            raise _invalid("This API key was revoked.")
        if not api_key.partner.is_active:
            raise _invalid("The partner of this API key is inactive.")
        self._touch(api_key)
        return PartnerClient(partner=api_key.partner, api_key=api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with this challenge) rather than 403.
        return KEYWORD

    @staticmethod
    def _touch(api_key: ApiKey) -> None:
        now = timezone.now()
        if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_PRECISION:
            return
        # Conditional, so that concurrent requests of the same minute write once.
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        api_key.last_used_at = now
