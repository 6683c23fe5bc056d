"""Rings: subjects linked by shared identifiers (phone, e-mail, card digest, IBAN, device,
photo hash) and near-duplicate photos, across partners, as connected components.

Each subject carries the id of its ring (`Subject.ring_id`: the smallest subject id of the
component). `rings_update` runs as reports arrive: it links the new subjects to what they
share identifiers with, and merges the rings they touch, so pages read a ring with one
indexed query instead of walking the graph.

A value carried by more than RING_VALUE_MAX subjects (a shared office phone, a marketplace's
support address) links nobody: it would merge unrelated people into one ring. Nor does a
value vetted as honest (the cleared list), and a number reassigned to a new subscriber links
its earlier subscriber's subjects and its new one's apart (antifraud.detection.registry).
Rings only ever merge: links made before a value was cleared or a number reassigned stay.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q

from antifraud.detection.registry import seen_before
from antifraud.models import IndicatorKind, Photo, Subject, SubjectIdentifier
from antifraud.services.registry import cleared_values, reassigned_since

RING_VALUE_MAX = 50
PHOTO_DISTANCE = 31


class _Components:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, node: int) -> int:
        self.parent.setdefault(node, node)
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[set[int]]:
        by_root: dict[int, set[int]] = defaultdict(set)
        for node in list(self.parent):
            by_root[self.find(node)].add(node)
        return list(by_root.values())


def rings_update(subject_ids: Iterable[int]) -> int:
    """Link these subjects (and their accounts) into rings; returns how many rings changed.
    Caller holds the transaction."""
    ids = set(subject_ids)
    if not ids:
        return 0
    rows = list(Subject.objects.filter(pk__in=ids).values_list("pk", "account_id", "ring_id"))
    graph = _Components()
    members = {pk for pk, _, _ in rows} | {account for _, account, _ in rows if account}
    for pk, account, _ in rows:
        graph.find(pk)
        if account:
            graph.join(pk, account)
    pairs = set(
        SubjectIdentifier.objects.filter(subject_id__in=members).values_list("kind", "value")
    )
    for holders in _by_subscriber(_holders(pairs)):
        if not holders:
            continue
        first, *rest = sorted(holders)
        for other in rest:
            graph.join(first, other)
    for a, b in _near_photo_links(ids):
        graph.join(a, b)
    nodes = set(graph.parent)
    rings = dict(Subject.objects.filter(pk__in=nodes).values_list("pk", "ring_id"))
    changed = 0
    for group in graph.groups():
        if len(group) < 2 and not any(rings.get(n) for n in group):
            continue
        existing: set[int] = {r for n in group if (r := rings.get(n)) is not None}
        ring = min(existing | group)
        if all(rings.get(n) == ring for n in group) and existing == {ring}:
            continue
        Subject.objects.filter(Q(pk__in=group) | Q(ring_id__in=existing)).exclude(
            ring_id=ring
        ).update(ring_id=ring)
        changed += 1
    return changed


def _holders(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], set[int]]:
    """For each (kind, value), the subjects carrying it — leaving out values too common to
    link anyone and values vetted as honest (three queries). Selected with IN lists and
    matched up here: one OR-ed condition per value is too deep for SQLite in a large batch."""
    if not pairs:
        return {}
    kinds, values = {k for k, _ in pairs}, {v for _, v in pairs}
    common = {
        (row["kind"], row["value"])
        for row in SubjectIdentifier.objects.filter(kind__in=kinds, value__in=values)
        .values("kind", "value")
        .annotate(n=Count("subject_id"))
        .filter(n__gt=RING_VALUE_MAX)
    }
    # An honest value copied by a scammer (a cleared photo, a phone on a fake listing) must
    # not pull the honest person into the scammer's ring, where one bulk decision takes all.
    usable = pairs - common - cleared_values(pairs)
    if not usable:
        return {}
    holders: dict[tuple[str, str], set[int]] = defaultdict(set)
    for subject_id, kind, value in SubjectIdentifier.objects.filter(
        kind__in={k for k, _ in usable}, value__in={v for _, v in usable}
    ).values_list("subject_id", "kind", "value"):
        if (kind, value) in usable:
            holders[(kind, value)].add(subject_id)
    return {pair: found for pair, found in holders.items() if len(found) > 1}


def _by_subscriber(linked: dict[tuple[str, str], set[int]]) -> list[set[int]]:
    """The groups of subjects each shared value links. A number reassigned to a new
    subscriber links those first seen before the day among themselves, and those seen on or
    after it among themselves, never one with the other (one query, two when a number
    was reassigned)."""
    phones = {value for kind, value in linked if kind == IndicatorKind.PHONE}
    numbers = reassigned_since(phones) if phones else {}
    if not numbers:
        return list(linked.values())
    split = {pair for pair in linked if pair[0] == IndicatorKind.PHONE and pair[1] in numbers}
    ids = {pk for pair in split for pk in linked[pair]}
    seen = {
        pk: min(own, account or own)
        for pk, own, account in Subject.objects.filter(pk__in=ids).values_list(
            "pk", "first_seen_at", "account__first_seen_at"
        )
    }
    groups = []
    for pair, holders in linked.items():
        if pair not in split:
            groups.append(holders)
            continue
        day = numbers[pair[1]]
        before = {pk for pk in holders if pk in seen and seen_before(seen[pk], day)}
        groups.extend([before, holders - before])
    return groups


def _near_photo_links(ids: set[int]) -> list[tuple[int, int]]:
    """Pairs of (new subject, other subject) whose photos are near-duplicates."""
    from antifraud.detection.photoindex import near

    own = list(
        Photo.objects.filter(subject_id__in=ids)
        .exclude(pdq_hash="")
        .values_list("subject_id", "pdq_hash")
    )
    if not own:
        return []
    found = near({h for _, h in own}, max_distance=PHOTO_DISTANCE)
    others = {of for matches in found.values() for of, _ in matches}
    holders: dict[str, set[int]] = defaultdict(set)
    for subject_id, value in SubjectIdentifier.objects.filter(
        kind=IndicatorKind.PHOTO, value__in=others
    ).values_list("subject_id", "value"):
        holders[value].add(subject_id)
    links: list[tuple[int, int]] = []
    for subject_id, value in own:
        for of, _distance in found.get(value, []):
            if len(holders.get(of, ())) > RING_VALUE_MAX:
                continue
            links.extend(
                (subject_id, other) for other in holders.get(of, ()) if other != subject_id
            )
    return links


def ring_size(ring_id: int | None) -> int:
    if ring_id is None:
        return 1
    return Subject.objects.filter(ring_id=ring_id).count()
