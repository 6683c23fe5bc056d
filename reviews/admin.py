from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.validators import MaxLengthValidator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from antifraud import access
from antifraud.admin import ReadOnlyAdminMixin, audit_trail_of, pretty_json
from antifraud.admin.base import REFUSAL, ServiceAdminMixin, staff_of
from antifraud.errors import DomainError
from antifraud.models import IndicatorKind
from reviews.limits import TEXT_MAX
from reviews.models import (
    Appeal,
    AppealAttachment,
    Case,
    Decision,
    DecisionProposal,
    Policy,
    ReplyTemplate,
)
from reviews.services import catalogue, policies


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


class PolicyDraftForm(PolicyDefaultsForm):
    """Everything the next version of a policy will say and do. Drafts may be unfinished
    (a text still missing): publishing is what asks for every text in every language."""

    allowed_actions = forms.MultipleChoiceField(
        label=_("allowed actions"),
        choices=Policy.Action.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    # Set from the address (?based_on=<pk>): the published version the draft was copied from.
    based_on = forms.ModelChoiceField(
        queryset=Policy.objects.filter(status=Policy.Status.PUBLISHED),
        required=False,
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Policy
        fields = (
            "code",
            "scheme",
            "allowed_actions",
            *policies.TEXT_FIELDS,
            "default_indicator_kinds",
            "block_durations",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in policies.TEXT_FIELDS:
            if name in self.fields:
                self.fields[name].required = False
                if not name.startswith("title_"):
                    self.fields[name].validators.append(MaxLengthValidator(TEXT_MAX))

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        problem = policies.code_problem(code)
        if problem:
            raise forms.ValidationError(problem)
        if Policy.objects.filter(code=code, status=Policy.Status.DRAFT).exists():
            raise forms.ValidationError(
                _("A new version of this policy is already being drafted: change that draft.")
            )
        return code

    def validate_unique(self) -> None:
        """The service checks versions and drafts under its lock; the instance here is not
        the row it writes."""


POLICY_TEXTS = (
    (_("Titles"), ("title_en", "title_ru", "title_kk")),
    (_("Public texts"), ("text_en", "text_ru", "text_kk")),
    (_("Statement templates"), ("statement_en", "statement_ru", "statement_kk")),
)
POLICY_DEFAULTS = (
    _("Defaults of a block"),
    {"fields": ("default_indicator_kinds", "block_durations")},
)
POLICY_DRAFT_STATE = ("code", "version", "status", "drafted_by", "drafted_at")
POLICY_PUBLISHED_STATE = (
    "code",
    "version",
    "status",
    "is_current",
    "drafted_by",
    "published_by",
    "published_at",
    "superseded_at",
    "next_version",
)
POLICY_PUBLISHED_READONLY = (
    *POLICY_PUBLISHED_STATE,
    "scheme",
    "allowed_actions",
    *policies.TEXT_FIELDS,
)


@admin.register(Policy)
class PolicyAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Published versions: their texts read-only, their block defaults set here. Drafts: added
    by one of the hub's administrators (a copy of a published version, or a new code),
    changed by them alone, published by another with the action, discarded by deleting."""

    list_display = (
        "code",
        "version",
        "title_en",
        "scheme",
        "status",
        "is_current",
        "drafted_by",
        "published_by",
        "published_at",
        "default_indicator_kinds",
        "block_durations",
    )
    list_filter = ("status", "is_current", "scheme")
    list_select_related = ("drafted_by", "published_by")
    search_fields = ("code", "title_en", "title_ru", "title_kk")
    actions = ("publish_drafts",)

    def _may(self, request: HttpRequest, perm: str) -> bool:
        return access.is_hub(request.user) and access.may(request.user, f"reviews.{perm}")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "add_policy")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self._may(request, "change_policy"):
            return False
        # Another administrator reads a draft (and publishes it); only its drafter writes it.
        if obj is not None and obj.status == Policy.Status.DRAFT:
            return bool(obj.drafted_by_id == request.user.pk)
        return True

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting is discarding a draft: published versions are cited by decisions.
        return self._may(request, "delete_policy") and (
            obj is None or obj.status == Policy.Status.DRAFT
        )

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "publish_policy")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Discarding goes one draft at a time through its delete page, where a refusal is
        # shown; the bulk delete would report success either way.
        actions.pop("delete_selected", None)
        return actions

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        published = obj is not None and obj.status == Policy.Status.PUBLISHED
        kwargs["form"] = PolicyDefaultsForm if published else PolicyDraftForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        texts = [(title, {"fields": names}) for title, names in POLICY_TEXTS]
        if obj is None:
            head: tuple[str, ...] = ("code", "scheme", "allowed_actions", "based_on")
        elif obj.status == Policy.Status.DRAFT:
            head = (*POLICY_DRAFT_STATE, "scheme", "allowed_actions")
        else:
            head = (*POLICY_PUBLISHED_STATE, "scheme", "allowed_actions")
            return [(None, {"fields": head}), POLICY_DEFAULTS, *texts]
        return [(None, {"fields": head}), *texts, POLICY_DEFAULTS]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        if obj.status == Policy.Status.DRAFT:
            return POLICY_DRAFT_STATE
        return POLICY_PUBLISHED_READONLY

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """`?based_on=<pk>`: the new draft starts as a copy of that published version."""
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        raw = request.GET.get("based_on", "")
        base = (
            Policy.objects.filter(pk=int(raw), status=Policy.Status.PUBLISHED).first()
            if raw.isascii() and raw.isdigit()
            else None
        )
        if base is None:
            initial.pop("based_on", None)
            return initial
        initial.update({name: getattr(base, name) for name in policies.EDITABLE})
        initial["block_durations"] = ", ".join(str(days) for days in base.block_durations)
        initial.update(code=base.code, based_on=base.pk)
        return initial

    @admin.display(description=_("next version"))
    def next_version(self, obj: Policy) -> SafeString | str:
        if not obj.is_current:
            return "—"
        draft = Policy.objects.filter(code=obj.code, status=Policy.Status.DRAFT).first()
        if draft is not None:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:reviews_policy_change", args=[draft.pk]),
                gettext("Version %(version)d is being drafted.") % {"version": draft.version},
            )
        return format_html(
            '<a href="{}?based_on={}">{}</a>',
            reverse("admin:reviews_policy_add"),
            obj.pk,
            gettext("Draft a new version"),
        )

    def save_through_service(
        self, request: HttpRequest, obj: Policy, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if change and obj.status == Policy.Status.PUBLISHED:
            catalogue.policy_defaults_set(
                actor=staff_of(request),
                policy_id=obj.pk,
                indicator_kinds=data["default_indicator_kinds"],
                block_durations=data["block_durations"],
            )
            return
        fields: dict[str, Any] = {name: data[name] for name in policies.EDITABLE if name in data}
        if change:
            policies.policy_draft_update(actor=staff_of(request), policy_id=obj.pk, **fields)
            return
        based_on = data.get("based_on")
        draft = policies.policy_draft_create(
            actor=staff_of(request),
            code=data["code"],
            based_on_id=based_on.pk if based_on is not None else None,
            **fields,
        )
        obj.pk, obj.version, obj.status = draft.pk, draft.version, draft.status

    @admin.action(description=_("Publish the selected drafts"), permissions=["publish"])
    def publish_drafts(self, request: HttpRequest, queryset: QuerySet[Policy]) -> None:
        published = []
        for policy in queryset.order_by("code", "version"):
            try:
                policies.policy_publish(actor=staff_of(request), policy_id=policy.pk)
            except DomainError as error:
                self.message_user(
                    request,
                    gettext("%(policy)s was not published: %(reason)s")
                    % {"policy": policy, "reason": error.message},
                    messages.ERROR,
                )
            else:
                published.append(str(policy))
        if published:
            self.message_user(
                request,
                ngettext(
                    "Published %(count)d version: %(versions)s.",
                    "Published %(count)d versions: %(versions)s.",
                    len(published),
                )
                % {"count": len(published), "versions": ", ".join(published)},
                messages.SUCCESS,
            )

    def delete_model(self, request: HttpRequest, obj: Policy) -> None:
        try:
            policies.policy_draft_discard(actor=staff_of(request), policy_id=obj.pk)
        except DomainError as error:
            setattr(request, REFUSAL, error.message)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for policy in queryset:
            self.delete_model(request, policy)

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        refusal = getattr(request, REFUSAL, None)
        if refusal is None:
            return super().response_delete(request, obj_display, obj_id)
        self.message_user(request, refusal, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:reviews_policy_change", args=[obj_id]))


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
