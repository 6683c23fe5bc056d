"""Quality sampling: decisions drawn when they are recorded, and a supervisor's verdict on
each. A verdict judges the decision, never blocks the moderator; a disagreement may send the
case back to the senior moderators as an escalation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from antifraud import access
from antifraud.audit import audit_record
from antifraud.errors import DomainError, InvalidInput, NotAllowed
from reviews.limits import TEXT_MAX
from reviews.models import Decision, QualitySample
from reviews.sampling import draw_key, is_drawn, is_new_moderator
from reviews.services.cases import case_reopen_as_escalation


class SampleRefused(DomainError):
    code = "sample_refused"


def quality_samples_draw(
    *, decisions: Sequence[Decision], moderator: User | None, now: datetime
) -> list[QualitySample]:
    """Draw the decisions just recorded into the sample queue: all of them while the
    moderator is new, else each with probability QUALITY_SAMPLE_RATE. Caller holds the
    transaction that records the decisions (reviews.services.decisions._apply)."""
    if moderator is None or not decisions:
        return []
    if is_new_moderator(moderator, now):
        chosen = [(d, QualitySample.Reason.NEW_MODERATOR) for d in decisions]
    else:
        rate, key = settings.QUALITY_SAMPLE_RATE, draw_key()
        chosen = [
            (d, QualitySample.Reason.RANDOM)
            for d in decisions
            if is_drawn(d.pk, rate=rate, key=key)
        ]
    samples = []
    for decision, reason in chosen:
        sample = QualitySample.objects.create(decision=decision, drawn_at=now, reason=reason)
        audit_record(
            actor=None,
            action="quality_sample.drawn",
            target=sample,
            payload={"decision": decision.pk, "reason": reason},
            at=now,
        )
        samples.append(sample)
    return samples


@transaction.atomic
def quality_sample_review(
    *, actor: User, sample_id: int, verdict: str, note: str = "", reopen: bool = False
) -> QualitySample:
    """Agree or disagree with a sampled decision (a note says why, required when
    disagreeing); a disagreement may reopen the case as an escalation, in the same
    transaction. Nobody reviews a decision they made or approved."""
    if not access.may(actor, "reviews.review_qualitysample"):
        raise NotAllowed(_("Your role cannot review sampled decisions."))
    sample = access.visible_or_404(
        actor,
        QualitySample.objects.select_for_update(of=("self",)).select_related(
            "decision__subject", "reviewer"
        ),
        sample_id,
    )
    if sample.is_reviewed:
        raise SampleRefused(
            _("This decision was already reviewed by %(who)s at %(when)s.")
            % {
                "who": sample.reviewer.get_username() if sample.reviewer else "—",
                "when": f"{timezone.localtime(sample.reviewed_at):%Y-%m-%d %H:%M}",
            },
            code="already_reviewed",
        )
    if access.took_part(actor, sample.decision):
        raise SampleRefused(
            _("Four eyes: you took part in this decision; another supervisor must review it."),
            code="four_eyes",
        )
    if verdict not in QualitySample.Verdict.values:
        raise InvalidInput(_("Agree or disagree with the decision."), code="verdict_required")
    note = (note or "").strip()
    if verdict == QualitySample.Verdict.DISAGREE and not note:
        raise InvalidInput(_("Say why you disagree: the note is required."), code="note_required")
    if len(note) > TEXT_MAX:
        raise InvalidInput(
            _("The note has at most %(n)d characters.") % {"n": TEXT_MAX}, code="note_too_long"
        )
    if reopen and verdict != QualitySample.Verdict.DISAGREE:
        raise InvalidInput(_("Only a disagreement reopens the case."), code="reopen_needs_disagree")

    now = timezone.now()
    sample.reviewer = actor
    sample.verdict = verdict
    sample.note = note
    sample.reviewed_at = now
    if reopen:
        sample.reopened_case = case_reopen_as_escalation(
            actor=actor,
            case_id=sample.decision.case_id,
            note=note,
            payload={"quality_sample": sample.pk, "decision": sample.decision_id},
            now=now,
        )
    sample.save(update_fields=["reviewer", "verdict", "note", "reviewed_at", "reopened_case"])
    audit_record(
        actor=actor,
        action="quality_sample.reviewed",
        target=sample,
        payload={
            "decision": sample.decision_id,
            "verdict": verdict,
            "note": note,
            "reopened_case": sample.reopened_case_id,
        },
        at=now,
    )
    return sample
