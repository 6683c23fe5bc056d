"""The redaction of a statement of reasons: nothing personal leaves.

The statement a moderator wrote (the DSA field `decision_facts`) is free text, and free
text names people. Before it is exported, phones, e-mails, card numbers, IBANs, URLs,
handles, long hexadecimal ids and the subject's own identifiers, ids, title and name become
"[…]". The text is first read as a person sees it (NFKC, without invisible characters), so
a number written to slip past a pattern is still found; the patterns are over-inclusive on
purpose, since a stranger's phone must never stay. The rest of a statement never carries
the subject's external id, title, text, URL, contacts or photos at all
(reviews.statements.layout).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import phonenumbers
import regex

from antifraud.models import DIGESTED_KINDS, Subject
from antifraud.normalize import visible_form

PLACEHOLDER = "[…]"

_TEXT_END = r"[^\s<>«»\"'()\[\]]"
_PATTERNS = [
    # URLs with a scheme or www., and bare host names followed by a path (t.me/…, site.kz/…)
    regex.compile(rf"(?i)(?:\b[a-z][a-z0-9+.\-]*://|\bwww\.){_TEXT_END}+"),
    regex.compile(
        rf"(?<![\p{{L}}\p{{N}}@.\-])(?:[\p{{L}}\p{{N}}\-]+\.)+\p{{L}}{{2,}}/{_TEXT_END}*"
    ),
    # e-mail addresses, and @handles (Telegram, Instagram)
    regex.compile(r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+"),
    regex.compile(r"(?<![\p{L}\p{N}._%+\-])@[\p{L}\p{N}_]{3,}"),
    # IBANs, check digits or not (KZ86 125K ZT50 0410 0100)
    regex.compile(r"(?i)(?<![a-z0-9])[a-z]{2}\d{2}(?:[ ]?[a-z0-9]){10,30}(?![a-z0-9])"),
    # Ten digits or more in one run, spaces, dashes and brackets between them: phones,
    # card numbers, IIN/BIN, account numbers. Dots and colons end a run, so dates stay.
    regex.compile(r"(?<!\p{N})\+?\p{N}(?:[ \-()]{0,2}\p{N}){9,}(?!\p{N})"),
    # A city number without its code: 255-12-34
    regex.compile(r"(?<!\p{N})\p{N}{3}[ \-]\p{N}{2}[ \-]\p{N}{2}(?!\p{N})"),
    # Long hexadecimal ids: photo hashes, device ids
    regex.compile(r"(?i)(?<![0-9a-f])[0-9a-f]{16,}(?![0-9a-f])"),
]
# What a name or a value may be followed by and still be it: a Russian or Kazakh ending.
_ENDING = r"\p{L}{0,3}"
_SHORTEST = 3


def _phone_spans(text: str) -> Iterator[tuple[int, int]]:
    """Phone numbers as libphonenumber finds them in text, Kazakh ones without their +7."""
    for match in phonenumbers.PhoneNumberMatcher(text, "KZ", leniency=phonenumbers.Leniency.VALID):
        yield match.start, match.end


def _literal_pattern(
    values: Iterable[str], *, names: Iterable[str] = ()
) -> regex.Pattern[str] | None:
    """One pattern for the subject's own values (whole, as written) and the words of its
    name (with a case ending: "Ерлан", "Ерлана")."""
    parts = {
        regex.escape(value)
        for value in (visible_form(v).strip() for v in values)
        if len(value) >= _SHORTEST
    }
    for name in names:
        for word in regex.findall(r"\p{L}+", visible_form(name)):
            if len(word) >= _SHORTEST:
                parts.add(regex.escape(word) + _ENDING)
    if not parts:
        return None
    alternatives = "|".join(sorted(parts, key=len, reverse=True))
    return regex.compile(rf"(?i)(?<![\p{{L}}\p{{N}}])(?:{alternatives})(?![\p{{L}}\p{{N}}])")


def redact(text: str, *, values: Iterable[str] = (), names: Iterable[str] = ()) -> str:
    """`text` with every phone, e-mail, card number, IBAN, URL, handle and long hexadecimal
    id replaced by "[…]", and so each of `values` (the subject's own ids, identifiers and
    title) and each word of `names`. Over-inclusive on purpose: a price of ten digits goes
    too, a stranger's phone never stays.

    The text is first read as a person sees it (NFKC, without invisible characters), so a
    number in full-width digits or with zero-width spaces between them is still found."""
    text = visible_form(text)
    spans: list[tuple[int, int]] = []
    own = _literal_pattern(values, names=names)
    for pattern in [*_PATTERNS, *([own] if own is not None else [])]:
        spans.extend(match.span() for match in pattern.finditer(text))
    spans.extend(_phone_spans(text))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            # Overlapping or touching spans become one "[…]".
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    position = 0
    for start, end in merged:
        out.extend([text[position:start], PLACEHOLDER])
        position = end
    out.append(text[position:])
    return "".join(out)


def own_values(subject: Subject) -> tuple[list[str], list[str]]:
    """What the subject's statement must not name: (values written whole, names)."""
    values: list[str] = [subject.external_id]
    names: list[str] = []
    owners = [subject] if subject.account is None else [subject, subject.account]
    for holder in owners:
        if holder is not subject:
            values.append(holder.external_id)
        # An account's title is the person's name; a listing's is its headline.
        if holder.kind == Subject.Kind.ACCOUNT:
            names.append(holder.title)
        values.append(holder.title)
        for identifier in holder.identifiers.all():
            if identifier.kind not in DIGESTED_KINDS:
                values.append(identifier.value)
            values.append(identifier.display)
    for photo in subject.photos.all():
        values.extend([photo.pdq_hash, photo.sha256])
    return values, names
