"""Administration in the admin: partner records and their webhook secrets, API keys, staff
accounts and their roles. Every change goes through a service (antifraud.services.partners,
.staff, .keys), which locks, checks the access policy and audits old and new values; secrets
are shown once, on a page of their own.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKey, Partner, User
from accounts.roles import Role
from antifraud import access
from antifraud.admin.base import (
    ReadOnlyAdminMixin,
    ServiceAdminMixin,
    secrets_shown_once,
    staff_of,
)
from antifraud.errors import DomainError
from antifraud.services import partners as partner_services
from antifraud.services import staff as staff_services
from antifraud.services.keys import api_key_create, api_key_revoke

# --- partners ---------------------------------------------------------------------------


@admin.register(Partner)
class PartnerAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "is_active", "webhook_url", "webhook_secret_rotated_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fields = (
        "name",
        "slug",
        "kind",
        "website",
        "categories",
        "webhook_url",
        "is_active",
        "created_at",
        "webhook_secret_rotated_at",
        "previous_webhook_secret_until",
    )
    actions = ("rotate_webhook_secret", "retire_previous_webhook_secret", "create_api_key")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        shown = ("created_at", "webhook_secret_rotated_at", "previous_webhook_secret_until")
        return ("slug", *shown) if obj is not None else shown

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        return {} if obj is not None else dict(self.prepopulated_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.may_manage_partners(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.may_manage_partners(request.user)

    def save_through_service(
        self, request: HttpRequest, obj: Partner, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            partner_services.partner_update(
                actor=staff_of(request),
                partner_id=obj.pk,
                changes={name: data[name] for name in form.changed_data if name in data},
            )
            return
        created = partner_services.partner_create(
            actor=staff_of(request),
            **{name: data[name] for name in ("slug", *partner_services.EDITABLE)},
        )
        obj.pk = created.pk

    def has_rotate_webhook_secret_permission(self, request: HttpRequest) -> bool:
        return access.may_manage_partners(request.user)

    @admin.action(
        description=_("Rotate the webhook secret (the old one signs for 24 more hours)"),
        permissions=("rotate_webhook_secret",),
    )
    def rotate_webhook_secret(
        self, request: HttpRequest, queryset: QuerySet[Partner]
    ) -> HttpResponse:
        rows = []
        for partner in queryset.order_by("name"):
            _, secret = partner_services.partner_webhook_secret_rotate(
                actor=staff_of(request),
                partner_id=partner.pk,
            )
            rows.append((partner.name, secret))
        return secrets_shown_once(request, self.admin_site, gettext("New webhook secrets"), rows)

    def has_retire_previous_webhook_secret_permission(self, request: HttpRequest) -> bool:
        return access.may_manage_partners(request.user)

    @admin.action(
        description=_("End the overlap: sign with the new webhook secret only"),
        permissions=("retire_previous_webhook_secret",),
    )
    def retire_previous_webhook_secret(
        self, request: HttpRequest, queryset: QuerySet[Partner]
    ) -> None:
        for partner in queryset.order_by("name"):
            try:
                partner_services.partner_webhook_secret_retire_previous(
                    actor=staff_of(request),
                    partner_id=partner.pk,
                )
            except DomainError as error:
                self.message_user(request, f"{partner.name}: {error.message}", messages.WARNING)
            else:
                self.message_user(
                    request,
                    gettext("%(partner)s: webhooks are signed with the new secret only.")
                    % {"partner": partner.name},
                    messages.SUCCESS,
                )

    def has_create_api_key_permission(self, request: HttpRequest) -> bool:
        return access.may(request.user, "accounts.add_apikey")

    @admin.action(description=_("Create an API key"), permissions=("create_api_key",))
    def create_api_key(self, request: HttpRequest, queryset: QuerySet[Partner]) -> HttpResponse:
        name = f"created in the admin by {request.user.get_username()} on {timezone.localdate():%Y-%m-%d}"
        rows = []
        for partner in queryset.order_by("name"):
            api_key, key = api_key_create(
                actor=staff_of(request),
                partner=partner,
                name=name[:100],
            )
            rows.append((f"{partner.name} · {api_key.prefix}", key))
        return secrets_shown_once(request, self.admin_site, gettext("New API keys"), rows)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("prefix", "partner", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("partner", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("partner",)
    search_fields = ("prefix", "name")
    exclude = ("key_hash",)
    actions = ("revoke",)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return access.may(request.user, "accounts.change_apikey")

    @admin.action(description=_("Revoke"), permissions=("revoke",))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        prefixes = list(queryset.filter(revoked_at__isnull=True).values_list("prefix", flat=True))
        for prefix in prefixes:
            api_key_revoke(actor=staff_of(request), prefix=prefix)
        skipped = queryset.count() - len(prefixes)
        revoked = len(prefixes)
        message = ngettext("Revoked %(n)d key.", "Revoked %(n)d keys.", revoked) % {"n": revoked}
        if skipped:
            message += " " + ngettext(
                "%(n)d was already revoked.", "%(n)d were already revoked.", skipped
            ) % {"n": skipped}
        self.message_user(request, message, messages.SUCCESS if prefixes else messages.WARNING)


# --- staff ------------------------------------------------------------------------------

ROLE_FIELD_LABEL = _("roles")


def _role_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=ROLE_FIELD_LABEL,
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class StaffChangeForm(forms.ModelForm):
    roles = _role_field()

    class Meta:
        model = User
        fields = staff_services.EDITABLE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = sorted(
                self.instance.groups.values_list("name", flat=True)
            )


class StaffCreationForm(AdminUserCreationForm):
    roles = _role_field()

    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "partner", "language")


@admin.register(User)
class StaffAdmin(ServiceAdminMixin, DjangoUserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    list_display = ("username", "partner", "roles", "language", "is_active", "last_login")
    list_filter = ("partner", "groups", "is_active", "is_staff")
    list_select_related = ("partner",)
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "email")}),
        (_("Organisation"), {"fields": ("partner", "language", "roles")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "partner",
                    "roles",
                    "language",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("username", "last_login", "date_joined")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(self.readonly_fields) if obj is not None else ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        actor = request.user
        # What the service would refuse is not offered: one's own roles, activity and
        # partner; the admin site and moving partners, to anyone but the hub.
        locked = set()
        if obj is not None and obj.pk == actor.pk:
            locked |= set(staff_services.NOT_ON_ONESELF)
        if not access.is_hub(actor):
            locked |= set(staff_services.HUB_ONLY)
        for name in locked & set(form.base_fields):
            form.base_fields[name].disabled = True
        return form

    @admin.display(description=ROLE_FIELD_LABEL)
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    def save_through_service(
        self, request: HttpRequest, obj: User, form: Any, change: bool
    ) -> None:
        actor = staff_of(request)
        data = form.cleaned_data
        if change:
            staff_services.staff_update(
                actor=actor,
                user_id=obj.pk,
                changes={name: data[name] for name in form.changed_data if name in data},
            )
            return
        usable = data.get("usable_password", "true") != "false"
        created = staff_services.staff_create(
            actor=actor,
            username=data["username"],
            partner=data.get("partner"),
            roles=data.get("roles") or (),
            language=data.get("language") or "ru",
            password=data.get("password1") if usable else None,
        )
        obj.pk = created.pk

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """A valid new password goes through the staff service (checked, audited); Django's
        view shows the form, its errors and its refusals."""
        if request.method == "POST":
            user = self.get_object(request, unquote(id))
            if user is not None and self.has_change_permission(request, user):
                form = self.change_password_form(user, request.POST)
                if form.is_valid():
                    usable = form.cleaned_data.get("set_usable_password", True)
                    staff_services.staff_password_set(
                        actor=staff_of(request),
                        user_id=user.pk,
                        password=form.cleaned_data["password1"] if usable else None,
                    )
                    self.message_user(request, gettext("Password changed."), messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:accounts_user_change", args=[user.pk])
                    )
        return super().user_change_password(request, id, form_url)


# --- roles ------------------------------------------------------------------------------

admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ReadOnlyAdminMixin, DjangoGroupAdmin):
    """Roles are defined in code (accounts.roles) and kept in step by migrations: here they
    are only read."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return Group.objects.prefetch_related("permissions")
