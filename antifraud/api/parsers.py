"""JSON bodies, bounded and clean before any serializer sees them."""

from __future__ import annotations

import json
import re
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from antifraud.api.errors import BodyTooLarge

# Lone UTF-16 surrogates are valid JSON escapes ("\ud800") but not text: neither the
# database driver nor the JSON renderer can encode them.
_SURROGATE = re.compile("[\ud800-\udfff]")


class ApiJSONParser(BaseParser):
    """DRF's JSON parser, plus:

    - a body larger than settings.API_MAX_BODY_BYTES is refused (413 `body_too_large`)
      from its Content-Length, before it is read, and while reading when it has none;
    - every malformed body is a 400 `parse_error`, never a 500: bad encodings, nesting
      deep enough to exhaust the recursion limit, lone surrogates, NaN and Infinity.

    It does not subclass DRF's JSONParser on purpose: DRF reads the body of those through
    `request.body`, which refuses anything over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by
    default, meant for forms) with an HTML 400; this parser reads the stream itself, up to
    its own limit.
    """

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        parser_context = parser_context or {}
        limit = settings.API_MAX_BODY_BYTES
        request = parser_context.get("request")
        if request is not None and _content_length(request.META) > limit:
            raise BodyTooLarge(f"The request body exceeds {limit} bytes.")
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise BodyTooLarge(f"The request body exceeds {limit} bytes.")
        # Django sets the request's encoding from a charset it knows, and ignores others.
        encoding = parser_context.get("encoding") or settings.DEFAULT_CHARSET
        try:
            data = json.loads(raw.decode(encoding), parse_constant=json_strict_constant)
        except (LookupError, UnicodeError) as exc:
            raise ParseError(f"The body is not text in {encoding}.") from exc
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        _refuse_surrogates(data)
        return data


def json_strict_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _content_length(meta: dict[str, Any]) -> int:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0


def _refuse_surrogates(data: Any) -> None:
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                raise ParseError("JSON parse error - a string holds a lone UTF-16 surrogate.")
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
