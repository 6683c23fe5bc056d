"""Staff read every page in the language saved on their account (`User.language`), chosen
with the switcher in the top bar. Django's LocaleMiddleware, earlier in the chain, has
already chosen from the cookie and the browser's Accept-Language: that choice stands for
people who are not signed in (the sign-in page, the public pages)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from accounts.languages import LANGUAGE_CODES


class StaffLanguageMiddleware:
    """Placed after AuthenticationMiddleware. LocaleMiddleware's response half then writes
    the Content-Language of the language activated here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        try:
            language = user.language if user is not None and user.is_authenticated else None
        except (OperationalError, InterfaceError):
            # The database is away: the page answers its 503 (antifraud.middleware), in the
            # language the browser asked for.
            language = None
        if language in LANGUAGE_CODES:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
