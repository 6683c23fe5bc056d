"""Listing texts in one canonical form, so that a rule written once matches a text however it
is spelled.

Scammers know the partners' moderators search for "предоплата" and write it so a search
misses it: with Latin look-alike letters ("пpeдоплата" with Latin p and e), spaced out
("п р е д о п л а т а"), broken by dots or dashes ("пред.оплата", "п-р-е-д"), in Latin
transliteration ("predoplata"), in full-width or styled letters, with invisible characters
between the letters. The canonical form undoes all of it:

- NFKC and case folding; a character that shows nothing (a zero-width space, a soft
  hyphen) is a separator;
- separators inside a word are removed: a run of four or more single letters is one word
  ("п р е д", "п. р. е. д."), and pieces joined by a dot, dash, underscore, star or slash
  without a space are one word ("пред.оплата"; not across a dot followed by a capital,
  which ends a sentence);
- each word is put in one script: in a mostly Cyrillic word, Latin and Greek look-alikes
  become the Cyrillic letters they imitate; a Latin word is transliterated (GOST 7.79 as
  `cyrtranslit` reads it), so "predoplata" is "предоплата" — its Latin spelling is kept
  beside it (`Token.latin`) so that English phrases match too; look-alikes come from the
  Unicode confusables data (`confusable_homoglyphs`), not from a table of our own. A word
  made only of letters that look alike in both scripts and written mostly in Latin ones
  ("KAPTA") cannot be told from a Latin word and is read as one;
- a single digit between letters that looks like a letter is that letter ("пред0плата");
- ё is е.

`canonical` and `words` give the form; `tokens` gives the words with where they stand in the
original text (a rule quotes the text as written); `Matcher` finds phrases among tokens:
Russian and English words by their Snowball stems, Kazakh words (no Snowball stemmer) by
prefix ("төлем" matches "төлемді", "төлеміңіз").

Nothing here raises on any text, and the form is idempotent:
canonical(canonical(t)) == canonical(t).
"""

from __future__ import annotations

import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import cyrtranslit  # type: ignore[import-untyped]
import regex
import snowballstemmer  # type: ignore[import-untyped]
from confusable_homoglyphs import categories, confusables  # type: ignore[import-untyped]

RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
KAZAKH = "әғқңөұүһі"  # beside the Russian letters
_ALPHABET = RUSSIAN + KAZAKH + (RUSSIAN + KAZAKH).upper()

# Characters that show nothing or reorder what follows (zero-width spaces and joiners, bidi
# controls, soft hyphens, variation selectors): put between letters, they split a word for a
# search and not for the eye. They are read as a separator that joins.
_INVISIBLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}]")
_CLUSTER = regex.compile(r"\X")
_CYRILLIC = regex.compile(r"\p{Script=Cyrillic}")
_ASCII_LETTERS = regex.compile(r"[a-z]+")
_LONE_DIGIT = regex.compile(r"(?<=\p{L})\d(?=\p{L})")

# Joining pieces of a word: these, with no space, inside a word are an evasion (or a compound
# such as "б/у", "кто-то", which is harmless to join).
_HIDDEN = "\u200b"
_JOINERS = frozenset(".-_*·•'’`~|/\\+^=#‐‑‒–—" + _HIDDEN)
# A run of this many single letters is one spaced-out word. Fewer are ordinary text:
# "и в г. Алматы" has three.
SPACED_OUT = 4
_SENTENCE_ENDS = frozenset(".!?;…\n\r\u2028\u2029")
_CLAUSE_ENDS = frozenset(",()[]{}")

_MAX_ROUNDS = 4


def _look_alikes() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """From the Unicode confusables data: the Latin and Greek letters that look like a letter
    of the Russian or Kazakh alphabet (a Russian letter first where there is a choice), the
    Cyrillic letters that look like an ASCII Latin letter, and the digits that look like a
    letter of those alphabets (directly or through a Latin letter)."""
    rank = {letter: n for n, letter in enumerate(_ALPHABET)}
    to_cyrillic: dict[str, str] = {}
    to_latin: dict[str, str] = {}
    digit_candidates: dict[str, list[str]] = {}
    for char, entries in confusables.confusables_data.items():
        if len(char) != 1:
            continue
        glyphs = [entry["c"] for entry in entries if len(entry["c"]) == 1]
        cyrillic = sorted((g for g in glyphs if g in rank), key=rank.__getitem__)
        if char.isalpha() and categories.alias(char) in ("LATIN", "GREEK") and cyrillic:
            to_cyrillic[char] = cyrillic[0]
        if char in rank:
            latin = sorted(g for g in glyphs if g.isascii() and g.isalpha())
            if latin:
                to_latin[char] = latin[0]
        if char.isdigit():
            digit_candidates[char] = cyrillic + [g for g in glyphs if g.isalpha()]
    digits: dict[str, str] = {}
    for digit, glyphs in digit_candidates.items():
        for glyph in glyphs:
            letter = glyph if glyph in rank else to_cyrillic.get(glyph)
            if letter is not None:
                digits[digit] = letter.lower()
                break
    return to_cyrillic, to_latin, digits


