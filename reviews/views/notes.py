"""Notes on a subject, written from one of its case pages.

With htmx the notes card is swapped in place (with the error, when the note is refused);
without JavaScript the form posts and the case page comes back, the error as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import StaffRequest
from antifraud import access
from antifraud.access import staff_page, visible_or_404
from antifraud.errors import DomainError, raise_for_page
from reviews import services
from reviews.limits import TEXT_MAX
from reviews.models import Case
from reviews.selectors import subject_notes


@staff_page("reviews.add_subjectnote")
@require_POST
def case_note_add(request: StaffRequest, case_id: int) -> HttpResponse:
    case = visible_or_404(request.user, Case.objects.select_related("subject__account"), case_id)
    subject = case.subject
    account = subject.account if subject.kind == subject.Kind.LISTING else None
    about = request.POST.get("about", "subject")
    target = account if about == "account" and account is not None else subject
    text = request.POST.get("text", "")
    error = ""
    try:
        services.subject_note_add(
            actor=request.user, subject_id=target.pk, text=text, case_id=case.pk
        )
    except DomainError as refused:
        raise_for_page(refused)
        error = refused.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Note added."))
        return redirect(reverse("case", args=[case.pk]) + "#notes")
    detail = {
        "notes": subject_notes(user=request.user, subject=subject, owner=account),
        "show_deciders": access.may_see_deciders(request.user),
    }
    context = {
        "case": case,
        "detail": detail,
        "text_max": TEXT_MAX,
        # A refused note stays in the field, to be corrected rather than written again.
        "note_text": text if error else "",
        "note_about": about if error else "",
        "note_error": error,
    }
    return render(request, "reviews/_notes.html", context, status=422 if error else 200)
