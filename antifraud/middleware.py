"""A page asked for while the database is away gets a plain 503 that says so, with the time to
come back, never a 500. The partner API answers its own JSON 503 (antifraud.api.errors)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from antifraud.errors import UNAVAILABLE_RETRY_AFTER

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("%s answered 503: the database is unreachable: %s", request.path, exception)
        htmx = request.headers.get("HX-Request") == "true"
        response = HttpResponse(
            render_to_string("unavailable.html", {"fragment": htmx}, request=None),
            status=503,
        )
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
        if htmx:
            # Shown above the page; what was on it stays as it was.
            response["HX-Retarget"] = "main.page"
            response["HX-Reswap"] = "afterbegin"
        return response
