"""One paging convention for the whole partner API.

Ask with `after` (a cursor this API gave out; nothing for the start) and `limit`. The answer
carries `next`, the cursor to pass as `after` for the following page — never null, so a
reader can keep it and resume at any time — and `has_more`, true while another page is
already waiting. Cursors are opaque to partners: URL-safe base64 of "<kind>:<number>", where
the kind says which list the cursor belongs to.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from antifraud.api.errors import InvalidCursor

CURSOR_MAX_LENGTH = 64
ROW_ID_MAX = 2**63 - 1


def cursor_encode(kind: str, number: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{number}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str, kinds: Collection[str]) -> tuple[str, int]:
    """The cursor's kind (one of `kinds`) and number, or InvalidCursor."""
    try:
        if len(cursor) > CURSOR_MAX_LENGTH:
            raise ValueError("too long")
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        kind, _, number = text.partition(":")
        if kind not in kinds or not (number.isascii() and number.isdigit()):
            raise ValueError(cursor)
        if int(number) > ROW_ID_MAX:
            raise ValueError(cursor)
        return kind, int(number)
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor() from exc


def limit_read(request: Request, *, default: int, maximum: int) -> int:
    """`limit` between 1 and `maximum`, or a 400."""
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise ValidationError({"limit": [f"A whole number from 1 to {maximum}."]}, code="invalid")
    return int(raw)


AFTER_PARAMETER = {
    "name": "after",
    "required": False,
    "in": "query",
    "description": "The `next` of the page before; from the start when omitted.",
    "schema": {"type": "string"},
}


def paged_schema(items: dict[str, Any], *, key: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [key, "next", "has_more"],
        "properties": {
            key: items,
            "next": {
                "type": "string",
                "description": "Pass as `after` for the following page. Never null: keep "
                "it to resume later.",
            },
            "has_more": {
                "type": "boolean",
                "description": "Whether another page is waiting now.",
            },
        },
    }


class NewestFirstPagination(BasePagination):
    """Rows newest first by id — a column that never changes, so pages never shift."""

    kind = "id1"
    page_size = 50
    max_page_size = 200
    items_key = "results"

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        if "cursor" in request.query_params:
            raise ValidationError(
                {"cursor": ["This API pages with `after`: pass the `next` of the page before."]},
                code="invalid",
            )
        limit = limit_read(request, default=self.page_size, maximum=self.max_page_size)
        after = request.query_params.get("after") or ""
        ordered = queryset.order_by("-pk")
        if after:
            _, below = cursor_decode(after, (self.kind,))
            ordered = ordered.filter(pk__lt=below)
        rows = list(ordered[: limit + 1])
        self.has_more = len(rows) > limit
        rows = rows[:limit]
        self.next = cursor_encode(self.kind, rows[-1].pk) if rows else after or self.start_cursor()
        return rows

    def start_cursor(self) -> str:
        return cursor_encode(self.kind, ROW_ID_MAX)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({self.items_key: data, "next": self.next, "has_more": self.has_more})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return paged_schema(schema, key=self.items_key)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            AFTER_PARAMETER,
            {
                "name": "limit",
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {self.max_page_size} "
                f"(default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
