"""Internal notes on a subject: what a moderator wants every later case of it to show.

Notes are for staff alone. Nothing that leaves the hub (outbox payloads, webhooks, e-mails,
the partner API, the public pages) reads them; tests/reviews/test_notes.py searches all of
those for a note's text.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from antifraud import access
from antifraud.audit import audit_record
from antifraud.errors import InvalidInput, NotAllowed
from antifraud.models import Subject
from reviews.limits import TEXT_MAX
from reviews.models import Case, SubjectNote


class NoteRefused(InvalidInput):
    code = "note_refused"


def note_text_problem(text: str) -> str | None:
    """Why a note's text cannot be kept, or None: the form and the service say the same."""
    if not text.strip():
        return _("Write the note first: it is empty.")
    if len(text.strip()) > TEXT_MAX:
        return ngettext(
            "A note holds at most %(max)s character.",
            "A note holds at most %(max)s characters.",
            TEXT_MAX,
        ) % {"max": TEXT_MAX}
    return None


@transaction.atomic
def subject_note_add(
    *, actor: User, subject_id: int, text: str, case_id: int | None = None
) -> SubjectNote:
    """Write a note on a subject the actor sees, from one of its cases (or from none).

    The audit event keeps the note's text: the trail is read by staff alone, and a note is
    evidence of what a moderator knew when they decided."""
    subject = access.visible_or_404(actor, Subject.objects.select_related("partner"), subject_id)
    if not access.may_note_subject(actor, subject):
        raise NotAllowed(_("Your role cannot write notes on subjects."))
    case = None
    if case_id is not None:
        case = access.visible_or_404(actor, Case.objects.all(), case_id)
        # A case of the subject, or of one of the account's listings.
        if case.subject_id != subject.pk and _account_of(case.subject_id) != subject.pk:
            raise NoteRefused(_("This case is not about that subject."), code="note_wrong_case")
    problem = note_text_problem(text)
    if problem:
        raise NoteRefused(problem, code="note_text")
    note = SubjectNote.objects.create(subject=subject, author=actor, case=case, text=text.strip())
    audit_record(
        actor=actor,
        action="subject.noted",
        target=note,
        payload={
            "subject": subject.pk,
            "case": case.pk if case else None,
            "text": note.text,
        },
    )
    return note


def _account_of(subject_id: int) -> int | None:
    return Subject.objects.filter(pk=subject_id).values_list("account_id", flat=True).first()
