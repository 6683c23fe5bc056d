"""Every user-facing string is in the Russian and Kazakh catalogues, translated, and the
compiled catalogues say what the sources say. A string added without its translations, or
a catalogue not extracted again after a change, fails here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ru", "kk")
# What makemessages reads: the project's code and templates (not tests, benchmarks, .venv).
SOURCES = ("accounts", "antifraud", "reviews", "templates", "manage.py")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


def key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, polib.POFile]:
    """The catalogues as makemessages would leave them now, extracted in a copy of the
    sources so that the checkout's own files are not touched."""
    copy = tmp_path_factory.mktemp("extract")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    shutil.copytree(ROOT / "locale", copy / "locale")
    done = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--no-location"]
        + [arg for language in LANGUAGES for arg in ("-l", language)],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return {
        language: polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
        for language in LANGUAGES
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_holds_every_string_of_the_sources(extracted, language):
    have = {key(e) for e in catalogue(language) if not e.obsolete}
    found = {key(e) for e in extracted[language] if not e.obsolete}
    missing = sorted(found - have)
    stale = sorted(have - found)
    assert not missing, f"{language}: not in the catalogue (run makemessages): {missing[:10]}"
    assert not stale, f"{language}: no longer in the sources (run makemessages): {stale[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(language):
    po = catalogue(language)
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"{language}: untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{language}: fuzzy (check and unmark): {fuzzy[:10]}"
    # A translation that is the English copied over is not a translation (names, codes
    # and numbers aside: a string with no letters of any script is allowed to stay as is).
    copied = [
        e.msgid
        for e in po.translated_entries()
        if e.msgstr == e.msgid and any(ch.isalpha() for ch in e.msgid) and len(e.msgid) > 12
    ]
    assert not copied, f"{language}: left in English: {copied[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    po = catalogue(language)
    mo = polib.mofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo"))
    compiled = {key(e): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo}
    for entry in po.translated_entries():
        got = compiled.get(key(entry))
        expected = (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        assert got == expected, f"{language}: {entry.msgid!r} not compiled (compilemessages)"
