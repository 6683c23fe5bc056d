"""The supervisors' logs of what was decided: every decision, and every appeal that was
closed (upheld, overturned or withdrawn), filtered, with their CSV exports.

Partner staff see their partner's (the access policy's `visible_to`); the hub's, every
partner's. The lists show who decided and who reviewed: they are for those who may see
deciders (`access.may_see_deciders`), never for the reviewers of appeals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import django_filters
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Partner, User
from antifraud import access
from antifraud.date_filters import DateRangeFilterSet
from antifraud.models import Scheme
from reviews.models import Appeal, Decision, Policy
from reviews.selectors import open_case_of

CLOSED = (Appeal.Status.UPHELD, Appeal.Status.OVERTURNED, Appeal.Status.WITHDRAWN)


def _policy_choices() -> list[tuple[str, str]]:
    language = get_language() or "en"
    return [
        (policy.code, f"{policy.code} · {policy.localized('title', language)}")
        for policy in Policy.objects.filter(is_current=True).order_by("code")
    ]


def _partner_filter(field_name: str) -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        label=_("Partner"),
        field_name=field_name,
        to_field_name="slug",
        queryset=Partner.objects.none(),
        empty_label=_("any partner"),
    )


class _LogFilter(DateRangeFilterSet):
    """The partner filter is the hub's: a partner's staff see their own partner only."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["policy"].extra["choices"] = _policy_choices()
        if access.partner_of(user) is not None:
            del self.filters["partner"]
        else:
            self.filters["partner"].queryset = access.partners_in_scope(user)


# --- decisions --------------------------------------------------------------------------


def _overturned() -> Q:
    """Reversed by a later decision, or its appeal overturned (which records one)."""
    return Q(is_reversed=True) | Q(appeal__status=Appeal.Status.OVERTURNED)


class DecisionLogFilter(_LogFilter):
    date_field = "decided_at"

    moderator = django_filters.ModelChoiceFilter(
        label=_("Moderator"),
        field_name="decided_by",
        to_field_name="username",
        queryset=User.objects.none(),
        empty_label=_("anyone"),
    )
    action = django_filters.ChoiceFilter(label=_("Action"), choices=Decision.Action.choices)
    policy = django_filters.ChoiceFilter(label=_("Policy"), field_name="policy__code", choices=[])
    scheme = django_filters.ChoiceFilter(
        label=_("Scheme"), field_name="case__scheme", choices=Scheme.choices
    )
    partner = _partner_filter("subject__partner")
    automated = django_filters.BooleanFilter(
        label=_("Raised by automated detection"), field_name="automated_detection"
    )
    overturned = django_filters.BooleanFilter(label=_("Overturned"), method="filter_overturned")

    class Meta(DateRangeFilterSet.Meta):
        model = Decision

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        deciders = Decision.objects.visible_to(user).values("decided_by_id")
        self.filters["moderator"].queryset = User.objects.filter(pk__in=deciders).order_by(
            "username"
        )

    def filter_overturned(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(_overturned()) if value else queryset.exclude(_overturned())


def _decisions(user: User) -> QuerySet[Decision]:
    return Decision.objects.visible_to(user).annotate(
        is_reversed=Exists(Decision.objects.filter(reverses=OuterRef("pk")))
    )


def decision_log(*, user: User) -> QuerySet[Decision]:
    """The decisions the user may see, newest first, with what the log shows."""
    return (
        _decisions(user)
        .annotate(
            appeal_status=F("appeal__status"), subject_open_case_id=open_case_of(user, "subject_id")
        )
        .select_related("case", "subject__partner", "policy", "decided_by", "approved_by")
        .order_by("-decided_at", "-pk")
    )


def decision_export_rows(*, user: User) -> QuerySet[Decision]:
    """The same decisions, for an export read in keyset batches of plain values."""
    return _decisions(user)


DECISION_HEADER = (
    "decision_id",
    "decided_at",
    "partner",
    "case_id",
    "subject_id",
    "subject_external_id",
    "subject_kind",
    "subject_title",
    "action",
    "policy",
    "policy_version",
    "scheme",
    "decided_by",
    "approved_by",
    "automated_detection",
    "automated_decision",
    "reverses_decision",
    "appeal_status",
    "overturned",
    "statement_of_reasons",
)
DECISION_FIELDS = (
    "pk",
    "decided_at",
    "subject__partner__slug",
    "case_id",
    "subject_id",
    "subject__external_id",
    "subject__kind",
    "subject__title",
    "action",
    "policy__code",
    "policy__version",
    "case__scheme",
    "decided_by__username",
    "approved_by__username",
    "automated_detection",
    "automated_decision",
    "reverses_id",
    "appeal__status",
    "is_reversed",
    "statement_of_reasons",
)


def decision_export_row(row: tuple[Any, ...]) -> Sequence[Any]:
    *head, appeal_status, is_reversed, statement = row
    overturned = bool(is_reversed) or appeal_status == Appeal.Status.OVERTURNED
    return (*head, appeal_status, overturned, statement)


# --- appeals ----------------------------------------------------------------------------


class AppealLogFilter(_LogFilter):
    date_field = "closed_at"

    reviewer = django_filters.ModelChoiceFilter(
        label=_("Reviewer"),
        field_name="reviewer",
        to_field_name="username",
        queryset=User.objects.none(),
        empty_label=_("anyone"),
    )
    outcome = django_filters.ChoiceFilter(
        label=_("Outcome"),
        field_name="status",
        choices=[(s.value, s.label) for s in CLOSED],
    )
    policy = django_filters.ChoiceFilter(
        label=_("Policy"), field_name="decision__policy__code", choices=[]
    )
    partner = _partner_filter("decision__subject__partner")

    class Meta(DateRangeFilterSet.Meta):
        model = Appeal

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        reviewers = Appeal.objects.visible_to(user).values("reviewer_id")
        self.filters["reviewer"].queryset = User.objects.filter(pk__in=reviewers).order_by(
            "username"
        )


def _closed_appeals(user: User) -> QuerySet[Appeal]:
    return (
        Appeal.objects.visible_to(user)
        .filter(status__in=CLOSED)
        .annotate(closed_at=Coalesce("resolved_at", "withdrawn_at"))
    )


def appeal_log(*, user: User) -> QuerySet[Appeal]:
    """The closed appeals the user may see, the last closed first."""
    return (
        _closed_appeals(user)
        .annotate(subject_open_case_id=open_case_of(user, "decision__subject_id"))
        .select_related(
            "decision__subject__partner",
            "decision__policy",
            "decision__decided_by",
            "reviewer",
        )
        .order_by(F("closed_at").desc(nulls_last=True), "-pk")
    )


def appeal_export_rows(*, user: User) -> QuerySet[Appeal]:
    return _closed_appeals(user)


APPEAL_HEADER = (
    "appeal_id",
    "closed_at",
    "partner",
    "outcome",
    "filed_at",
    "deadline",
    "reviewer",
    "decision_id",
    "case_id",
    "subject_id",
    "action",
    "policy",
    "decided_by",
    "reversal_decision",
)
APPEAL_FIELDS = (
    "pk",
    "closed_at",
    "decision__subject__partner__slug",
    "status",
    "filed_at",
    "deadline",
    "reviewer__username",
    "decision_id",
    "decision__case_id",
    "decision__subject_id",
    "decision__action",
    "decision__policy__code",
    "decision__decided_by__username",
    "reversal_id",
)
