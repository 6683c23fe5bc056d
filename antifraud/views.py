"""Pages of the core: service health for load balancers and monitoring, and the
supervisors' view of webhook deliveries."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import LanguageForm
from accounts.http import StaffRequest
from antifraud import access
from antifraud.access import public_page, staff_page
from antifraud.celery import app as celery_app
from antifraud.delivery import DeliveryNotDead, deliveries_overview, delivery_retry
from antifraud.errors import DomainError, raise_for_page
from antifraud.services.staff import staff_language_set

logger = logging.getLogger(__name__)


def _database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("healthz: database unreachable", exc_info=True)
        return False
    return True


def _broker_reachable() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=3)
    except Exception:
        logger.warning("healthz: broker unreachable", exc_info=True)
        return False
    return True


@public_page
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with every check "ok", or 503 naming what is down. Public: it says nothing
    beyond reachability."""
    checks = {
        "database": "ok" if _database_reachable() else "unreachable",
        "broker": "ok" if _broker_reachable() else "unreachable",
    }
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


# --- webhook deliveries -----------------------------------------------------------------


@staff_page("antifraud.view_delivery")
@require_GET
def deliveries_page(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "antifraud/deliveries.html",
        {
            "overview": deliveries_overview(user=request.user),
            "may_retry": access.may(request.user, "antifraud.retry_delivery"),
        },
    )


@staff_page("antifraud.retry_delivery")
@require_POST
def delivery_retry_view(request: StaffRequest, delivery_id: int) -> HttpResponse:
    try:
        delivery = delivery_retry(actor=request.user, delivery_id=delivery_id)
    except DeliveryNotDead:
        messages.error(request, _("Only a dead delivery can be retried; this one is not dead."))
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Delivery %(webhook_id)s to %(partner)s is queued again.")
            % {"webhook_id": delivery.webhook_id, "partner": delivery.partner.name},
        )
    return redirect("deliveries")


# --- the language switcher --------------------------------------------------------------


def _back(request: StaffRequest, target: str | None) -> str:
    """Where the switcher came from, if that is a page of this site; else the queues."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@staff_page()
@require_POST
def language_set(request: StaffRequest) -> HttpResponse:
    """Save the language chosen in the top bar on the user's account: every staff page
    they open from now on, on any device, speaks it (accounts.middleware)."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the offered languages."))
        return redirect(_back(request, request.POST.get("next")))
    try:
        staff_language_set(actor=request.user, language=form.cleaned_data["language"])
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
    # The page it returns to is the message enough: it speaks the new language.
    return redirect(_back(request, form.cleaned_data["next"]))


# --- refusals ---------------------------------------------------------------------------


def _refusal(request: HttpRequest, template: str, status: int, reason: str = "") -> HttpResponse:
    """A refusal in the site's layout; for htmx, only its message, put above the page the
    request came from (what was on it stays as it was)."""
    if request.headers.get("HX-Request") == "true":
        response = render(request, f"{template}#refusal", {"reason": reason}, status=status)
        response["HX-Retarget"] = "main.page"
        response["HX-Reswap"] = "afterbegin"
        return response
    return render(request, template, {"reason": reason}, status=status)


def refused(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403. A refusal the domain explained (NotAllowed) shows its message."""
    if isinstance(exception, DomainError):
        reason = exception.message
    elif isinstance(exception, PermissionDenied):
        reason = str(exception)
    else:
        reason = ""
    return _refusal(request, "403.html", 403, reason)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404. Says nothing of what was asked for, so that nothing leaks."""
    return _refusal(request, "404.html", 404)
