"""The lists registry's pages for staff: every entry the user sees, filtered; one entry
with its supporters, disputes, feedback, hits and history; and the senior moderators'
actions on it (promote, revoke, release, resolve a dispute) and anyone's dispute.

Each action is a form posted to its own address that calls one service of
antifraud.services.registry, which checks access again and writes the audit event. A
refusal is shown on the form that was sent, never as a server error.

Which case a decision was made on is the reviews app's knowledge, which this app may not
import: the URLconf hands the entry's views a `decision_case` function
(reviews.selectors.decision_case_id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.http import StaffRequest
from accounts.models import Partner, User
from antifraud import access
from antifraud.access import staff_page, visible_or_404
from antifraud.errors import DomainError, raise_for_page
from antifraud.filters import IndicatorFilter
from antifraud.lists import entries_for, entry_detail, review_counts
from antifraud.models import Dispute, Indicator
from antifraud.services.registry import (
    REASON_MAX,
    dispute_open,
    dispute_resolve,
    indicator_promote,
    indicator_release,
    indicator_revoke,
)

PAGE_SIZE = 50

# decision_case(user=, decision_id=) -> the id of the case, if the user may see it
DecisionCase = Callable[..., int | None]


# --- forms ------------------------------------------------------------------------------


def _text(label: Any, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": rows})
    )


class EntryForm(forms.Form):
    """One of the entry page's forms: the ids of its fields are its own, as several forms
    on the page have a field of one name."""

    action = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.action}_%s")
        super().__init__(*args, **kwargs)


class DisputeForm(EntryForm):
    action = "dispute"
    reason = _text(gettext_lazy("Why the entry is wrong"))


class PromoteForm(EntryForm):
    action = "promote"
    note = _text(gettext_lazy("Note"), rows=2)


class RevokeForm(EntryForm):
    action = "revoke"
    reason = _text(gettext_lazy("Reason"))
    wrong = forms.BooleanField(
        label=gettext_lazy("The entry was wrong: put the value on the cleared list"),
        required=False,
    )


class ReleaseForm(EntryForm):
    action = "release"
    note = _text(gettext_lazy("Note"), rows=2)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            ("uphold", gettext_lazy("Uphold the entry")),
            ("revoke", gettext_lazy("Revoke the entry")),
        ],
        widget=forms.RadioSelect,
    )
    resolution = _text(gettext_lazy("Resolution (the disputing partner reads this)"))
    wrong = forms.BooleanField(
        label=gettext_lazy("Revoking: the entry was wrong, put the value on the cleared list"),
        required=False,
    )

    def __init__(self, *args: Any, dispute_id: int, **kwargs: Any) -> None:
        # One form per open dispute on the page: the prefix keeps their ids apart.
        kwargs["prefix"] = f"dispute-{dispute_id}"
        super().__init__(*args, **kwargs)


# --- the list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRow:
    indicator: Indicator
    state: str

    @property
    def state_label(self) -> str:
        return str(Indicator.State(self.state).label)


@staff_page("antifraud.view_indicator")
@require_GET
def lists_page(request: StaffRequest) -> HttpResponse:
    entries = entries_for(user=request.user)
    filterset = IndicatorFilter(request.GET, queryset=entries)
    listed = filterset.qs if filterset.is_valid() else entries.none()
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [EntryRow(indicator, indicator.state(now)) for indicator in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    may_review = access.may(request.user, "antifraud.review_indicator")
    return render(
        request,
        "antifraud/lists.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "state": filterset.form.data.get("state", ""),
            "to_review": review_counts(user=request.user) if may_review else None,
        },
    )


# --- one entry --------------------------------------------------------------------------


def _entry_for(request: StaffRequest, indicator_id: int) -> Indicator:
    return visible_or_404(
        request.user,
        Indicator.objects.select_related("partner", "created_by", "promoted_by", "revoked_by"),
        indicator_id,
    )


def _origin_link(user: User, indicator: Indicator, decision_case: DecisionCase) -> str | None:
    """Where the entry came from, when it is a page the user may see."""
    kind, _sep, ref = indicator.origin_ref.partition(":")
    if not (ref.isascii() and ref.isdigit()):
        return None
    if kind == "decision":
        case_id = decision_case(user=user, decision_id=int(ref))
        return reverse("case", args=[case_id]) if case_id is not None else None
    if kind == "revocation" and Indicator.objects.visible_to(user).filter(pk=int(ref)).exists():
        return reverse("list-entry", args=[int(ref)])
    return None


@dataclass(frozen=True)
class Failed:
    """The form that was sent and refused, shown again with its errors."""

    action: str  # "dispute", "promote", "revoke", "release" or "resolve"
    form: forms.Form
    dispute_id: int | None = None


def _render(
    request: StaffRequest,
    indicator: Indicator,
    decision_case: DecisionCase,
    *,
    failed: Failed | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    detail = entry_detail(indicator, user=user)
    state = detail.state
    in_force = indicator.is_in_force()
    own_partner = user.partner_id is not None and user.partner_id == indicator.partner_id
    may_review = access.may_review_indicator(user, indicator)
    may_revoke = access.may_review_indicator(user, indicator, revoking=True)
    shown = {
        "dispute": access.may_dispute_indicator(user, indicator)
        and in_force
        and indicator.list != Indicator.List.CLEARED
        and not own_partner,
        "promote": may_review and state == Indicator.State.AWAITING_PROMOTION,
        "revoke": may_revoke and in_force,
        "release": may_revoke and state == Indicator.State.QUARANTINED,
    }
    blank: dict[str, type[forms.Form]] = {
        "dispute": DisputeForm,
        "promote": PromoteForm,
        "revoke": RevokeForm,
        "release": ReleaseForm,
    }
    page_forms: dict[str, forms.Form | None] = {}
    for action, form_class in blank.items():
        if failed is not None and failed.action == action:
            page_forms[action] = failed.form
        else:
            page_forms[action] = form_class() if shown[action] else None
    disputes = []
    for dispute in detail.disputes:
        form: forms.Form | None = None
        if failed is not None and failed.dispute_id == dispute.pk:
            form = failed.form
        elif may_review and dispute.status == Dispute.Status.OPEN:
            form = ResolveForm(dispute_id=dispute.pk)
        disputes.append((dispute, form))
    return render(
        request,
        "antifraud/list_entry.html",
        {
            "indicator": indicator,
            "detail": detail,
            "state_label": Indicator.State(state).label,
            "origin_link": _origin_link(user, indicator, decision_case),
            "forms": page_forms,
            "disputes": disputes,
            # Reviewers judge the entry, not the colleague: only supervisors see who did what.
            "show_staff": access.may_see_deciders(user),
            "listed_it": access.listed_it(user, indicator),
            "may_review_permission": access.may(user, "antifraud.review_indicator"),
            # The kind a partner had when it supported the entry: what the quorum counted.
            "partner_kinds": Partner.Kind.choices,
        },
        status=status,
    )


@staff_page("antifraud.view_indicator")
@require_GET
def entry_page(
    request: StaffRequest, indicator_id: int, *, decision_case: DecisionCase
) -> HttpResponse:
    return _render(request, _entry_for(request, indicator_id), decision_case)


# --- actions on an entry ----------------------------------------------------------------


def _act(
    request: StaffRequest,
    indicator: Indicator,
    decision_case: DecisionCase,
    *,
    action: str,
    form: forms.Form,
    run: Callable[[dict[str, Any]], str],
    dispute_id: int | None = None,
) -> HttpResponse:
    """Validate the form, run the service, and say what happened; a refusal is shown on the
    form that was sent (422 for the form's own errors, 409 for the service's)."""
    failed = Failed(action, form, dispute_id)
    if not form.is_valid():
        return _render(request, indicator, decision_case, failed=failed, status=422)
    try:
        done = run(form.cleaned_data)
    except DomainError as error:
        raise_for_page(error)
        form.add_error(None, error.message)
        indicator.refresh_from_db()
        return _render(request, indicator, decision_case, failed=failed, status=409)
    messages.success(request, done)
    return redirect("list-entry", indicator.pk)


@staff_page("antifraud.view_indicator", "antifraud.dispute_indicator")
@require_POST
def entry_dispute(
    request: StaffRequest, indicator_id: int, *, decision_case: DecisionCase
) -> HttpResponse:
    indicator = _entry_for(request, indicator_id)
    if not access.may_dispute_indicator(request.user, indicator):
        raise PermissionDenied

    def run(data: dict[str, Any]) -> str:
        dispute_open(actor=request.user, indicator_id=indicator.pk, reason=data["reason"])
        return _(
            "Your dispute is recorded: a senior moderator who did not list the entry reviews it."
        )

    return _act(
        request, indicator, decision_case, action="dispute", form=DisputeForm(request.POST), run=run
    )


@staff_page("antifraud.view_indicator", "antifraud.review_indicator")
@require_POST
def entry_promote(
    request: StaffRequest, indicator_id: int, *, decision_case: DecisionCase
) -> HttpResponse:
    indicator = _entry_for(request, indicator_id)
    if not access.may_review_indicator(request.user, indicator):
        raise PermissionDenied

    def run(data: dict[str, Any]) -> str:
        indicator_promote(actor=request.user, indicator_id=indicator.pk, note=data["note"])
        return _("The entry is on the black list now.")

    return _act(
        request, indicator, decision_case, action="promote", form=PromoteForm(request.POST), run=run
    )


@staff_page("antifraud.view_indicator", "antifraud.review_indicator")
@require_POST
def entry_revoke(
    request: StaffRequest, indicator_id: int, *, decision_case: DecisionCase
) -> HttpResponse:
    indicator = _entry_for(request, indicator_id)
    if not access.may_review_indicator(request.user, indicator, revoking=True):
        raise PermissionDenied

    def run(data: dict[str, Any]) -> str:
        indicator_revoke(
            actor=request.user,
            indicator_id=indicator.pk,
            reason=data["reason"],
            wrong=data["wrong"],
        )
        if data["wrong"]:
            return _("The entry is revoked, and the value is on the cleared list.")
        return _("The entry is revoked.")

    return _act(
        request, indicator, decision_case, action="revoke", form=RevokeForm(request.POST), run=run
    )


@staff_page("antifraud.view_indicator", "antifraud.review_indicator")
@require_POST
def entry_release(
    request: StaffRequest, indicator_id: int, *, decision_case: DecisionCase
) -> HttpResponse:
    indicator = _entry_for(request, indicator_id)
    if not access.may_review_indicator(request.user, indicator, revoking=True):
        raise PermissionDenied

    def run(data: dict[str, Any]) -> str:
        indicator_release(actor=request.user, indicator_id=indicator.pk, note=data["note"])
        return _("The entry is out of quarantine and matches again.")

    return _act(
        request, indicator, decision_case, action="release", form=ReleaseForm(request.POST), run=run
    )


@staff_page("antifraud.view_indicator", "antifraud.review_indicator")
@require_POST
def dispute_resolve_view(
    request: StaffRequest, dispute_id: int, *, decision_case: DecisionCase
) -> HttpResponse:
    found = Dispute.objects.filter(pk=dispute_id).values_list("indicator_id", flat=True).first()
    if found is None:
        raise Http404(_("No such dispute."))
    indicator = _entry_for(request, found)
    dispute = Dispute.objects.get(pk=dispute_id)
    # A dispute is seen with its entry by who may review it, or by its own partner's staff.
    if not (
        access.may_see_entry_evidence(request.user, indicator)
        or access.in_scope(request.user, dispute)
    ):
        raise Http404(_("No such dispute."))
    if not access.may_review_indicator(request.user, indicator):
        raise PermissionDenied

    def run(data: dict[str, Any]) -> str:
        revoke = data["outcome"] == "revoke"
        dispute_resolve(
            actor=request.user,
            dispute_id=dispute.pk,
            revoke=revoke,
            resolution=data["resolution"],
            wrong=revoke and data["wrong"],
        )
        return (
            _("The dispute is resolved: the entry is revoked.")
            if revoke
            else _("The dispute is resolved: the entry stands.")
        )

    return _act(
        request,
        indicator,
        decision_case,
        action="resolve",
        form=ResolveForm(request.POST, dispute_id=dispute.pk),
        run=run,
        dispute_id=dispute.pk,
    )
