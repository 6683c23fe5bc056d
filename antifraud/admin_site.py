"""The admin site: Django's, with its own password change going through the staff service,
so that it is checked against the password rules and audited like every other change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class AuditedPasswordChangeForm(PasswordChangeForm):
    def save(self, commit: bool = True) -> User:
        from antifraud.services.staff import staff_password_set

        return staff_password_set(
            actor=self.user, user_id=self.user.pk, password=self.cleaned_data["new_password1"]
        )


class AntifraudAdminSite(admin.AdminSite):
    site_header = _("Antifraud administration")
    site_title = _("Antifraud administration")
    index_title = _("The hub's records, staff and partners")

    # Like Django's own, it may answer with a redirect, not only a TemplateResponse.
    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponseBase:
        request.current_app = self.name
        view = PasswordChangeView.as_view(
            form_class=AuditedPasswordChangeForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )
        return view(request)
