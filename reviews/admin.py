from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from antifraud.admin import ReadOnlyAdminMixin, audit_trail_of, pretty_json
from reviews.models import Appeal, AppealAttachment, Case, Decision, DecisionProposal, Policy


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "version", "title_en", "scheme", "is_current", "published_at")
    list_filter = ("is_current", "scheme")
    search_fields = ("code", "title_en", "title_ru", "title_kk")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "partner",
        "subject_kind",
        "status",
        "scheme",
        "risk_score",
        "priority",
        "claimed_by",
        "opened_at",
        "deadline",
    )
    list_filter = ("status", "partner", "subject_kind", "scheme", "is_escalated")
    list_select_related = ("partner", "claimed_by")
    search_fields = ("subject__external_id", "subject__title")
    raw_id_fields = ("subject",)
    exclude = ("signals",)
    readonly_fields = ("audit_trail",)
    show_full_result_count = False

    @admin.display(description=_("audit trail"))
    def audit_trail(self, obj: Case) -> str:
        return audit_trail_of(obj)


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "action",
        "policy",
        "subject",
        "decided_by",
        "approved_by",
        "decided_at",
        "automated_detection",
        "reverses",
    )
    list_filter = (
        "subject__partner",
        ("decided_by", admin.RelatedOnlyFieldListFilter),
        "action",
        "policy__code",
        "automated_detection",
        "automated_decision",
    )
    list_select_related = ("policy", "subject__partner", "decided_by", "approved_by")
    # A moderator's decisions by their username or name.
    search_fields = (
        "subject__external_id",
        "statement_of_reasons",
        "decided_by__username",
        "decided_by__first_name",
        "decided_by__last_name",
    )
    date_hierarchy = "decided_at"
    readonly_fields = ("evidence_pretty", "audit_trail", "listed")
    exclude = ("evidence", "listed_indicators", "revoked_indicators")
    show_full_result_count = False

    @admin.display(description=_("evidence snapshot"))
    def evidence_pretty(self, obj: Decision) -> str:
        return pretty_json(obj.evidence)

    @admin.display(description=_("audit trail"))
    def audit_trail(self, obj: Decision) -> str:
        return audit_trail_of(obj)

    @admin.display(description=_("indicators listed"))
    def listed(self, obj: Decision) -> str:
        return ", ".join(str(i) for i in obj.listed_indicators.all()) or "—"


class AttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AppealAttachment
    fields = ("original_name", "content_type", "size", "sha256", "uploaded_at")
    extra = 0


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "decision", "status", "filed_at", "deadline", "reviewer", "resolved_at")
    list_filter = ("status",)
    list_select_related = ("decision", "reviewer")
    search_fields = ("statement", "contact_email")
    inlines = (AttachmentInline,)


@admin.register(DecisionProposal)
class DecisionProposalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "case",
        "action",
        "policy",
        "proposed_by",
        "proposed_at",
        "status",
        "reviewed_by",
    )
    list_filter = ("status", "action")
    list_select_related = ("case", "policy", "proposed_by", "reviewed_by")
    exclude = ("evidence",)
