"""The appeal page for blocked users: no account, reached through the signed link the
partner showed them, in English, Russian or Kazakh."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.http import PublicRequest
from accounts.languages import LANGUAGES
from antifraud.access import public_page
from antifraud.errors import DomainError, InvalidInput
from reviews import services
from reviews.limits import APPEAL_STATEMENT_MIN, TEXT_MAX
from reviews.links import AppealLinkInvalid, appeal_token_read
from reviews.models import Appeal, Decision, Policy
from reviews.public_site import language_remember, visitor_language
from reviews.services.appeals import appeal_window_open
from reviews.throttles import appeal_post_wait
from reviews.uploads import Upload


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class AppealForm(forms.Form):
    statement = forms.CharField(
        label=gettext_lazy("Why is the decision wrong?"),
        min_length=APPEAL_STATEMENT_MIN,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    contact_email = forms.EmailField(
        label=gettext_lazy("Your e-mail, to receive the outcome (optional)"), required=False
    )
    attachments = MultipleFileField(
        label=gettext_lazy(
            "Evidence: up to three JPEG, PNG or PDF files of at most 5 MB each (optional)"
        ),
        required=False,
    )
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I agree that my statement, e-mail address and files are processed to review this appeal."
        )
    )


def _invalid(request: PublicRequest) -> HttpResponse:
    """The same plain answer for a tampered, expired or foreign link."""
    return render(request, "appeals/invalid.html", status=404)


@public_page
@never_cache
@require_http_methods(["GET", "POST"])
def appeal_page(request: PublicRequest, token: str) -> HttpResponse:
    try:
        decision_id = appeal_token_read(token)
    except AppealLinkInvalid:
        return _invalid(request)
    decision = (
        Decision.objects.select_related("policy", "subject__partner", "subject__account", "lift")
        .filter(pk=decision_id)
        .first()
    )
    if decision is None or not decision.is_appealable or not appeal_window_open(decision):
        return _invalid(request)
    appeal = Appeal.objects.filter(decision=decision).first()
    language = visitor_language(
        request, fallback=appeal.language if appeal is not None else decision.language
    )
    with translation.override(language):
        response = _appeal_page(request, token, decision, appeal, language)
    language_remember(request, response, language)
    return response


def _appeal_page(
    request: PublicRequest, token: str, decision: Decision, appeal: Appeal | None, language: str
) -> HttpResponse:
    here = reverse("appeal", args=[token]) + f"?lang={language}"
    form = AppealForm()
    status = 200
    error = ""
    if request.method == "POST":
        wait = appeal_post_wait(request, token)
        if wait is not None:
            limited = render(request, "appeals/limited.html", {"language": language}, status=429)
            limited["Retry-After"] = str(wait)
            return limited
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.APPEAL_REQUEST_MAX_BYTES:
            return render(request, "appeals/too_large.html", {"back": here}, status=413)
        if request.POST.get("action") == "withdraw" and appeal is not None:
            try:
                services.appeal_withdraw(appeal_id=appeal.pk)
            except DomainError as exc:
                error = exc.message
                status = 409
            else:
                return redirect(here)
        elif appeal is not None:
            error = _("An appeal against this decision was already filed.")
            status = 409
        else:
            form = AppealForm(request.POST, request.FILES)
            if form.is_valid():
                uploads = [
                    Upload(name=f.name, data=f.read()) for f in form.cleaned_data["attachments"]
                ]
                try:
                    services.appeal_file(
                        decision_id=decision.pk,
                        statement=form.cleaned_data["statement"],
                        contact_email=form.cleaned_data["contact_email"],
                        language=language,
                        consent=form.cleaned_data["consent"],
                        attachments=uploads,
                    )
                except InvalidInput as exc:
                    form.add_error(None, exc.message)
                    status = 400
                except DomainError as exc:
                    error = exc.message
                    status = 409
                else:
                    return redirect(here + "&filed=1")
            else:
                status = 400
            appeal = Appeal.objects.filter(decision=decision).first()
    subject = decision.subject
    return render(
        request,
        "appeals/public.html",
        {
            "decision": decision,
            "policy_title": decision.policy.localized("title", language),
            "policy_text": decision.policy.localized("text", language),
            # The decision stands under the version it cited, however the policy changed since.
            "policy_replaced_by": (
                None
                if decision.policy.is_current
                else Policy.objects.filter(code=decision.policy.code, is_current=True).first()
            ),
            "subject": subject,
            "owner": subject.owner,
            "appeal": appeal,
            "form": form,
            "error": error,
            "just_filed": request.GET.get("filed") == "1" and appeal is not None,
            "language": language,
            "languages": LANGUAGES,
            "path": reverse("appeal", args=[token]),
        },
        status=status,
    )
