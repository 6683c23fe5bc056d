"""The project's three languages, defined once in settings.LANGUAGES (English, Russian,
Kazakh, each named in itself): the interface, statements of reasons, appeals and e-mails
use exactly these."""

from __future__ import annotations

from django.conf import settings

LANGUAGES: list[tuple[str, str]] = list(settings.LANGUAGES)
LANGUAGE_CODES: tuple[str, ...] = tuple(code for code, _name in LANGUAGES)
# Most users of the partners write Russian: the language when nothing else is known.
DEFAULT_LANGUAGE = "ru"


def language_or_default(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    return code if code in LANGUAGE_CODES else default


def language_from_header(accept_language: str) -> str | None:
    """The first of our languages in a browser's Accept-Language, by preference (`kk-KZ`
    counts as `kk`); None when it names none of them, so the caller's own fallback stands
    rather than the site's default."""
    from django.utils.translation.trans_real import parse_accept_lang_header

    for tag, _quality in parse_accept_lang_header(accept_language[:255]):
        if tag == "*":
            break
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGE_CODES:
            return primary
    return None
