"""Reads of the fraud-intelligence core shared by pages and the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q

from antifraud.models import IndicatorKind, Subject, SubjectIdentifier


@dataclass
class LinkedSubject:
    subject: Subject
    shared: list[SubjectIdentifier] = field(default_factory=list)

    @property
    def shared_kinds(self) -> list[str]:
        return sorted({i.kind for i in self.shared})


def subjects_linked_to(subject_ids: Iterable[int], *, limit: int = 50) -> list[LinkedSubject]:
    """Every other subject, on any partner, linked with one of `subject_ids`: sharing a
    phone, e-mail, card digest, IBAN, device or photo hash with it directly, or in the same
    ring (antifraud.detection.rings: linked through other members or near-duplicate photos).
    Each comes with the identifiers it shares with the others. A fixed number of queries
    whatever the ring's size; the most-connected subjects first."""
    own = list({i for i in subject_ids if i})
    rings = set(
        Subject.objects.filter(pk__in=own, ring_id__isnull=False).values_list("ring_id", flat=True)
    )
    members = (
        list(
            Subject.objects.filter(ring_id__in=rings)
            .exclude(pk__in=own)
            .order_by("pk")
            .values_list("pk", flat=True)[: limit * 4]
        )
        if rings
        else []
    )
    pairs = set(SubjectIdentifier.objects.filter(subject_id__in=own).values_list("kind", "value"))
    condition = Q(subject_id__in=members)
    if pairs:
        condition |= reduce(or_, (Q(kind=k, value=v) for k, v in pairs))
    if not pairs and not members:
        return []
    matches = list(
        SubjectIdentifier.objects.filter(condition)
        .exclude(subject_id__in=own)
        .select_related("subject__partner", "subject__account")
        .order_by("subject_id")[: limit * 20]
    )
    matches = _without_earlier_holders(matches, own, pairs)
    # What a member shares: values the case's own subjects, or another member, carry too.
    holders: dict[tuple[str, str], set[int]] = {}
    for match in matches:
        holders.setdefault((match.kind, match.value), set()).add(match.subject_id)
    linked: dict[int, LinkedSubject] = {}
    for match in matches:
        entry = linked.setdefault(match.subject_id, LinkedSubject(subject=match.subject))
        pair = (match.kind, match.value)
        if pair in pairs or len(holders[pair]) > 1:
            entry.shared.append(match)
    missing = [pk for pk in members if pk not in linked]
    if missing:
        for subject in Subject.objects.filter(pk__in=missing).select_related("partner", "account"):
            linked[subject.pk] = LinkedSubject(subject=subject)
    ordered = sorted(linked.values(), key=lambda e: (-len(e.shared), e.subject.pk))
    return ordered[:limit]


def _without_earlier_holders(
    matches: list[SubjectIdentifier], own: list[int], pairs: set[tuple[str, str]]
) -> list[SubjectIdentifier]:
    """A number reassigned to a new subscriber links its new holder with nobody who held it
    before (nor the other way round): the next owner is not shown beside the last one."""
    from antifraud.detection.registry import same_holder, seen_since
    from antifraud.services.registry import reassigned_since

    phones = reassigned_since(v for k, v in pairs if k == IndicatorKind.PHONE)
    if not phones:
        return matches
    seen = [seen_since(s) for s in Subject.objects.filter(pk__in=own).select_related("account")]

    def earlier_holder(match: SubjectIdentifier) -> bool:
        day = phones.get(match.value) if match.kind == IndicatorKind.PHONE else None
        return day is not None and not any(
            same_holder(seen_since(match.subject), first, day) for first in seen
        )

    return [m for m in matches if not earlier_holder(m)]


def ring_of(subject: Subject) -> tuple[int, int]:
    """The size of the subject's ring and how many partners it spans (1, 1 when alone)."""
    if subject.ring_id is None:
        return 1, 1
    members = Subject.objects.filter(ring_id=subject.ring_id)
    return members.count(), members.values("partner_id").distinct().count()
