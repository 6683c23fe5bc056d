"""The one form of an object id in a URL: digits, no sign, no leading zero, no other script's
digits, small enough for a bigint. `/cases/12/` resolves; `/cases/012/`, `/cases/+12/` and
`/cases/１２/` do not, so every object has exactly one address.

Registered as `<id:…>` when this module is imported (by the URLconfs that use it).
"""

from __future__ import annotations

from django.urls import register_converter


class CanonicalIdConverter:
    # At most 18 digits: every such number fits PostgreSQL's bigint (2**63 - 1 has 19).
    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


register_converter(CanonicalIdConverter, "id")
