"""Every error of the partner API is JSON: `{"code": <machine code>, "message": <for people>}`,
plus `errors` (field path → [{code, message}]) for invalid input.

One exception handler (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]) shapes them all: DRF's
exceptions, Django's 404 and 403, and the domain's refusals (antifraud.errors.DomainError),
which carry their own status and code.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from rest_framework import status
from rest_framework.exceptions import APIException, ErrorDetail, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from antifraud.errors import UNAVAILABLE_RETRY_AFTER, DomainError

logger = logging.getLogger(__name__)

NON_FIELD = "non_field_errors"


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"
    default_detail = "The request body is too large."


class TooManyItems(APIException):
    """More reports or look-up values than one call may carry; the code names which."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_many_items"
    default_detail = "Too many items in one request."


class InvalidCursor(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_cursor"
    default_detail = "The cursor is not one this API gave out."


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


def flatten_errors(detail: Any, path: str = "") -> dict[str, list[dict[str, str]]]:
    """DRF's nested error detail as `{"contacts.phones.1": [{"code", "message"}]}`.

    Errors that belong to an object rather than one of its fields (DRF's
    `non_field_errors`) are filed under the object's own path, or `non_field_errors` at
    the top.
    """
    flat: dict[str, list[dict[str, str]]] = {}
    # An explicit stack rather than recursion: the depth of the detail follows the input.
    stack: list[tuple[str, Any]] = [(path, detail)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, dict):
            for key, value in reversed(list(node.items())):
                key = str(key)
                child = here if key == NON_FIELD else (f"{here}.{key}" if here else key)
                stack.append((child, value))
        elif isinstance(node, list) and not node:
            continue
        elif isinstance(node, list) and not all(isinstance(n, (str, ErrorDetail)) for n in node):
            # A list of per-item errors (ListField children may be dicts or lists).
            for index, value in reversed(list(enumerate(node))):
                if value:
                    stack.append((f"{here}.{index}" if here else str(index), value))
        else:
            items = node if isinstance(node, list) else [node]
            entries = flat.setdefault(here or NON_FIELD, [])
            for item in items:
                entries.append(
                    {"code": getattr(item, "code", None) or "invalid", "message": str(item)}
                )
    return dict(sorted(flat.items()))


def _first_message(errors: dict[str, list[dict[str, str]]]) -> str:
    for path, entries in errors.items():
        if entries:
            where = "" if path == NON_FIELD else f"{path}: "
            return f"Invalid input. {where}{entries[0]['message']}"
    return "Invalid input."


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        # A refusal that passes with time (a daily quota) says when, as throttles do.
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is None:
            return Response(error_body(exc.code, exc.message), status=exc.status)
        return Response(
            error_body(exc.code, exc.message, retry_after=int(retry_after)),
            status=exc.status,
            headers={"Retry-After": str(int(retry_after))},
        )
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is down or restarting: say so in JSON, and when to come back. What a
        # failed call tried to write was rolled back, so sending it again is safe (reports
        # are idempotent on their report_id).
        logger.warning("partner API answered 503: the database is unreachable: %s", exc)
        return Response(
            error_body(
                "unavailable",
                "The service cannot reach its database just now; send the request again.",
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    # DRF's handler turns Http404/PermissionDenied into API exceptions and sets the
    # WWW-Authenticate and Retry-After headers; only the body is reshaped here.
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a bug, left to Django's 500 handling and logging
    if isinstance(exc, ValidationError):
        errors = flatten_errors(exc.detail)
        response.data = error_body("invalid", _first_message(errors), errors=errors)
        return response
    detail = response.data.get("detail") if isinstance(response.data, dict) else response.data
    code = getattr(detail, "code", None) or _default_code(response.status_code)
    body = error_body(code, str(detail) if detail is not None else "Error.")
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and "Retry-After" in response:
        body["retry_after"] = int(response["Retry-After"])
    response.data = body
    return response


def _default_code(status_code: int) -> str:
    return {
        400: "invalid",
        401: "not_authenticated",
        403: "permission_denied",
        404: "not_found",
        405: "method_not_allowed",
        406: "not_acceptable",
        413: "body_too_large",
        415: "unsupported_media_type",
        429: "throttled",
    }.get(status_code, "error")
