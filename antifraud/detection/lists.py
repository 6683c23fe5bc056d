"""List matching: a subject whose phone, e-mail, card, IBAN, device or photo is on the black
list (a strong signal) or the gray list (a medium one); the reporting partner learns of the
match in its answer at once. Near-duplicate photos of listed photos are the photo family's.

Only entries that answer matches count (Indicator.objects.matching: not cleared, not in
quarantine). A gray match weighs what its entry weighs now (registry.gray_weight): full while
partners keep corroborating it, fading after, and less when other partners often found its
proposer's entries wrong; the explanation says why."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from antifraud.detection.base import Batch, Explanation, Hit, Rule, Thresholds, weight_shown
from antifraud.models import DIGESTED_KINDS, Indicator, Scheme, Signal
from antifraud.services.registry import gray_weight


def matching_indicators(pairs: set[tuple[str, str]], *, now) -> list[Indicator]:
    """The black and gray entries in force on these (kind, value) pairs, quarantined ones
    left out (Indicator.objects.matching), with their proposing partner (one query).

    Selected with two IN lists and matched up here: one OR-ed condition per value costs
    Django milliseconds to compile for a hundred values, and SQLite refuses it for a
    thousand (its expression tree is at most 1,000 deep)."""
    if not pairs:
        return []
    found = (
        Indicator.objects.matching(now)
        .filter(kind__in={kind for kind, _ in pairs}, value__in={value for _, value in pairs})
        .select_related("partner")
        .order_by("list", "listed_at")
    )
    return [indicator for indicator in found if (indicator.kind, indicator.value) in pairs]


# What a partner is asked to do on a match, by list: block the payment or the listing on a
# black entry, show the user a warning on a gray one.
HANDLING: dict[str, str] = {Indicator.List.BLACK: "block", Indicator.List.GRAY: "warn"}


def public_match(indicator: Indicator) -> dict:
    """What a partner may learn of a match: never who or what else carries the value. The
    entry's id names it to the registry's endpoints (feedback, disputes)."""
    return {
        "id": indicator.pk,
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
        "handling": HANDLING.get(indicator.list, "warn"),
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
# Why a gray match weighs less than 1 (antifraud.services.registry.gray_weight).
STALE = gettext_noop("Weight %(weight)s: no fresh corroboration for %(days)s days.")
UNRELIABLE = gettext_noop(
    "Weight %(weight)s: other partners often found the proposing partner's entries wrong."
)
STALE_AND_UNRELIABLE = gettext_noop(
    "Weight %(weight)s: no fresh corroboration for %(days)s days, and other partners often "
    "found the proposing partner's entries wrong."
)


def gray_note(indicator: Indicator, weight: float, now: datetime) -> Explanation | None:
    """Why a gray entry weighs `weight` (its gray_weight), or None when it weighs 1."""
    if weight >= 1:
        return None
    idle = (now - indicator.fresh_at).days
    stale = idle > settings.GRAY_FRESH_DAYS
    unreliable = indicator.partner is not None and indicator.partner.reliability < 1
    template = STALE_AND_UNRELIABLE if stale and unreliable else UNRELIABLE if unreliable else STALE
    return Explanation(template, {"weight": weight_shown(weight), "days": idle})


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
            explanation = Explanation(
                template,
                {
                    "shown": [[i.kind, i.display] for i in hits[:3]],
                    "since": f"{first.listed_at:%Y-%m-%d}",
                    "reason": f" ({first.reason})" if first.reason else "",
                },
            )
            # Black entries weigh 1; gray ones fade without corroboration and weigh by their
            # proposer's reliability: the signal weighs what its strongest entry weighs.
            weights = {i.pk: gray_weight(i, batch.now) for i in hits}
            strongest = max(hits, key=lambda i: weights[i.pk])
            weight = weights[strongest.pk]
            note = gray_note(strongest, weight, batch.now)
            yield Hit(
                subject=subject,
                score=min(100, int(base) + 3 * (len(hits) - 1)),
                scheme=first.scheme or Scheme.REPEAT_OFFENDER,
                explanation=explanation.noted(note) if note else explanation,
                details={"indicators": [i.pk for i in hits], "list": list_name},
                key=f"{list_name}:{','.join(str(i.pk) for i in sorted(hits, key=lambda i: i.pk))}",
                weight=weight,
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
        rests_on_contacts=True,
    )
]
