"""Admin of the fraud-intelligence records: subjects, signals, indicators, deliveries and the
audit trail. They change only through services, which lock, validate and audit; here they
are read, filtered and searched, by the hub's staff.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from antifraud.admin.base import ReadOnlyAdminMixin, pretty_json
from antifraud.models import (
    AuditEvent,
    Delivery,
    Indicator,
    Photo,
    Signal,
    Subject,
    SubjectIdentifier,
)


class IdentifierInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SubjectIdentifier
    fields = ("kind", "display", "value")
    extra = 0


class PhotoInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Photo
    fields = ("position", "pdq_hash", "sha256", "width", "height")
    extra = 0


class SignalInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Signal
    fields = ("created_at", "source", "scheme", "score", "explanation")
    extra = 0


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "partner",
        "kind",
        "external_id",
        "title",
        "status",
        "category",
        "city",
        "price",
        "first_seen_at",
    )
    list_filter = ("partner", "kind", "status", "category")
    list_select_related = ("partner",)
    search_fields = ("external_id", "title", "identifiers__value", "identifiers__display")
    raw_id_fields = ("account",)
    inlines = (IdentifierInline, PhotoInline, SignalInline)
    show_full_result_count = False


@admin.register(Signal)
class SignalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "subject", "source", "scheme", "score", "partner", "created_at")
    list_filter = ("source", "scheme", "partner")
    list_select_related = ("subject__partner", "partner")
    search_fields = ("explanation", "report_id", "subject__external_id")
    raw_id_fields = ("subject",)
    show_full_result_count = False


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "display",
        "list",
        "scheme",
        "origin",
        "listed_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = ("list", "kind", "origin", "scheme", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("value", "display", "origin_ref")
    date_hierarchy = "listed_at"
    show_full_result_count = False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "event_type",
        "partner",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type", "partner")
    list_select_related = ("partner",)
    search_fields = ("webhook_id",)
    readonly_fields = ("payload_pretty",)
    exclude = ("payload",)
    show_full_result_count = False

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj: Delivery) -> str:
        return pretty_json(obj.payload)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "partner", "actor_label", "action", "target_repr")
    list_filter = ("partner", "action")
    list_select_related = ("partner",)
    search_fields = ("actor_label", "action", "target_repr", "target_id")
    date_hierarchy = "created_at"
    readonly_fields = ("payload_pretty",)
    exclude = ("payload",)
    show_full_result_count = False

    @admin.display(description=_("details"))
    def payload_pretty(self, obj: AuditEvent) -> str:
        return pretty_json(obj.payload)
