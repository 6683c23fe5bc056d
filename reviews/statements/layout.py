"""One statement of reasons per decision, in the layout of the EU DSA Transparency Database.

The field names and their enumerated values are the DSA Transparency Database's (its API's
keys: `decision_visibility`, `decision_account`, `category`, `automated_decision`, …), so
that a supervisor, a regulator or a researcher reads our decisions with the tools made for
that database. The layout is the DSA's; the decisions are Kazakhstan's: `territorial_scope`
is `["KZ"]`, which the EU database itself would not take (it takes EU/EEA countries only).

What is exported: the restrictions — blocks of an account, removals of a listing and
warnings. A clearance restricts nothing, and a reversal lifts a restriction (its original
stays in the export, with the day it was reversed in our own column `reversed_on`): neither
is a statement of reasons in the DSA's sense, so neither is exported.

| our decision | DSA fields |
| --- | --- |
| block_account, permanent | decision_account TERMINATED |
| block_account, time-limited | decision_account SUSPENDED, end_date_account_restriction = its end |
| block_account of a listing's account | and decision_visibility CONTENT_REMOVED (the listing goes too) |
| remove_listing | decision_visibility CONTENT_REMOVED |
| warn | decision_visibility OTHER, decision_visibility_other says it was a warning |

Every statement is `STATEMENT_CATEGORY_SCAMS_AND_FRAUD` on the ground of our terms
(`DECISION_GROUND_INCOMPATIBLE_CONTENT`): the policy code and version, a link to that
version's public page, and its public text. The information source comes from the case's
signals: a user's complaint or a partner's report is a notice (`SOURCE_ARTICLE_16`), the
police's alone another notification, detection rules and list matches alone our own
initiative (`SOURCE_VOLUNTARY`). A person decides every case here, so `automated_decision`
is `AUTOMATED_DECISION_NOT_AUTOMATED` (an automated decision, were one ever recorded, would
be `AUTOMATED_DECISION_FULLY`).

Nothing personal leaves: never the subject's external id, title, text, URL, contacts or
photos, and the statement a moderator wrote (`decision_facts`) is redacted
(reviews.statements.redaction). The enumerated values and the few fixed texts are data in
the DSA database's language (English), not the reader's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from antifraud.models import Scheme, Subject
from reviews.models import Decision
from reviews.statements.redaction import own_values, redact

# The restrictions; clearances and reversals are not exported (see above).
EXPORTED = (
    Decision.Action.BLOCK_ACCOUNT,
    Decision.Action.REMOVE_LISTING,
    Decision.Action.WARN,
)

# The DSA database's limits on its free-text fields, in characters.
FACTS_MAX = 5000
EXPLANATION_MAX = 2000
SHORT_TEXT_MAX = 500

WARNING_TEXT = (
    "Warning to the user: the content stays visible, and the warning counts against the "
    "account in later decisions."
)
ACCOUNT_CONTENT_TEXT = "User account"

# The fraud schemes of our catalogue as the DSA's keywords of its scams-and-fraud category;
# a scheme it has no keyword for is KEYWORD_OTHER with the scheme's name.
SCHEME_KEYWORDS: dict[str, str] = {
    Scheme.FAKE_RENTAL: "KEYWORD_INAUTHENTIC_LISTINGS",
    Scheme.UNDERPRICED_VEHICLE: "KEYWORD_INAUTHENTIC_LISTINGS",
    Scheme.UNDERPRICED_PROPERTY: "KEYWORD_INAUTHENTIC_LISTINGS",
    Scheme.PREPAID_DELIVERY: "KEYWORD_INAUTHENTIC_LISTINGS",
    Scheme.FAKE_PHOTOS: "KEYWORD_INAUTHENTIC_LISTINGS",
    Scheme.FICTITIOUS_STORE: "KEYWORD_INAUTHENTIC_LISTINGS",
    Scheme.FAKE_CONTACTS: "KEYWORD_INAUTHENTIC_ACCOUNTS",
    Scheme.REPEAT_OFFENDER: "KEYWORD_INAUTHENTIC_ACCOUNTS",
}
SCHEME_OTHER_TEXT: dict[str, str] = {
    Scheme.FALSE_INVESTMENT: "False investment",
    Scheme.FALSE_CALL: "False call",
}

# The DSA Transparency Database's fields, in its order.
DSA_FIELDS = (
    "puid",
    "platform_name",
    "decision_visibility",
    "decision_visibility_other",
    "end_date_visibility_restriction",
    "decision_monetary",
    "decision_monetary_other",
    "end_date_monetary_restriction",
    "decision_provision",
    "end_date_service_restriction",
    "decision_account",
    "end_date_account_restriction",
    "account_type",
    "decision_ground",
    "decision_ground_reference_url",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "incompatible_content_illegal",
    "category",
    "category_addition",
    "category_specification",
    "category_specification_other",
    "content_type",
    "content_type_other",
    "content_language",
    "content_date",
    "territorial_scope",
    "application_date",
    "decision_facts",
    "source_type",
    "source_identity",
    "automated_detection",
    "automated_decision",
)
# Ours, after the DSA's: the decision, the policy it cited, our action, and the day a later
# decision reversed it (empty while it stands).
OWN_FIELDS = ("decision_id", "policy_code", "policy_version", "action", "reversed_on")
FIELDS = DSA_FIELDS + OWN_FIELDS


def _local_day(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment, timezone.get_default_timezone()).date().isoformat()


def decision_facts(decision: Decision) -> str:
    values, names = own_values(decision.subject)
    return _cut(redact(decision.statement_of_reasons, values=values, names=names), FACTS_MAX)


# --- one statement ----------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _restriction(decision: Decision) -> dict[str, Any]:
    listing = decision.subject.kind == Subject.Kind.LISTING
    fields: dict[str, Any] = {
        "decision_visibility": [],
        "decision_visibility_other": None,
        "decision_account": None,
        "end_date_account_restriction": None,
    }
    if decision.action == Decision.Action.BLOCK_ACCOUNT:
        limited = decision.ends_at is not None
        fields["decision_account"] = (
            "DECISION_ACCOUNT_SUSPENDED" if limited else "DECISION_ACCOUNT_TERMINATED"
        )
        fields["end_date_account_restriction"] = _local_day(decision.ends_at)
        if listing:
            # Blocking a listing's account takes the listing down with it.
            fields["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    elif decision.action == Decision.Action.REMOVE_LISTING:
        fields["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    else:
        fields["decision_visibility"] = ["DECISION_VISIBILITY_OTHER"]
        fields["decision_visibility_other"] = WARNING_TEXT
    return fields


def _content(subject: Subject) -> dict[str, Any]:
    if subject.kind == Subject.Kind.ACCOUNT:
        return {"content_type": ["CONTENT_TYPE_OTHER"], "content_type_other": ACCOUNT_CONTENT_TEXT}
    kinds = ["CONTENT_TYPE_PRODUCT", "CONTENT_TYPE_TEXT"]
    if subject.photos.all():
        kinds.append("CONTENT_TYPE_IMAGE")
    return {"content_type": sorted(kinds), "content_type_other": None}


def _source_type(decision: Decision) -> str:
    if getattr(decision, "noticed", False):
        return "SOURCE_ARTICLE_16"
    if getattr(decision, "police", False):
        return "SOURCE_TYPE_OTHER_NOTIFICATION"
    return "SOURCE_VOLUNTARY"


def _keywords(scheme: str) -> tuple[list[str], str | None]:
    if scheme in SCHEME_KEYWORDS:
        return [SCHEME_KEYWORDS[scheme]], None
    if scheme in SCHEME_OTHER_TEXT:
        return ["KEYWORD_OTHER"], SCHEME_OTHER_TEXT[scheme]
    return [], None


def statement_of(decision: Decision, *, policy_url: str) -> dict[str, Any]:
    """The statement of reasons of one decision, every field of FIELDS, lists as lists and
    empty fields as None. `decision` comes from `statement_decisions`."""
    subject, policy = decision.subject, decision.policy
    keywords, keyword_other = _keywords(policy.scheme)
    reversed_at: datetime | None = getattr(decision, "reversed_at", None)
    statement: dict[str, Any] = {
        "puid": f"antifraud-decision-{decision.pk}",
        "platform_name": subject.partner.name,
        **_restriction(decision),
        # Removals are for good: no end to the visibility restriction.
        "end_date_visibility_restriction": None,
        "decision_monetary": None,
        "decision_monetary_other": None,
        "end_date_monetary_restriction": None,
        "decision_provision": None,
        "end_date_service_restriction": None,
        # A partner does not tell us whether an account is a business's.
        "account_type": None,
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "decision_ground_reference_url": policy_url,
        "illegal_content_legal_ground": None,
        "illegal_content_explanation": None,
        "incompatible_content_ground": _cut(f"{policy.code} v{policy.version}", SHORT_TEXT_MAX),
        "incompatible_content_explanation": _cut(
            policy.localized("text", decision.language), EXPLANATION_MAX
        ),
        # Moderators judge against the policy, not the criminal code.
        "incompatible_content_illegal": None,
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "category_addition": [],
        "category_specification": keywords,
        "category_specification_other": keyword_other,
        **_content(subject),
        "content_language": (subject.language or "").upper()[:2] or None,
        "content_date": _local_day(subject.registered_at or subject.first_seen_at),
        "territorial_scope": ["KZ"],
        "application_date": _local_day(decision.decided_at),
        "decision_facts": decision_facts(decision),
        "source_type": _source_type(decision),
        # Who noticed is never said: a person's complaint stays theirs.
        "source_identity": None,
        "automated_detection": "Yes" if decision.automated_detection else "No",
        "automated_decision": (
            "AUTOMATED_DECISION_FULLY"
            if decision.automated_decision
            else "AUTOMATED_DECISION_NOT_AUTOMATED"
        ),
        "decision_id": decision.pk,
        "policy_code": policy.code,
        "policy_version": policy.version,
        "action": decision.action,
        "reversed_on": _local_day(reversed_at),
    }
    return {name: statement[name] for name in FIELDS}
