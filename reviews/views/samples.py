"""The supervisors' sample queue: decisions drawn for a second look, and the verdict on each."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.http import StaffRequest
from antifraud import access
from antifraud.access import staff_page, visible_or_404
from antifraud.errors import DomainError, raise_for_page
from reviews.limits import TEXT_MAX
from reviews.models import QualitySample
from reviews.sampling import agreement_rates, samples_for
from reviews.services.sampling import quality_sample_review

SAMPLES_PER_PAGE = 50
# The agreement table on the queue page looks this far back.
AGREEMENT_DAYS = 90


class SampleReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=gettext_lazy("Verdict"),
        choices=[
            (QualitySample.Verdict.AGREE, gettext_lazy("I agree with the decision")),
            (QualitySample.Verdict.DISAGREE, gettext_lazy("I disagree with it")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note (required when you disagree)"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    reopen = forms.BooleanField(
        label=gettext_lazy("Reopen the case as an escalation for the senior moderators"),
        required=False,
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        disagree = data.get("verdict") == QualitySample.Verdict.DISAGREE
        if disagree and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why you disagree: the note is required."))
        if data.get("reopen") and not disagree:
            self.add_error("reopen", _("Only a disagreement reopens the case."))
        return data


def _sample_for(request: StaffRequest, sample_id: int) -> QualitySample:
    return visible_or_404(
        request.user,
        QualitySample.objects.select_related(
            "decision__case",
            "decision__subject__partner",
            "decision__subject__account",
            "decision__policy",
            "decision__decided_by",
            "decision__approved_by",
            "reviewer",
            "reopened_case",
        ),
        sample_id,
    )


@staff_page("reviews.view_qualitysample")
@require_GET
def sample_queue(request: StaffRequest) -> HttpResponse:
    show = request.GET.get("show", "waiting")
    reviewed = {"waiting": False, "reviewed": True}.get(show)
    page = Paginator(samples_for(user=request.user, reviewed=reviewed), SAMPLES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    return render(
        request,
        "oversight/samples.html",
        {
            "show": show if reviewed is not None else "all",
            "query": urlencode({"show": show if reviewed is not None else "all"}),
            "page": page,
            "waiting": QualitySample.objects.visible_to(request.user).unreviewed().count(),
            "agreement": agreement_rates(
                request.user, today - timedelta(days=AGREEMENT_DAYS - 1), today
            ),
            "agreement_days": AGREEMENT_DAYS,
            "rate": settings.QUALITY_SAMPLE_RATE,
            "new_days": settings.QUALITY_NEW_MODERATOR_DAYS,
        },
    )


def _render(
    request: StaffRequest, sample: QualitySample, form: SampleReviewForm, status: int = 200
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "oversight/sample.html",
        {
            "sample": sample,
            "decision": sample.decision,
            "form": form,
            "may_review": not sample.is_reviewed and access.may_review_sample(user, sample),
            "took_part": access.took_part(user, sample.decision),
        },
        status=status,
    )


@staff_page("reviews.view_qualitysample")
@require_GET
def sample_page(request: StaffRequest, sample_id: int) -> HttpResponse:
    return _render(request, _sample_for(request, sample_id), SampleReviewForm())


@staff_page("reviews.review_qualitysample")
@require_POST
def sample_review(request: StaffRequest, sample_id: int) -> HttpResponse:
    sample = _sample_for(request, sample_id)
    form = SampleReviewForm(request.POST)
    if not form.is_valid():
        return _render(request, sample, form, status=422)
    try:
        reviewed = quality_sample_review(
            actor=request.user,
            sample_id=sample.pk,
            verdict=form.cleaned_data["verdict"],
            note=form.cleaned_data["note"],
            reopen=form.cleaned_data["reopen"],
        )
    except DomainError as error:
        raise_for_page(error)
        form.add_error(None, error.message)
        return _render(request, _sample_for(request, sample_id), form, status=409)
    if reviewed.reopened_case_id:
        messages.success(
            request,
            _("Decision %(id)s reviewed; case %(case)s is back with the senior moderators.")
            % {"id": reviewed.decision_id, "case": reviewed.reopened_case_id},
        )
    else:
        messages.success(request, _("Decision %(id)s reviewed.") % {"id": reviewed.decision_id})
    return redirect("sample-queue")
