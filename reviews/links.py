"""Appeal links: signed capabilities bound to one decision, expiring a fixed time after it.

The token is derived from the decision alone, so the link a partner received and the link on
the case page are the same, and its expiry cannot be extended by asking for a new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

SALT = "reviews.appeal-link"


class AppealLinkInvalid(Exception):
    """Tampered, expired or unknown: the caller shows the same answer for all three."""


def appeal_token(*, decision_id: int, decided_at: datetime) -> str:
    expires = decided_at + timedelta(days=settings.APPEAL_LINK_MAX_AGE_DAYS)
    return signing.Signer(salt=SALT).sign_object({"d": decision_id, "x": int(expires.timestamp())})


def appeal_token_read(token: str, *, now: datetime | None = None) -> int:
    """The decision id the token grants, or `AppealLinkInvalid`."""
    try:
        payload = signing.Signer(salt=SALT).unsign_object(token)
        decision_id, expires = int(payload["d"]), int(payload["x"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise AppealLinkInvalid from exc
    if (now or timezone.now()).timestamp() > expires:
        raise AppealLinkInvalid
    return decision_id


def appeal_url(*, decision_id: int, decided_at: datetime) -> str:
    token = appeal_token(decision_id=decision_id, decided_at=decided_at)
    return f"{settings.PUBLIC_BASE_URL}/appeal/{token}/"