TO_CYRILLIC, TO_LATIN, DIGIT_LOOK_ALIKES = _look_alikes()


# --- one word ----------------------------------------------------------------------------


def _fold(text: str) -> str:
    """NFKC and case folding, repeated until stable: folding can produce a character NFKC
    changes again, and the other way round."""
    for _ in range(_MAX_ROUNDS):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
        if folded == text:
            break
        text = folded
    return text


@lru_cache(maxsize=4096)
def _transliterate(latin: str) -> str:
    """ASCII letters in Cyrillic. Letter pairs the transliteration does not know ("sz") it
    leaves as they are: those go letter by letter."""
    cyrillic = cyrtranslit.to_cyrillic(latin, "ru")
    return "".join(
        cyrtranslit.to_cyrillic(ch, "ru") if ch.isascii() and ch.isalpha() else ch
        for ch in cyrillic
    )


def _reads_latin(word: str) -> bool:
    """A word mostly in ASCII Latin letters whose Cyrillic letters all look like Latin ones
    ("dеposit" with a Cyrillic е) is a Latin word."""
    latin = sum(1 for ch in word if ch.isascii() and ch.isalpha())
    cyrillic = _CYRILLIC.findall(word)
    return latin > len(cyrillic) and all(ch in TO_LATIN for ch in cyrillic)


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM"


def _to_cyrillic(word: str) -> str:
    """Look-alikes in Cyrillic letters: every one in a word that has Cyrillic letters (a
    Latin or Greek letter there is an evasion), else only ASCII letters (the "x" the
    transliteration leaves)."""
    if _CYRILLIC.search(word):
        return "".join(TO_CYRILLIC.get(ch, ch) for ch in word)
    return "".join(TO_CYRILLIC.get(ch, ch) if ch.isascii() else ch for ch in word)


def _canonical_once(word: str) -> tuple[str, str]:
    latin = ""
    if _reads_latin(word):
        word = "".join(TO_LATIN.get(ch, ch) for ch in word)
        latin = _fold(word)
    else:
        # Before folding: Latin "T" looks like Cyrillic "Т", Latin "t" like nothing.
        word = _to_cyrillic(word)
    word = _fold(word)
    word = _ASCII_LETTERS.sub(lambda m: _transliterate(m.group()), word)
    word = _fold(_to_cyrillic(word)).replace("ё", "е")
    word = _LONE_DIGIT.sub(lambda m: DIGIT_LOOK_ALIKES.get(m.group(), m.group()), word)
    kept = [ch for ch in word if _is_word_char(ch) and not _INVISIBLE.match(ch)]
    # A word starts with a letter or a digit: a mark there would join the space before it.
    while kept and unicodedata.category(kept[0])[0] == "M":
        kept.pop(0)
    return "".join(kept), "".join(ch for ch in latin if _is_word_char(ch))


@lru_cache(maxsize=65536)
def canonical_word(word: str) -> tuple[str, str]:
    """One word (NFKC, case kept) in canonical form, and its Latin spelling when it was
    written in Latin letters ("" otherwise)."""
    latin_seen = ""
    for _ in range(_MAX_ROUNDS):
        again, latin = _canonical_once(word)
        latin_seen = latin_seen or latin
        if again == word:
            break
        word = again
    return word, latin_seen


# --- a text ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    """A word of a text in canonical form, and where it stands in the original text."""

    word: str
    latin: str  # the word in Latin letters when it was written so, casefolded; else ""
    start: int
    end: int
    sentence: int
    clause: int


@dataclass
class _Piece:
    text: str  # NFKC, case kept
    start: int
    end: int
    gap: str  # the characters between this piece and the one before


