"""Admin for partners and the fraud-intelligence records.

The records (subjects, signals, indicators, deliveries, the trail) change only through
services, which lock, validate and audit; here they are read, filtered and searched.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKey, Partner
from antifraud.models import (
    AuditEvent,
    Delivery,
    Indicator,
    Photo,
    Signal,
    Subject,
    SubjectIdentifier,
)
from antifraud.services.keys import api_key_create, api_key_revoke


class ReadOnlyAdminMixin:
    """Viewable by anyone with the view permission; changed only through services."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def pretty_json(value: object) -> str:
    return format_html(
        "<pre class='json'>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False)
    )


def audit_trail_of(obj: object) -> str:
    """The audit events about one object, oldest first, as a small table."""
    from django.contrib.contenttypes.models import ContentType

    events = AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk)
    ).order_by("pk")[:100]
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
        (
            (
                e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                e.actor_label,
                e.action,
                json.dumps(e.payload, ensure_ascii=False)[:300],
            )
            for e in events
        ),
    )
    if not rows:
        return "—"
    return format_html(
        "<table><thead><tr><th>time</th><th>actor</th><th>action</th><th>details</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        rows,
    )


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "is_active", "webhook_url", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    fields = (
        "name",
        "slug",
        "kind",
        "website",
        "categories",
        "webhook_url",
        "is_active",
        "created_at",
    )
    actions = ("create_api_key",)

    def has_create_api_key_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.add_apikey")

    @admin.action(description=_("Create an API key"), permissions=("create_api_key",))
    def create_api_key(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        # The key is shown once, in the message on the next page; only its hash is kept.
        name = f"created in the admin by {request.user.get_username()} on {timezone.localdate():%Y-%m-%d}"
        for partner in queryset.order_by("name"):
            api_key, key = api_key_create(actor=request.user, partner=partner, name=name[:100])
            self.message_user(
                request,
                format_html(
                    "API key {} for {}: <code>{}</code> — copy it now, it is not shown again.",
                    api_key.prefix,
                    partner.name,
                    key,
                ),
                messages.SUCCESS,
            )


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("prefix", "partner", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("partner", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("partner",)
    search_fields = ("prefix", "name")
    exclude = ("key_hash",)
    actions = ("revoke",)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_apikey")

    @admin.action(description=_("Revoke"), permissions=("revoke",))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        prefixes = list(queryset.filter(revoked_at__isnull=True).values_list("prefix", flat=True))
        for prefix in prefixes:
            api_key_revoke(actor=request.user, prefix=prefix)
        skipped = queryset.count() - len(prefixes)
        message = _("Revoked %(n)d key(s).") % {"n": len(prefixes)}
        if skipped:
            message += " " + _("%(n)d were already revoked.") % {"n": skipped}
        self.message_user(request, message, messages.SUCCESS if prefixes else messages.WARNING)


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
    list_display = ("created_at", "actor_label", "action", "target_repr")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "target_repr", "target_id")
    date_hierarchy = "created_at"
    readonly_fields = ("payload_pretty",)
    exclude = ("payload",)
    show_full_result_count = False

    @admin.display(description=_("details"))
    def payload_pretty(self, obj: AuditEvent) -> str:
        return pretty_json(obj.payload)
