"""State changes of reviews: plain functions, one transaction each, audited."""

from reviews.services.cases import (
    CaseNotAvailable,
    NotClaimant,
    case_claim,
    case_claim_next,
    case_escalate,
    case_lease_renew,
    case_leases_sweep,
    case_release,
)
from reviews.services.decisions import (
    DecisionOutcome,
    DecisionRefused,
    DecisionRequest,
    IndicatorChoice,
    decision_proposal_approve,
    decision_proposal_reject,
    decision_record,
    statement_prefill,
)

__all__ = [
    "CaseNotAvailable",
    "DecisionOutcome",
    "DecisionRefused",
    "DecisionRequest",
    "IndicatorChoice",
    "NotClaimant",
    "case_claim",
    "case_claim_next",
    "case_escalate",
    "case_lease_renew",
    "case_leases_sweep",
    "case_release",
    "decision_proposal_approve",
    "decision_proposal_reject",
    "decision_record",
    "statement_prefill",
]