def _pieces(text: str) -> list[_Piece]:
    """The runs of letters, digits and marks of the text, each with the gap before it."""
    pieces: list[_Piece] = []
    gap: list[str] = []
    current: _Piece | None = None
    for cluster in _CLUSTER.finditer(text):
        for ch in unicodedata.normalize("NFKC", cluster.group()):
            kind = unicodedata.category(ch)[0]
            if _INVISIBLE.match(ch):
                # Between letters it joins them, like a dash ("пред\u200bоплата").
                ch, kind = _HIDDEN, "Z"
            if kind in "LN" or (kind == "M" and current is not None):
                if current is None:
                    current = _Piece(ch, cluster.start(), cluster.end(), "".join(gap))
                    gap = []
                else:
                    current.text += ch
                    current.end = cluster.end()
            else:
                if current is not None:
                    pieces.append(current)
                    current = None
                gap.append(ch)
    if current is not None:
        pieces.append(current)
    return pieces


def _single_letter(text: str) -> bool:
    return len(text) == 1 and text.isalpha()


def _join_spaced_out(pieces: list[_Piece]) -> list[_Piece]:
    """ "п р е д", "п. р. е. д." → one piece."""
    joined: list[_Piece] = []
    run: list[_Piece] = []
    for piece in [*pieces, None]:
        if piece is not None and _single_letter(piece.text):
            run.append(piece)
            continue
        if len(run) >= SPACED_OUT:
            joined.append(
                _Piece("".join(p.text for p in run), run[0].start, run[-1].end, run[0].gap)
            )
        else:
            joined.extend(run)
        run = []
        if piece is not None:
            joined.append(piece)
    return joined


def _joins(gap: str, following: str) -> bool:
    if not gap or not all(ch in _JOINERS for ch in gap):
        return False
    # "цена.Звоните": a dot before a capital ends a sentence.
    return not ("." in gap and following[:1].isupper())


def _join_broken(pieces: list[_Piece]) -> list[_Piece]:
    """ "пред.оплата", "пред-оплата" → one piece."""
    joined: list[_Piece] = []
    for piece in pieces:
        if joined and _joins(piece.gap, piece.text):
            last = joined[-1]
            joined[-1] = _Piece(last.text + piece.text, last.start, piece.end, last.gap)
        else:
            joined.append(piece)
    return joined


def _join_spaced_out_tokens(found: list[Token]) -> list[Token]:
    """Single letters that only became single in canonical form ("sh" is "ш")."""
    joined: list[Token] = []
    run: list[Token] = []
    for token in [*found, None]:
        if token is not None and _single_letter(token.word):
            run.append(token)
            continue
        if len(run) >= SPACED_OUT:
            word, _ = canonical_word("".join(t.word for t in run))
            latin = "".join(t.latin for t in run) if all(t.latin for t in run) else ""
            first = run[0]
            joined.append(
                Token(word, latin, first.start, run[-1].end, first.sentence, first.clause)
            )
        else:
            joined.extend(run)
        run = []
        if token is not None:
            joined.append(token)
    return joined


def tokens(text: str) -> list[Token]:
    """The words of a text in canonical form, with their place in `text`, sentence and
    clause (a comma or bracket starts a clause; . ! ? ; … and line breaks a sentence)."""
    if not isinstance(text, str) or not text:
        return []
    found: list[Token] = []
    sentence = clause = 0
    for piece in _join_broken(_join_spaced_out(_pieces(text))):
        if found:
            if any(ch in _SENTENCE_ENDS for ch in piece.gap):
                sentence += 1
                clause += 1
            elif any(ch in _CLAUSE_ENDS for ch in piece.gap):
                clause += 1
        word, latin = canonical_word(piece.text)
        if word:
            found.append(Token(word, latin, piece.start, piece.end, sentence, clause))
    return _join_spaced_out_tokens(found)


def words(text: str) -> list[str]:
    """The words of a text in canonical form."""
    return [token.word for token in tokens(text)]


def canonical(text: str) -> str:
    """The text in canonical form: its canonical words, one space between them."""
    return " ".join(words(text))


# --- stems and phrases -------------------------------------------------------------------

_stemmers = threading.local()  # Snowball stemmers keep state between calls


def _stemmer(language: str) -> snowballstemmer.stemmer:
    found = getattr(_stemmers, language, None)
    if found is None:
        found = snowballstemmer.stemmer({"ru": "russian", "en": "english"}[language])
        setattr(_stemmers, language, found)
    return found


