"""The evidence snapshot frozen into every decision: the subject as the moderator saw it,
and the same snapshot made readable for the pages that show it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import translation

from accounts.models import Partner, User
from antifraud.detection.base import Explanation
from antifraud.models import (
    DIGESTED_KINDS,
    IndicatorKind,
    Photo,
    Scheme,
    Signal,
    Subject,
    SubjectIdentifier,
)
from antifraud.models.subjects import Category


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
                # The sentence's parts, so that a reader sees it in their own language.
                "explain": (s.details or {}).get("explain"),
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


# --- reading a snapshot ------------------------------------------------------------------
#
# A snapshot keeps codes and UTC ISO times, as it was frozen; the pages show labels in the
# reader's language and local times. Snapshots of every age are read: a key an older one
# lacks is empty, and a code no longer known is shown as it is.


def _label(choices: Any, code: Any) -> str:
    if code in (None, ""):
        return ""
    return str(dict(choices.choices).get(code, code))


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


@dataclass(frozen=True)
class EvidenceSubject:
    id: int | None
    partner: str
    kind: str
    external_id: str
    title: str
    status: str
    text: str = ""
    category: str = ""
    price: int | None = None
    market_price: int | None = None
    city: str = ""
    registered_at: datetime | None = None
    # The reader may open its story (it is in their scope).
    linkable: bool = False
    shared: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EvidenceSignal:
    score: Any
    source: str
    scheme: str
    explanation: str
    created_at: datetime | None


@dataclass(frozen=True)
class EvidenceIdentifier:
    kind: str
    display: str


@dataclass(frozen=True)
class EvidenceView:
    captured_at: datetime | None
    subject: EvidenceSubject
    account: EvidenceSubject | None
    identifiers: list[EvidenceIdentifier]
    signals: list[EvidenceSignal]
    linked: list[EvidenceSubject]
    photos: int


def _explanation(row: Mapping[str, Any], language: str) -> str:
    parts = Explanation.from_json(_dict(row.get("explain")))
    if parts is not None:
        return parts.render(language)
    return str(row.get("explanation") or "")


def evidence_view(evidence: Any, *, user: User | None = None) -> EvidenceView:
    """A decision's snapshot as a page shows it: labels for codes, partners by name, local
    times. Two queries: the partners' names, and which linked subjects the user may open."""
    evidence = _dict(evidence)
    subject = _dict(evidence.get("subject"))
    account = _dict(evidence.get("account"))
    linked = _rows(evidence.get("linked_subjects"))
    slugs = {subject.get("partner"), *(row.get("partner") for row in linked)}
    names = dict(
        Partner.objects.filter(slug__in=[s for s in slugs if isinstance(s, str)]).values_list(
            "slug", "name"
        )
    )
    ids = [row.get("id") for row in linked if isinstance(row.get("id"), int)]
    openable = (
        set(Subject.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
        if user is not None and ids
        else set()
    )
    language = translation.get_language() or "en"

    def partner(slug: Any) -> str:
        return names.get(slug, str(slug or ""))

    return EvidenceView(
        captured_at=_when(evidence.get("captured_at")),
        subject=EvidenceSubject(
            id=subject.get("id"),
            partner=partner(subject.get("partner")),
            kind=_label(Subject.Kind, subject.get("kind")),
            external_id=str(subject.get("external_id") or ""),
            title=str(subject.get("title") or ""),
            status=_label(Subject.Status, subject.get("status")),
            text=str(subject.get("text") or ""),
            category=_label(Category, subject.get("category")),
            price=subject.get("price"),
            market_price=subject.get("market_price"),
            city=str(subject.get("city") or ""),
            registered_at=_when(subject.get("registered_at")),
        ),
        account=EvidenceSubject(
            id=account.get("id"),
            partner=partner(subject.get("partner")),
            kind=str(Subject.Kind.ACCOUNT.label),
            external_id=str(account.get("external_id") or ""),
            title=str(account.get("name") or ""),
            status=_label(Subject.Status, account.get("status")),
            registered_at=_when(account.get("registered_at")),
        )
        if account
        else None,
        identifiers=[
            EvidenceIdentifier(
                kind=_label(IndicatorKind, row.get("kind")),
                display=str(row.get("display") or row.get("value") or ""),
            )
            for row in _rows(evidence.get("identifiers"))
        ],
        signals=[
            EvidenceSignal(
                score=row.get("score"),
                source=_label(Signal.Source, row.get("source")),
                scheme=_label(Scheme, row.get("scheme")),
                explanation=_explanation(row, language),
                created_at=_when(row.get("created_at")),
            )
            for row in _rows(evidence.get("signals"))
        ],
        linked=[
            EvidenceSubject(
                id=row.get("id"),
                partner=partner(row.get("partner")),
                kind=_label(Subject.Kind, row.get("kind")),
                external_id=str(row.get("external_id") or ""),
                title=str(row.get("title") or ""),
                status=_label(Subject.Status, row.get("status")),
                linkable=row.get("id") in openable,
                shared=[_label(IndicatorKind, kind) for kind in _list(row.get("shared"))],
            )
            for row in linked
        ],
        photos=len(_rows(evidence.get("photos"))),
    )
