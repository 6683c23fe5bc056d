"""Who may see and work which case. Every view fetches through these, so an id of another
partner's case answers 404, never revealing that it exists."""

from __future__ import annotations

from django.http import Http404

from accounts.models import User
from reviews.models import Case, CaseQuerySet, DecisionProposal


def cases_visible_to(user: User) -> CaseQuerySet:
    if not user.is_active or not user.has_perm("reviews.view_case"):
        return Case.objects.none()
    return Case.objects.for_partner(user.partner_id)


def case_get_visible(user: User, case_id: int) -> Case:
    case = (
        cases_visible_to(user)
        .select_related("subject__partner", "partner", "claimed_by")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404("no such case")
    return case


def can_claim(user: User, case: Case) -> bool:
    if not user.has_perm("reviews.claim_case"):
        return False
    if user.partner_id is not None and case.partner_id != user.partner_id:
        return False
    return not case.is_escalated or user.has_perm("reviews.claim_escalated_case")


def can_approve(user: User, proposal: DecisionProposal) -> bool:
    """Someone else than the proposer, with the right, in the case's scope."""
    return (
        user.has_perm("reviews.approve_decision")
        and proposal.proposed_by_id != user.pk
        and (user.partner_id is None or proposal.case.partner_id == user.partner_id)
    )
