"""Reading the audit trail: the events an actor may see, their filters, and their export.

A partner's staff read their partner's trail (each event is filed under one partner when
it is written: antifraud.audit.trail_partner_ids); the hub's, every event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import Partner, User
from antifraud import access
from antifraud.date_filters import DateRangeFilterSet
from antifraud.models import AuditEvent

TEXT_MAX = 150

# The kinds of objects the trail is about, offered as a filter: "app_label.model".
OBJECT_TYPES = (
    "reviews.case",
    "reviews.decision",
    "reviews.decisionproposal",
    "reviews.appeal",
    "antifraud.subject",
    "antifraud.signal",
    "antifraud.indicator",
    "antifraud.delivery",
    "antifraud.lookupalert",
    "antifraud.detectionrule",
    "antifraud.auditchaincheck",
    "accounts.partner",
    "accounts.user",
    "accounts.apikey",
)


def _object_type_choices() -> list[tuple[str, str]]:
    from django.apps import apps

    choices = []
    for label in OBJECT_TYPES:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        choices.append((label, str(capfirst(model._meta.verbose_name))))
    return choices


class AuditEventFilter(DateRangeFilterSet):
    date_field = "created_at"

    actor = django_filters.CharFilter(
        label=_("Actor"),
        field_name="actor_label",
        lookup_expr="iexact",
        max_length=TEXT_MAX,
        help_text=_('A username, "system" or "partner:<slug>"'),
    )
    action = django_filters.CharFilter(
        label=_("Action"),
        field_name="action",
        lookup_expr="startswith",
        max_length=64,
        help_text=_('Whole, or its start: "decision." for every decision event'),
    )
    object_type = django_filters.ChoiceFilter(
        label=_("Object type"),
        choices=[],  # filled in when asked: the apps are loaded by then
        method="filter_object_type",
    )
    object_id = django_filters.CharFilter(
        label=_("Object id"), field_name="target_id", max_length=64
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("Partner"),
        field_name="partner",
        to_field_name="slug",
        queryset=Partner.objects.none(),
        empty_label=_("any partner"),
    )

    class Meta(DateRangeFilterSet.Meta):
        model = AuditEvent

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["object_type"].extra["choices"] = _object_type_choices()
        if access.partner_of(user) is not None:
            del self.filters["partner"]  # a partner's staff read their own trail only
        else:
            self.filters["partner"].queryset = access.partners_in_scope(user)

    def filter_object_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        app_label, _dot, model = value.partition(".")
        return queryset.filter(target_type__app_label=app_label, target_type__model=model)


def audit_events_for(*, user: User) -> QuerySet[AuditEvent]:
    """The events the user may read, newest first, with what the list shows."""
    return (
        AuditEvent.objects.visible_to(user)
        .select_related("target_type", "partner")
        .order_by("-created_at", "-pk")
    )


# --- the export -------------------------------------------------------------------------

EXPORT_HEADER = (
    "event_id",
    "seq",
    "time",
    "partner",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "details",
    "hash",
)
EXPORT_FIELDS = (
    "pk",
    "seq",
    "created_at",
    "partner__slug",
    "actor_label",
    "action",
    "target_type__app_label",
    "target_type__model",
    "target_id",
    "target_repr",
    "payload",
    "hash",
)


def export_row(row: tuple[Any, ...]) -> Sequence[Any]:
    pk, seq, at, partner, actor, action, app_label, model, target_id, target, payload, digest = row
    object_type = f"{app_label}.{model}" if app_label else ""
    details = json.dumps(payload, ensure_ascii=False, sort_keys=True) if payload else ""
    return (pk, seq, at, partner, actor, action, object_type, target_id, target, details, digest)
