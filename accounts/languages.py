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
