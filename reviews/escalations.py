"""Who escalated the cases of a page of the escalations queue, and when: the audit trail
knows (the case keeps only the note), read in one query for the whole page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType

from antifraud.models import AuditEvent
from reviews.models import Case

# A moderator's escalation, and a supervisor's reopening of a sampled decision as one.
ESCALATING = ("case.escalated", "case.reopened")


@dataclass(frozen=True)
class Escalation:
    by: str  # the username, as the trail recorded it
    at: datetime
    note: str


def escalations_of(cases: Iterable[Case]) -> dict[int, Escalation]:
    """The latest escalation of each escalated case given, by case id. The note is the
    case's own (what the senior moderators act on); the trail's is the fallback."""
    escalated = {case.pk: case for case in cases if case.is_escalated}
    if not escalated:
        return {}
    events = (
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(Case),
            target_id__in=[str(pk) for pk in escalated],
            action__in=ESCALATING,
        )
        .order_by("-created_at", "-pk")
        .values_list("target_id", "actor_label", "created_at", "payload")
    )
    found: dict[int, Escalation] = {}
    for target_id, label, at, payload in events:
        case_id = int(target_id)
        if case_id in found:
            continue
        note = escalated[case_id].escalation_note or str((payload or {}).get("note", ""))
        found[case_id] = Escalation(by=label, at=at, note=note)
    return found