@lru_cache(maxsize=65536)
def stem(word: str, language: str = "ru") -> str:
    """A canonical word's stem: Snowball for Russian ("ru") and English ("en", given the
    Latin spelling); Kazakh ("kk") has no Snowball stemmer, its words are matched by
    prefix and stand for themselves here."""
    if language in ("ru", "en") and word:
        return str(_stemmer(language).stemWord(word))
    return word


def stems(text: str, language: str = "ru") -> list[str]:
    if language == "en":
        return [stem(t.latin, "en") for t in tokens(text) if t.latin]
    return [stem(t.word, language) for t in tokens(text)]


# Kazakh words shorter than this are matched whole, not as prefixes.
KAZAKH_PREFIX_MIN = 4
# "~" in a phrase: up to this many other words of the same clause in between.
GAP = 3


@dataclass(frozen=True)
class Term:
    """One word of a phrase: a stem to equal, or a prefix to start with, in the canonical
    word (Russian, Kazakh) or the Latin spelling (English)."""

    value: str
    language: str
    prefix: bool

    def key(self) -> tuple[str, str]:
        return (self.language, self.value)

    def matches(self, token: Token) -> bool:
        form = token.latin if self.language == "en" else token.word
        if not form:
            return False
        if self.prefix:
            return form.startswith(self.value)
        return stem(form, self.language) == self.value


@dataclass(frozen=True)
class Phrase:
    """Words to find in this order, within one clause: `steps` are (how many other words
    may come before this one, the word). Written as text: "переведите ~ на карту";
    a trailing * makes a prefix ("предоплат*"), ~ allows up to three words in between."""

    text: str
    language: str
    steps: tuple[tuple[int, Term], ...]


def term(word: str, language: str) -> Term | None:
    prefix = word.endswith("*")
    word = word.rstrip("*")
    if language == "en":
        value = "".join(ch for ch in _fold(word) if _is_word_char(ch))
    else:
        value = canonical(word)
        prefix = prefix or (language == "kk" and len(value) >= KAZAKH_PREFIX_MIN)
    if not value or " " in value:
        return None
    return Term(value if prefix else stem(value, language), language, prefix)


def phrase(text: str, language: str) -> Phrase:
    if language not in ("ru", "kk", "en"):
        raise ValueError(f"no phrases in {language!r}")
    steps: list[tuple[int, Term]] = []
    skip = 0
    for part in text.split():
        if part == "~":
            skip = GAP
            continue
        found = term(part, language)
        if found is None:
            raise ValueError(f"{part!r} in {text!r} is not one word")
        steps.append((skip, found))
        skip = 0
    if not steps:
        raise ValueError(f"empty phrase {text!r}")
    return Phrase(text, language, tuple(steps))


@dataclass(frozen=True)
class Match:
    phrase: Phrase
    positions: tuple[int, ...]  # the token matching each step

    @property
    def first(self) -> int:
        return self.positions[0]

    @property
    def last(self) -> int:
        return self.positions[-1]


class Matcher:
    """Phrases indexed by their first word, so a text is read once whatever their number."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases = list(phrases)
        self._exact: dict[tuple[str, str], list[Phrase]] = defaultdict(list)
        self._prefixed: list[Phrase] = []
        for found in self.phrases:
            first = found.steps[0][1]
            if first.prefix:
                self._prefixed.append(found)
            else:
                self._exact[first.key()].append(found)

    def find(self, found: Sequence[Token]) -> Iterator[Match]:
        for i, token in enumerate(found):
            keys = [("ru", stem(token.word, "ru")), ("kk", token.word)]
            if token.latin:
                keys.append(("en", stem(token.latin, "en")))
            candidates = [p for key in keys for p in self._exact.get(key, ())]
            candidates += [p for p in self._prefixed if p.steps[0][1].matches(token)]
            for candidate in candidates:
                positions = _follow(candidate, found, i)
                if positions is not None:
                    yield Match(candidate, positions)


def _follow(found: Phrase, toks: Sequence[Token], start: int) -> tuple[int, ...] | None:
    positions = [start]
    clause = toks[start].clause
    for skip, step in found.steps[1:]:
        at = positions[-1]
        for j in range(at + 1, min(len(toks), at + 2 + skip)):
            if toks[j].clause != clause:
                return None
            if step.matches(toks[j]):
                positions.append(j)
                break
        else:
            return None
    return tuple(positions)
