"""Domain errors: a refused action, with a machine code for the API and a message for people.

Services raise them before changing anything (or inside the transaction they roll back), so
a refusal never leaves a half-written record.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404


class DomainError(Exception):
    code = "refused"
    status = 409  # what the API answers; pages show the message as a form error

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFound(DomainError, Http404):
    """Also Django's 404: raised from a page, it is the site's "not found" page."""

    code = "not_found"
    status = 404


class NotAllowed(DomainError, PermissionDenied):
    """Also Django's 403."""

    code = "not_allowed"
    status = 403


class InvalidInput(DomainError):
    code = "invalid"
    status = 400


def raise_for_page(error: DomainError) -> None:
    """On a page, a refusal of something not found or not allowed is the site's 404 or 403;
    the caller shows any other refusal as a message."""
    if isinstance(error, NotFound):
        raise Http404(error.message) from error
    if isinstance(error, NotAllowed):
        raise PermissionDenied(error.message) from error


# Seconds a client or a page should wait before asking again while the database is away.
UNAVAILABLE_RETRY_AFTER = 5
