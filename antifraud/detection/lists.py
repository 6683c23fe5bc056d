"""List matching: a subject whose phone, e-mail, card, IBAN, device or photo is on the black
list (a strong signal) or the gray list (a medium one); the reporting partner learns of the
match in its answer at once. Near-duplicate photos of listed photos are the photo family's."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from antifraud.detection.base import Batch, Explanation, Hit, Rule, Thresholds
from antifraud.models import DIGESTED_KINDS, Indicator, Scheme, Signal


def matching_indicators(pairs: set[tuple[str, str]], *, now) -> list[Indicator]:
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
        if indicator.kind not in DIGESTED_KINDS
        else indicator.display[-9:],
        "list": indicator.list,
        "scheme": indicator.scheme or None,
        "since": timezone.localtime(indicator.listed_at).isoformat(),
        "expires_at": timezone.localtime(indicator.expires_at).isoformat()
        if indicator.expires_at
        else None,
    }


def batch_matches(batch: Batch) -> dict[int, list[Indicator]]:
    """Each subject's black and gray entries (one query for the batch)."""
    if "lists.matches" not in batch.cache:
        pairs = {pair for group in batch.identifiers.values() for pair in group}
        by_pair: dict[tuple[str, str], list[Indicator]] = defaultdict(list)
        for indicator in matching_indicators(pairs, now=batch.now):
            by_pair[(indicator.kind, indicator.value)].append(indicator)
        batch.cache["lists.matches"] = {
            sid: [i for pair in group for i in by_pair.get(pair, [])]
            for sid, group in batch.identifiers.items()
        }
    return batch.cache["lists.matches"]


def public_matches(batch: Batch) -> dict[int, list[dict[str, Any]]]:
    return {sid: [public_match(i) for i in found] for sid, found in batch_matches(batch).items()}


BLACK = gettext_noop("%(shown)s on the black list since %(since)s%(reason)s.")
GRAY = gettext_noop("%(shown)s on the gray list since %(since)s%(reason)s.")


def detect(batch: Batch, thresholds: Thresholds) -> Iterator[Hit]:
    for subject in batch.subjects:
        found = batch_matches(batch).get(subject.pk, [])
        for list_name, template, base in (
            (Indicator.List.BLACK, BLACK, thresholds["black_score"]),
            (Indicator.List.GRAY, GRAY, thresholds["gray_score"]),
        ):
            hits = [i for i in found if i.list == list_name]
            if not hits:
                continue
            first = hits[0]
            yield Hit(
                subject=subject,
                score=min(100, int(base) + 3 * (len(hits) - 1)),
                scheme=first.scheme or Scheme.REPEAT_OFFENDER,
                explanation=Explanation(
                    template,
                    {
                        "shown": [[i.kind, i.display] for i in hits[:3]],
                        "since": f"{first.listed_at:%Y-%m-%d}",
                        "reason": f" ({first.reason})" if first.reason else "",
                    },
                ),
                details={"indicators": [i.pk for i in hits], "list": list_name},
                key=f"{list_name}:{','.join(str(i.pk) for i in sorted(hits, key=lambda i: i.pk))}",
            )


RULES = [
    Rule(
        code="lists.match",
        title=_("On the black or gray list"),
        looks_at=_(
            "every phone, e-mail, card, IBAN, device and photo hash of the subject and its "
            "account against the entries in force"
        ),
        scheme=Scheme.REPEAT_OFFENDER,
        defaults={"black_score": 90, "gray_score": 60},
        detect=detect,
        source=Signal.Source.LIST_MATCH,
    )
]
