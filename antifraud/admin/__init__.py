"""The Django admin: the hub's window on the records, and where it administers partners,
staff and keys through the services."""

from antifraud.admin import administration, records  # noqa: F401 - registers the admins
from antifraud.admin.base import (
    ReadOnlyAdminMixin,
    ScopedAdminMixin,
    ServiceAdminMixin,
    audit_trail_of,
    pretty_json,
)

__all__ = [
    "ReadOnlyAdminMixin",
    "ScopedAdminMixin",
    "ServiceAdminMixin",
    "audit_trail_of",
    "pretty_json",
]
