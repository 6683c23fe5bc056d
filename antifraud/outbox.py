"""The shape of outbox events: the same payload is POSTed as a webhook and served by the
event feed."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from antifraud.models import DIGESTED_KINDS, Indicator, Subject


def webhook_id_new() -> str:
    return f"msg_{secrets.token_hex(12)}"


def indicator_public(indicator: Indicator) -> dict[str, Any]:
    """What partners receive of a listed value. Card numbers travel only as their last four
    digits; partners check a full number through the look-up endpoint."""
    entry: dict[str, Any] = {"kind": indicator.kind, "list": indicator.list}
    if indicator.kind in DIGESTED_KINDS:
        entry["last4"] = indicator.display[-4:]
    else:
        entry["value"] = indicator.value
    if indicator.expires_at:
        entry["expires_at"] = indicator.expires_at.isoformat()
    return entry


def event_payload(
    *,
    event_type: str,
    at: datetime,
    recipient_id: int,
    subject: Subject | None = None,
    decision: dict[str, Any] | None = None,
    indicators: Sequence[Indicator] = (),
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Standard Webhooks style body: `type`, `timestamp`, `data`.

    The subject's own partner also gets the statement of reasons and the appeal link, which
    it shows to its user; other partners get the subject's reference and the indicators.
    """
    data: dict[str, Any] = {}
    own = subject is not None and subject.partner_id == recipient_id
    if subject is not None:
        data["subject"] = {
            "partner": subject.partner.slug,
            "kind": subject.kind,
            "external_id": subject.external_id,
            "yours": own,
        }
    if decision is not None:
        data["decision"] = {
            k: v
            for k, v in decision.items()
            if own or k not in {"statement_of_reasons", "appeal_url"}
        }
    data["indicators"] = [indicator_public(i) for i in indicators]
    data.update(extra or {})
    return {"type": event_type, "timestamp": at.isoformat(), "data": data}
