"""List matching: a subject whose phone, e-mail, card, IBAN, device or photo is on the black
or gray list raises a signal, and the reporting partner learns of the match at once."""

from __future__ import annotations

from datetime import datetime
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from antifraud.models import Indicator, IndicatorKind, Scheme, Signal, Subject, SubjectIdentifier

if TYPE_CHECKING:
    from antifraud.detection import Findings

SCORES = {Indicator.List.BLACK: 90, Indicator.List.GRAY: 60}


def matching_indicators(pairs: set[tuple[str, str]], *, now: datetime) -> list[Indicator]:
    if not pairs:
        return []
    condition = reduce(or_, (Q(kind=kind, value=value) for kind, value in pairs))
    return list(
        Indicator.objects.active(now)
        .filter(condition, list__in=[Indicator.List.BLACK, Indicator.List.GRAY])
        .order_by("list", "listed_at")
    )


def public_match(indicator: Indicator) -> dict:
    """What a partner may learn of a match: never who or what else carries the value."""
    return {
        "kind": indicator.kind,
        "display": indicator.display
        if indicator.kind != IndicatorKind.CARD
        else indicator.display[-9:],
        "list": indicator.list,
        "scheme": indicator.scheme or None,
        "since": timezone.localtime(indicator.listed_at).isoformat(),
        "expires_at": timezone.localtime(indicator.expires_at).isoformat()
        if indicator.expires_at
        else None,
    }


def detect(
    *,
    subject: Subject,
    now: datetime,
    findings: Findings,
    pairs: set[tuple[str, str]] | None = None,
) -> None:
    if pairs is None:
        owner_ids = [subject.pk] + ([subject.account_id] if subject.account_id else [])
        pairs = set(
            SubjectIdentifier.objects.filter(subject_id__in=owner_ids).values_list("kind", "value")
        )
    matches = matching_indicators(pairs, now=now)
    if not matches:
        return
    findings.list_matches.extend(public_match(i) for i in matches)
    already = {
        tuple(sorted(s.details.get("indicators", [])))
        for s in Signal.objects.filter(subject=subject, source=Signal.Source.LIST_MATCH)
    }
    for list_name in (Indicator.List.BLACK, Indicator.List.GRAY):
        hits = [i for i in matches if i.list == list_name]
        if not hits or tuple(sorted(i.pk for i in hits)) in already:
            continue
        first = hits[0]
        shown = ", ".join(f"{IndicatorKind(i.kind).label} {i.display}" for i in hits[:3])
        findings.signals.append(
            Signal(
                subject=subject,
                source=Signal.Source.LIST_MATCH,
                scheme=first.scheme or Scheme.REPEAT_OFFENDER,
                score=min(100, SCORES[list_name] + 3 * (len(hits) - 1)),
                rule=f"lists.{list_name}_match",
                explanation=(
                    f"{shown} {'is' if len(hits) == 1 else 'are'} on the {list_name} list "
                    f"(since {first.listed_at:%Y-%m-%d}{', ' + first.reason if first.reason else ''})."
                ),
                details={"indicators": [i.pk for i in hits], "list": list_name},
                created_at=now,
            )
        )
