"""The evidence snapshot frozen into every decision: the subject as the moderator saw it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from antifraud.models import (
    DIGESTED_KINDS,
    Photo,
    Signal,
    Subject,
    SubjectIdentifier,
)


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
            if i.kind in DIGESTED_KINDS
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


def evidence_from_detail(detail: Any, *, captured_at: datetime) -> dict[str, Any]:
    """The snapshot of a case page (`reviews.selectors.CaseDetail`) as the moderator saw it."""
    snapshot = evidence_snapshot(
        subject=detail.subject,
        identifiers=detail.identifiers,
        photos=detail.photos,
        signals=detail.signals,
        linked=[
            {
                "id": entry.subject.pk,
                "partner": entry.subject.partner.slug,
                "kind": entry.subject.kind,
                "external_id": entry.subject.external_id,
                "title": entry.subject.title,
                "status": entry.subject.status,
                "shared": entry.shared_kinds,
            }
            for entry in detail.linked
        ],
        market_price=detail.market.median_price if detail.market else None,
        captured_at=captured_at,
    )
    if detail.owner and detail.owner.pk != detail.subject.pk:
        snapshot["account"] = {
            "id": detail.owner.pk,
            "external_id": detail.owner.external_id,
            "name": detail.owner.title,
            "status": detail.owner.status,
            "registered_at": _iso(detail.owner.registered_at),
        }
    return snapshot
