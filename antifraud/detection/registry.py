"""What the registry tells detection about the values rules look at: which are vetted as
honest (the cleared list), and which phone numbers went to a new subscriber. Each is read
once per batch (one query) and kept in `batch.cache`.

- A subject carrying a value vetted as honest — a phone, e-mail, card, IBAN, IIN or device a
  moderator cleared — is probably the person who was vetted: the signals of the rules that
  rest on contacts weigh CLEARED_SIGNAL_WEIGHT as much, and say why. Photo hashes do not
  count here: scammers copy honest sellers' photos, and a copied photo vetted as honest
  must not make a scam weigh less.
- A number reassigned to a new subscriber on a day links two subjects only when both were
  first seen on the same side of that day (`same_holder`): the earlier owner's history is
  not held against the new one, and the new owner's not against the earlier.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from antifraud.detection.base import Batch, Explanation, Hit, weight_shown
from antifraud.models import IndicatorKind, Subject
from antifraud.services.registry import cleared_values, reassigned_since

CLEARED = gettext_noop("Weight ×%(factor)s: %(shown)s was vetted as honest by a moderator.")
REASSIGNED = gettext_noop(
    "The earlier history of %(shown)s is not counted: reassigned to a new subscriber on %(date)s."
)


def batch_cleared(batch: Batch) -> set[tuple[str, str]]:
    """The batch's values on the cleared list in force, photo hashes left out (one query)."""
    if "registry.cleared" not in batch.cache:
        pairs = {
            pair
            for group in batch.identifiers.values()
            for pair in group
            if pair[0] != IndicatorKind.PHOTO
        }
        batch.cache["registry.cleared"] = cleared_values(pairs)
    found: set[tuple[str, str]] = batch.cache["registry.cleared"]
    return found


def cleared_on(batch: Batch, subject_id: int) -> list[tuple[str, str]]:
    """The subject's (and its account's) values vetted as honest, photo hashes left out."""
    cleared = batch_cleared(batch)
    return [pair for pair in batch.identifiers.get(subject_id, []) if pair in cleared]


def cleared_lowered(batch: Batch, hit: Hit) -> Hit:
    """The hit weighing CLEARED_SIGNAL_WEIGHT as much, saying so, when its subject carries a
    value vetted as honest; else the hit as it is."""
    vetted = cleared_on(batch, hit.subject.pk)
    if not vetted:
        return hit
    factor = settings.CLEARED_SIGNAL_WEIGHT
    note = Explanation(
        CLEARED, {"factor": weight_shown(factor), "shown": [list(pair) for pair in vetted[:3]]}
    )
    return replace(
        hit,
        weight=hit.weight * factor,
        explanation=hit.explanation.noted(note),
        details={**hit.details, "cleared": [list(pair) for pair in vetted]},
    )


# --- reassigned numbers --------------------------------------------------------------------


def reassigned(batch: Batch) -> dict[str, date]:
    """The latest reassignment day of each phone number of the batch that has one (one
    query for the batch)."""
    if "registry.reassigned" not in batch.cache:
        values = batch.values(IndicatorKind.PHONE)
        batch.cache["registry.reassigned"] = reassigned_since(values) if values else {}
    found: dict[str, date] = batch.cache["registry.reassigned"]
    return found


def seen_since(subject: Subject) -> datetime:
    """When the hub first saw the person behind a subject: its account's first sighting for
    a listing (contacts belong to the person), else its own."""
    owner = subject.account if subject.account_id and subject.account is not None else subject
    return min(subject.first_seen_at, owner.first_seen_at)


def seen_before(moment: datetime, reassigned_on: date) -> bool:
    """Whether a subject first seen at `moment` came before a reassignment on that day."""
    return timezone.localdate(moment) < reassigned_on


def same_holder(first_seen: datetime, other_first_seen: datetime, reassigned_on: date) -> bool:
    """Whether two subjects first seen then can hold a number reassigned on that day as the
    same subscriber: both first seen before the day, or both on or after it."""
    return seen_before(first_seen, reassigned_on) == seen_before(other_first_seen, reassigned_on)


def reassigned_notes(phones: dict[str, date]) -> list[Explanation]:
    """One note per number whose earlier history a rule left out."""
    return [
        Explanation(
            REASSIGNED,
            {"shown": [[IndicatorKind.PHONE, phone]], "date": f"{day:%Y-%m-%d}"},
        )
        for phone, day in sorted(phones.items())
    ]
