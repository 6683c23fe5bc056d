"""The senior moderators' appeal queue and review page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import StaffRequest
from antifraud import access
from antifraud.access import staff_page, visible_or_404
from antifraud.errors import DomainError, raise_for_page
from reviews import deadlines, services
from reviews.limits import TEXT_MAX
from reviews.links import appeal_url
from reviews.models import Appeal, AppealAttachment, ReplyTemplate
from reviews.services.appeals import appeal_reply_prefill

# The form's outcomes and the reply templates' names for them.
OUTCOMES = {"uphold": ReplyTemplate.Outcome.UPHELD, "overturn": ReplyTemplate.Outcome.OVERTURNED}


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            ("uphold", gettext_lazy("Uphold the decision")),
            ("overturn", gettext_lazy("Overturn it")),
        ],
        widget=forms.RadioSelect,
    )
    reply = forms.CharField(
        label=gettext_lazy("Reply to the appellant (they read this)"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ReplyQuery(forms.Form):
    """What the reply field is refilled from: the outcome chosen and the text as it is."""

    outcome = forms.ChoiceField(choices=[(key, key) for key in OUTCOMES])
    reply = forms.CharField(required=False, max_length=TEXT_MAX, strip=False)


def _appeal_for(request: StaffRequest, appeal_id: int) -> Appeal:
    return visible_or_404(
        request.user,
        Appeal.objects.select_related(
            "decision__policy",
            "decision__subject__partner",
            "decision__subject__account",
            "decision__decided_by",
            "decision__approved_by",
            "decision__lift",
            "claimed_by",
            "reviewer",
            "reversal",
        ),
        appeal_id,
    )


@staff_page("reviews.view_appeal")
@require_GET
def appeals_page(request: StaffRequest) -> HttpResponse:
    open_appeals = Appeal.objects.visible_to(request.user).filter(
        status__in=[Appeal.Status.SUBMITTED, Appeal.Status.IN_REVIEW]
    )
    waiting = open_appeals.select_related(
        "decision__subject__partner", "decision__policy", "claimed_by"
    ).order_by("deadline", "pk")[:200]
    now = timezone.now()
    counts = open_appeals.aggregate(
        breached=Count("pk", filter=deadlines.breached_q(now)),
        due_soon=Count("pk", filter=deadlines.due_soon_q(now, deadlines.appeal_warning())),
    )
    return render(
        request,
        "appeals/queue.html",
        {
            "appeals": waiting,
            "may_review": access.may_review_appeals(request.user),
            "breached": counts["breached"],
            "due_soon": counts["due_soon"],
        },
    )


@staff_page("reviews.review_appeal")
@require_POST
def appeal_claim_next(request: StaffRequest) -> HttpResponse:
    try:
        appeal = services.appeal_claim_next(actor=request.user)
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
        return redirect("appeals")
    if appeal is None:
        messages.info(request, _("No appeal is waiting for you."))
        return redirect("appeals")
    return redirect("appeal-review", appeal.pk)


@staff_page("reviews.view_appeal")
@require_GET
def appeal_page(request: StaffRequest, appeal_id: int) -> HttpResponse:
    appeal = _appeal_for(request, appeal_id)
    return _render(request, appeal, ResolveForm())


def _render(
    request: StaffRequest, appeal: Appeal, form: ResolveForm, status: int = 200
) -> HttpResponse:
    decision = appeal.decision
    user = request.user
    took_part = access.took_part(user, decision)
    return render(
        request,
        "appeals/review.html",
        {
            "appeal": appeal,
            "decision": decision,
            "policy_title": decision.policy.localized("title", get_language() or "en"),
            "attachments": list(appeal.attachments.order_by("pk")),
            "held": appeal.is_held_by(user),
            "may_claim": access.may_review_appeal(user, appeal)
            and appeal.status in (Appeal.Status.SUBMITTED, Appeal.Status.IN_REVIEW)
            and not appeal.is_held_by(user),
            "took_part": took_part,
            # Reviewers judge the decision, not the colleague: only supervisors see who decided.
            "show_decider": access.may_see_deciders(user),
            "form": form,
            "text_max": TEXT_MAX,
            "appeal_link": appeal_url(decision_id=decision.pk, decided_at=decision.decided_at),
            "now": timezone.now(),
        },
        status=status,
    )


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


@staff_page("reviews.review_appeal")
@require_GET
def appeal_reply(request: StaffRequest, appeal_id: int) -> HttpResponse:
    """The reply field again, filled from the best template for the outcome chosen — unless
    the reviewer has written something of their own, which is given back as it was. Text
    that is one of this appeal's filled templates is the page's, not the reviewer's."""
    appeal = _appeal_for(request, appeal_id)
    query = ReplyQuery(request.GET)
    if not query.is_valid():
        return HttpResponse(
            _("Choose to uphold or overturn."), status=400, content_type="text/plain; charset=utf-8"
        )
    typed = query.cleaned_data["reply"]
    filled = {_normalised(appeal_reply_prefill(appeal, o)) for o in OUTCOMES.values()}
    reply = typed
    if not _normalised(typed) or _normalised(typed) in filled:
        reply = appeal_reply_prefill(appeal, OUTCOMES[query.cleaned_data["outcome"]]) or typed
    return render(request, "appeals/review.html#reply", {"reply": reply, "text_max": TEXT_MAX})


@staff_page("reviews.review_appeal")
@require_POST
def appeal_claim(request: StaffRequest, appeal_id: int) -> HttpResponse:
    appeal = _appeal_for(request, appeal_id)
    try:
        services.appeal_claim(actor=request.user, appeal_id=appeal.pk)
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
    return redirect("appeal-review", appeal.pk)


@staff_page("reviews.review_appeal")
@require_POST
def appeal_release(request: StaffRequest, appeal_id: int) -> HttpResponse:
    appeal = _appeal_for(request, appeal_id)
    try:
        services.appeal_release(actor=request.user, appeal_id=appeal.pk)
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
        return redirect("appeal-review", appeal.pk)
    return redirect("appeals")


@staff_page("reviews.review_appeal")
@require_POST
def appeal_resolve(request: StaffRequest, appeal_id: int) -> HttpResponse:
    appeal = _appeal_for(request, appeal_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _render(request, appeal, form, status=422)
    try:
        services.appeal_resolve(
            actor=request.user,
            appeal_id=appeal.pk,
            overturn=form.cleaned_data["outcome"] == "overturn",
            reply=form.cleaned_data["reply"],
        )
    except DomainError as error:
        raise_for_page(error)
        form.add_error(None, error.message)
        appeal.refresh_from_db()
        return _render(request, appeal, form, status=409)
    messages.success(request, _("Appeal %(id)s resolved.") % {"id": appeal.pk})
    return redirect("appeals")


@staff_page("reviews.view_appealattachment")
@require_GET
def appeal_attachment(request: StaffRequest, appeal_id: int, attachment_id: int) -> FileResponse:
    """Appellants' files go only to staff who may see the appeal, and each look is audited."""
    attachment = visible_or_404(
        request.user,
        AppealAttachment.objects.select_related("appeal").filter(appeal_id=appeal_id),
        attachment_id,
    )
    appeal = attachment.appeal
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("file missing") from exc
    services.appeal_attachment_viewed(actor=request.user, attachment=attachment)
    inline = attachment.content_type.startswith("image/")
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not inline,
        filename=f"appeal-{appeal.pk}-{attachment.pk}.{attachment.file.name.rsplit('.', 1)[-1]}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response
