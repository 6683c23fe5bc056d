"""Decisions waiting for a second approval: the list (senior moderators approve from each
case's page; supervisors read it), approve and reject."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.http import StaffRequest
from antifraud import access
from antifraud.access import staff_page, visible_or_404
from antifraud.errors import DomainError, raise_for_page
from reviews import services
from reviews.forms import RejectProposalForm
from reviews.models import DecisionProposal
from reviews.selectors import proposals_waiting


@staff_page(access.may_read_approvals)
@require_GET
def approvals_page(request: StaffRequest) -> HttpResponse:
    """Senior moderators approve from each case's page; supervisors read the list."""
    return render(
        request, "reviews/approvals.html", {"proposals": proposals_waiting(user=request.user)}
    )


def _proposal_for(request: StaffRequest, proposal_id: int) -> DecisionProposal:
    return visible_or_404(
        request.user, DecisionProposal.objects.select_related("case__partner"), proposal_id
    )


@staff_page("reviews.approve_decision")
@require_POST
def proposal_approve(request: StaffRequest, proposal_id: int) -> HttpResponse:
    proposal = _proposal_for(request, proposal_id)
    try:
        decisions = services.decision_proposal_approve(actor=request.user, proposal_id=proposal.pk)
        messages.success(
            request,
            ngettext(
                "Approved: %(count)d decision took effect.",
                "Approved: %(count)d decisions took effect.",
                len(decisions),
            )
            % {"count": len(decisions)},
        )
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
        return redirect("case", proposal.case_id)
    return redirect("approvals")


@staff_page("reviews.approve_decision")
@require_POST
def proposal_reject(request: StaffRequest, proposal_id: int) -> HttpResponse:
    proposal = _proposal_for(request, proposal_id)
    form = RejectProposalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you reject the proposal."))
        return redirect("case", proposal.case_id)
    try:
        services.decision_proposal_reject(
            actor=request.user, proposal_id=proposal.pk, note=form.cleaned_data["note"]
        )
        messages.info(request, _("Rejected: the case is back in its queue."))
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
        return redirect("case", proposal.case_id)
    return redirect("approvals")
