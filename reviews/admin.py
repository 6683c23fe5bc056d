from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from antifraud import access
from antifraud.admin import ReadOnlyAdminMixin, audit_trail_of, pretty_json
from antifraud.admin.base import REFUSAL, ServiceAdminMixin, staff_of
from antifraud.errors import DomainError
from antifraud.models import IndicatorKind
from reviews.models import (
    Appeal,
    AppealAttachment,
    Case,
    Decision,
    DecisionProposal,
    Policy,
    ReplyTemplate,
)
from reviews.services import catalogue


class PolicyDefaultsForm(forms.ModelForm):
    """The two things of a policy the hub sets here; the rest is the published text."""

    default_indicator_kinds = forms.MultipleChoiceField(
        label=_("indicator kinds listed by default"),
        choices=IndicatorKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    block_durations = forms.CharField(
        label=_("block durations (days, 0 = permanent)"),
        required=False,
        help_text=_("Comma-separated, the form's default first, e.g. “30, 7, 90, 0”."),
    )

    class Meta:
        model = Policy
        fields = ("default_indicator_kinds", "block_durations")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["block_durations"] = ", ".join(
                str(days) for days in self.instance.block_durations
            )

    def clean_block_durations(self) -> list[int]:
        raw = [part.strip() for part in (self.cleaned_data["block_durations"] or "").split(",")]
        try:
            durations = [int(part) for part in raw if part]
        except ValueError as exc:
            raise forms.ValidationError(_("A block length is a whole number of days.")) from exc
        problem = catalogue.block_durations_problem(durations)
        if problem:
            raise forms.ValidationError(problem)
        return durations


@admin.register(Policy)
class PolicyAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "version",
        "title_en",
        "scheme",
        "default_indicator_kinds",
        "block_durations",
        "is_current",
        "published_at",
    )
    list_filter = ("is_current", "scheme")
    search_fields = ("code", "title_en", "title_ru", "title_kk")
    form = PolicyDefaultsForm
    fieldsets = (
        (None, {"fields": ("code", "version", "scheme", "title_en", "is_current")}),
        (_("Defaults of a block"), {"fields": ("default_indicator_kinds", "block_durations")}),
    )
    readonly_fields = ("code", "version", "scheme", "title_en", "is_current")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_hub(request.user) and access.may(request.user, "reviews.change_policy")

    def save_through_service(
        self, request: HttpRequest, obj: Policy, form: Any, change: bool
    ) -> None:
        catalogue.policy_defaults_set(
            actor=staff_of(request),
            policy_id=obj.pk,
            indicator_kinds=form.cleaned_data["default_indicator_kinds"],
            block_durations=form.cleaned_data["block_durations"],
        )


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("outcome", "policy_code", "language", "text")
    list_filter = ("outcome", "language")
    search_fields = ("policy_code", "text")
    fields = ("outcome", "policy_code", "language", "text")

    def _may(self, request: HttpRequest, perm: str) -> bool:
        return access.is_hub(request.user) and access.may(request.user, f"reviews.{perm}")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "add_replytemplate")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, "change_replytemplate")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, "delete_replytemplate")

    def save_through_service(
        self, request: HttpRequest, obj: ReplyTemplate, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        saved = catalogue.reply_template_save(
            actor=staff_of(request),
            template_id=obj.pk if change else None,
            outcome=data["outcome"],
            policy_code=data["policy_code"],
            language=data["language"],
            text=data["text"],
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: ReplyTemplate) -> None:
        try:
            catalogue.reply_template_delete(actor=staff_of(request), template_id=obj.pk)
        except DomainError as error:
            setattr(request, REFUSAL, error.message)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for template in queryset:
            self.delete_model(request, template)


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
