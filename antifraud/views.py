"""Pages of the core: service health for load balancers and monitoring, and the
supervisors' view of webhook deliveries."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import STAFF_ROLES, role_required
from antifraud.celery import app as celery_app
from antifraud.delivery import DeliveryNotDead, deliveries_overview, delivery_retry
from antifraud.errors import DomainError, raise_for_page

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


@role_required(*STAFF_ROLES)
@require_GET
def deliveries_page(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("antifraud.view_delivery"):
        raise PermissionDenied
    return render(
        request,
        "antifraud/deliveries.html",
        {
            "overview": deliveries_overview(user=request.user),
            "may_retry": request.user.has_perm("antifraud.retry_delivery"),
        },
    )


@role_required(*STAFF_ROLES)
@require_POST
def delivery_retry_view(request: HttpRequest, delivery_id: int) -> HttpResponse:
    if not request.user.has_perm("antifraud.retry_delivery"):
        raise PermissionDenied
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
