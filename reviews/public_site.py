"""What the open pages share (the appeal page, the policy catalogue, the transparency report,
the scam-awareness page): the visitor's language and a cache of whole rendered pages.

A public page is read by anyone, often by many at once after a news story: each is rendered
once per language and per generation of the data behind it and then served from the cache,
so that its cost does not grow with visitors or with the number of subjects. A change to
what the pages show (a policy published, the monthly figures recomputed) starts a new
generation; old entries simply stop being asked for and expire.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, cast

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from accounts.languages import (
    LANGUAGE_CODES,
    LANGUAGES,
    language_from_header,
    language_or_default,
)

GENERATION_KEY = "public-pages:generation"
# How long a rendered page is kept at most (the generation usually turns over first).
PAGE_SECONDS = 3600
# How long browsers and proxies may keep a page.
BROWSER_SECONDS = 300


def visitor_language(request: HttpRequest, *, fallback: str | None = None) -> str:
    """The language the visitor asked for (`?lang=`), then the one they chose before (the
    cookie), then their browser's, then `fallback` (the language of the decision behind an
    appeal link), then Russian."""
    asked = request.GET.get("lang")
    if asked in LANGUAGE_CODES:
        return asked
    remembered = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if remembered in LANGUAGE_CODES:
        return remembered
    browser = language_from_header(request.headers.get("Accept-Language", ""))
    if browser is not None:
        return browser
    return language_or_default(fallback)


def language_remember(request: HttpRequest, response: HttpResponse, language: str) -> None:
    """A language asked for in the address is kept for the visitor's next pages; the answer
    says which language it is in and what it depended on."""
    if request.GET.get("lang") == language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=cast(Literal["Lax", "Strict"], settings.LANGUAGE_COOKIE_SAMESITE),
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
        )
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language", "Cookie"))


def generation() -> int:
    return int(cache.get(GENERATION_KEY) or 0)


def generation_bump() -> None:
    """After the current transaction commits, every public page renders afresh."""

    def bump() -> None:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.set(GENERATION_KEY, 1, timeout=None)

    transaction.on_commit(bump)


def public_page_cached(
    request: HttpRequest,
    *,
    name: str,
    parts: Iterable[object] = (),
    render_page: Callable[[str], HttpResponse],
    fallback_language: str | None = None,
) -> HttpResponse:
    """The page `name` for these `parts` (a month, a policy code) in the visitor's language,
    from the cache when it was rendered in this generation, else `render_page(language)`
    rendered under that language and kept. Only answers of 200 are kept."""
    language = visitor_language(request, fallback=fallback_language)
    key = ":".join(["public-page", name, language, str(generation()), *map(str, parts)])
    kept = cache.get(key)
    if kept is not None:
        content, content_type = kept
        response = HttpResponse(content, content_type=content_type)
    else:
        with translation.override(language):
            response = render_page(language)
        if response.status_code == 200 and not response.streaming:
            cache.set(key, (response.content, response["Content-Type"]), PAGE_SECONDS)
    language_remember(request, response, language)
    if response.status_code == 200:
        patch_cache_control(response, public=True, max_age=BROWSER_SECONDS)
    return response


def page_context(*, section: str, language: str, path: str, query: str = "") -> dict[str, object]:
    """What templates/public/base.html needs: which page of the three is open (`section`),
    the language, and the address the language links keep (`query` ends with "&" when it is
    not empty: "month=2026-11&")."""
    return {
        "section": section,
        "language": language,
        "languages": LANGUAGES,
        "path": path,
        "query": query,
    }
