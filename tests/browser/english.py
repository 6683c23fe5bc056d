"""What of the interface's English is left on a page read in Russian or Kazakh.

The interface's English is every source string of the catalogue. A page in another language
that still shows one of them (or a long piece of one, between its placeholders) shows a
string that was not translated, or not marked for translation; a page that shows common
English words shows text that never went through the catalogue at all.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}")
# Words that no Russian or Kazakh page of ours needs: the demo's data (names, codes, partner
# domains) has none of them as a word of its own.
ENGLISH_WORDS = re.compile(
    r"\b(the|and|with|this|case|cases|queue|decide|claim|block|blocked|next|signals?|"
    r"history|account|listing|appeal|policy|reason|note|skip|snooze|linked|subject)\b",
    re.IGNORECASE,
)
# Pieces shorter than this are left out: they are words the demo's data may hold too.
SHORTEST = 12


@cache
def interface_english(language: str = "kk") -> tuple[str, ...]:
    """The catalogue's English, as the pieces a page would show (placeholders cut out)."""
    po = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    pieces: set[str] = set()
    for entry in po:
        if entry.obsolete:
            continue
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            for piece in PLACEHOLDER.split(source):
                piece = " ".join(piece.split()).strip(" .,:;·—()«»\"'")
                if len(piece) >= SHORTEST and " " in piece:
                    pieces.add(piece)
    return tuple(sorted(pieces, key=len, reverse=True))


def english_on(text: str, language: str) -> list[str]:
    """The interface's English found in a page's visible text."""
    flat = " ".join(text.split())
    found = [piece for piece in interface_english(language) if piece in flat]
    found += sorted({m.group(0) for m in ENGLISH_WORDS.finditer(flat)})
    return found
