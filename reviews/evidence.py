"""The evidence snapshot frozen into every decision: the subject as the moderator saw it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from antifraud.models import IndicatorKind, Photo, Signal, Subject, SubjectIdentifier


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def evidence_snapshot(
    *,
    subject: Subject,
    identifiers: Iterable[SubjectIdentifier],
    photos: Iterable[Photo],
    signals: Iterable[Signal],
    linked: Iterable[dict[str, Any]] = (),
    market_price: int | None = None,
    captured_at: datetime,
) -> dict[str, Any]:
    return {
        "captured_at": captured_at.isoformat(),
        "subject": {
            "id": subject.pk,
            "partner": subject.partner.slug,
            "kind": subject.kind,
            "external_id": subject.external_id,
            "title": subject.title,
            "text": subject.text,
            "category": subject.category,
            "price": subject.price,
            "currency": subject.currency,
            "market_price": market_price,
            "city": subject.city,
            "url": subject.url,
            "status": subject.status,
            "registered_at": _iso(subject.registered_at),
            "account_id": subject.account_id,
        },
        "identifiers": [
            # Card digests stay out of the snapshot: the last four digits identify enough.
            {"kind": i.kind, "display": i.display or i.value}
            if i.kind == IndicatorKind.CARD
            else {"kind": i.kind, "value": i.value, "display": i.display or i.value}
            for i in identifiers
        ],
        "photos": [{"sha256": p.sha256, "pdq_hash": p.pdq_hash} for p in photos],
        "signals": [
            {
                "id": s.pk,
                "source": s.source,
                "scheme": s.scheme,
                "score": s.score,
                "explanation": s.explanation,
                "created_at": _iso(s.created_at),
            }
            for s in signals
        ],
        "linked_subjects": list(linked),
    }
