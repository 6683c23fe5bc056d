"""Pages of the core: service health for load balancers and monitoring, and the
supervisors' view of webhook deliveries."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.http import StaffRequest
from antifraud import access
from antifraud.access import public_page, staff_page
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
