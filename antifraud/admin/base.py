"""What every admin of the project shares: the access policy's scoping, read-only records,
refusals shown as messages, secrets shown once, and the small renderings of JSON and trails."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.models import User
from antifraud import access
from antifraud.errors import DomainError
from antifraud.models import AuditEvent

# Set on the request by save_model when a service refused the change, so that the answer
# is the form again with the refusal, not "changed successfully".
REFUSAL = "_antifraud_admin_refusal"


class ScopedAdminMixin:
    """Lists and object pages show only what the access policy lets the user see."""

    # Addresses typed without a scheme are read as https (Django 6's default already).
    formfield_overrides: Mapping[type[models.Field[Any, Any]], Mapping[str, Any]] = {
        models.URLField: {"assume_scheme": "https"}
    }

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return access.visible(request.user, queryset)


class ReadOnlyAdminMixin(ScopedAdminMixin):
    """Viewable by anyone with the view permission; changed only through services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceAdminMixin(ScopedAdminMixin):
    """An admin whose saves go through a service (`save_through_service`). A refusal by the
    service comes back as an error message on the same form, and nothing is saved."""

    def save_through_service(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:  # pragma: no cover - each admin says how
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            self.save_through_service(request, obj, form, change)
        except DomainError as error:
            setattr(request, REFUSAL, error.message)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Related rows (roles) are the service's to save."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return (
            None
            if getattr(request, REFUSAL, None)
            else super().log_addition(  # type: ignore[misc]
                request, obj, message
            )
        )

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return (
            None
            if getattr(request, REFUSAL, None)
            else super().log_change(  # type: ignore[misc]
                request, obj, message
            )
        )

    def _refused(self, request: HttpRequest) -> HttpResponse | None:
        refusal = getattr(request, REFUSAL, None)
        if refusal is None:
            return None
        self.message_user(request, refusal, messages.ERROR)  # type: ignore[attr-defined]
        return HttpResponseRedirect(request.get_full_path())

    def response_add(self, request: HttpRequest, obj: Any, *args: Any) -> HttpResponse:
        refused = self._refused(request)
        return refused or super().response_add(request, obj, *args)  # type: ignore[misc]

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        refused = self._refused(request)
        return refused or super().response_change(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Staff and partners are deactivated, never deleted: the trail points at them.
        return False


def staff_of(request: HttpRequest) -> User:
    """The admin's user: the admin site lets only signed-in staff in."""
    user = request.user
    assert isinstance(user, User)
    return user


def secrets_shown_once(
    request: HttpRequest, admin_site: admin.AdminSite, title: str, rows: list[tuple[str, str]]
) -> HttpResponse:
    """A page that shows newly made secrets (what, the secret) this once. The page is the
    only copy: nothing is stored in messages or sessions, and it is never cached."""
    response = render(
        request,
        "admin/antifraud/secrets_shown_once.html",
        {**admin_site.each_context(request), "title": title, "rows": rows},
    )
    response["Cache-Control"] = "no-store"
    return response


def pretty_json(value: object) -> SafeString:
    return format_html(
        "<pre class='json'>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False)
    )


def audit_trail_of(obj: models.Model) -> SafeString | str:
    """The audit events about one object, oldest first, as a small table."""
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
