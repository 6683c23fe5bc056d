"""Reads of the fraud-intelligence core shared by pages and the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q

from antifraud.models import MarketPrice, Subject, SubjectIdentifier


@dataclass
class LinkedSubject:
    subject: Subject
    shared: list[SubjectIdentifier] = field(default_factory=list)

    @property
    def shared_kinds(self) -> list[str]:
        return sorted({i.kind for i in self.shared})


def subjects_linked_to(subject_ids: Iterable[int], *, limit: int = 50) -> list[LinkedSubject]:
    """Every other subject, on any partner, that shares a phone, e-mail, card digest, IBAN,
    device or photo hash with one of `subject_ids`. Two queries whatever the ring's size;
    the most-connected subjects first."""
    own = list({i for i in subject_ids if i})
    pairs = set(SubjectIdentifier.objects.filter(subject_id__in=own).values_list("kind", "value"))
    if not pairs:
        return []
    matches = (
        SubjectIdentifier.objects.filter(reduce(or_, (Q(kind=k, value=v) for k, v in pairs)))
        .exclude(subject_id__in=own)
        .select_related("subject__partner", "subject__account")
        .order_by("subject_id")[: limit * 10]
    )
    linked: dict[int, LinkedSubject] = {}
    for match in matches:
        entry = linked.setdefault(match.subject_id, LinkedSubject(subject=match.subject))
        entry.shared.append(match)
    ordered = sorted(linked.values(), key=lambda e: (-len(e.shared), e.subject.pk))
    return ordered[:limit]


def market_price_for(category: str, city: str) -> MarketPrice | None:
    if not category or not city:
        return None
    return MarketPrice.objects.filter(category=category, city=city).first()
