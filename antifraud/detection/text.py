"""The text family: a listing that asks to be paid before the buyer has the goods or the
guest the keys — prepayment, an advance, a deposit to book, the delivery paid ahead, money
"to the card" — in Russian, Kazakh or English, however spelled (`canonical`), and the payment
handles written into the text (a card number, an IBAN, a Kaspi phone).

What counts, and how much:

- **Asking for payment ahead** ("предоплата", "задаток", "аванс", "оплата вперёд",
  "алдын ала төлем", "prepayment", "advance payment") and **telling to send money to a
  card or Kaspi** ("переведите на карту", "скиньте на каспи", "картаға аударыңыз", "send
  the money to my card"): `score`, and `score_per_extra` for each further phrase (three at
  most).
- **Booking, deposit and delivery payment** ("бронь", "забронировать", "брондау",
  "reservation"; "залог", "депозит", "кепілақы", "deposit"; "оплата доставки", "жеткізу
  ақысы", "delivery fee") are honest words as often as not, so alone they weigh
  `weak_score`. Booking counts only on rentals and uncategorised listings ("бронь",
  "бронированный" are armour on a car); a deposit not on cars and property for sale, where
  "в залоге" is a bank's pledge.
- **A payment handle** adds `handle_score` to either. A card number or an IBAN alone is
  `handle_only_score`: honest sellers do not print them. A Kaspi phone alone is not a hit —
  shops write "Kaspi" beside their number to say they take it.

What does not count: a phrase negated within its clause ("без предоплаты", "предоплата не
нужна", "никаких предоплат", "алдын ала төлемсіз", "алдын ала төлем жоқ", "no prepayment",
"prepayment not required"; "не возвращается" is not a negation); delivery said to be free
("доставка бесплатно"); and a booking, deposit or delivery payment in a sentence that puts
it after seeing the thing ("залог после просмотра", "оплата доставки при получении",
"көргеннен кейін", "on arrival") — that is how honest landlords and sellers write, so it is
no hit at all. Asking for payment ahead is a hit even beside such a sentence ("предоплата
50%, остальное при получении").

The scheme is a fake rental on short-term rentals, else a prepaid delivery. No queries: the
texts are on the batch's listings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import regex
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from antifraud.detection.base import Batch, Explanation, Hit, Rule, Thresholds
from antifraud.detection.canonical import Match, Matcher, Phrase, Token, phrase, tokens
from antifraud.models import Category, IndicatorKind, Scheme, Subject
from antifraud.normalize import NormalizationError, normalize

ASKS = gettext_noop("The text asks for payment in advance: «%(words)s».")
ASKS_WITH_HANDLE = gettext_noop(
    "The text asks for payment in advance: «%(words)s», and gives where to pay: %(kind)s %(shown)s."
)
MENTIONS = gettext_noop("The text speaks of a deposit, booking or delivery payment: «%(words)s».")
MENTIONS_WITH_HANDLE = gettext_noop(
    "The text speaks of a deposit, booking or delivery payment: «%(words)s», and gives where "
    "to pay: %(kind)s %(shown)s."
)
HANDLE_ONLY = gettext_noop("The text gives where to pay: %(kind)s %(shown)s.")

STRONG, BOOKING, DEPOSIT, DELIVERY = "advance", "booking", "deposit", "delivery"
WEAK = (BOOKING, DEPOSIT, DELIVERY)

# Where booking is what it says; elsewhere "бронь", "броня", "бронированный" are armour.
BOOKING_CATEGORIES = frozenset({Category.SHORT_TERM_RENTAL, Category.LONG_TERM_RENTAL, ""})
# Where "в залоге" is a bank's pledge on the thing sold, not a deposit asked for.
PLEDGE_CATEGORIES = frozenset({Category.CARS, Category.APARTMENTS, Category.HOUSES})

QUOTES_SHOWN = 3
QUOTE_LENGTH = 60
EXTRAS_COUNTED = 3


def _phrases(kind: str, language: str, texts: Iterable[str]) -> list[tuple[str, Phrase]]:
    return [(kind, phrase(text, language)) for text in texts]


_TRANSFER_VERBS_RU = ("перевед*", "перевест*", "скинь*", "скинут*", "кинь*", "закинь*", "закинут*")
_TRANSFER_TARGETS_RU = ("на карт", "на каспи*", "на счет", "на голд", "на номер карт")
_TRANSFER_TARGETS_KK = ("картаға", "картага", "каспи", "шотқа", "шотка", "ақша", "акша")
_TRANSFER_VERBS_KK = ("аудар", "салыңыз", "салып", "жіберің")

PHRASES: list[tuple[str, Phrase]] = [
    *_phrases(
        STRONG,
        "ru",
        [
            "предоплат*",
            "предоплач*",
            "оплат* вперед",
            "оплат* заранее",
            "оплат* наперед",
            "оплач* вперед",
            "оплач* заранее",
            "заранее оплат*",
            "заранее оплач*",
            "аванс*",
            "задаток",
            "задатк*",
            *(
                f"{verb} ~ {target}"
                for verb in _TRANSFER_VERBS_RU
                for target in _TRANSFER_TARGETS_RU
            ),
            *(f"оплатит* ~ {target}" for target in _TRANSFER_TARGETS_RU),
            # "оплата доставки заранее", "оплатите первый месяц переводом", "после оплаты
            # доставки на каспи": paying ahead, said around other words.
            "оплат* ~ заранее",
            "оплат* ~ вперед",
            "оплатит* ~ перевод*",
            *(f"оплат* доставк* ~ {target}" for target in _TRANSFER_TARGETS_RU),
        ],
    ),
    *_phrases(
        STRONG,
        "kk",
        [
            *(
                f"{ahead} ~ {what}"
                for ahead in ("алдын ала", "алдынала")
                for what in ("төле", "ақы*", "ақша", "акша", "аудар")
            ),
            *(
                f"{target} ~ {verb}"
                for target in _TRANSFER_TARGETS_KK
                for verb in _TRANSFER_VERBS_KK
            ),
        ],
    ),
    *_phrases(
        STRONG,
        "en",
        [
            "prepay",
            "prepayment",
            "advance payment",
            "payment in advance",
            "pay ~ in advance",
            "paid ~ in advance",
            "upfront payment",
            "pay ~ upfront",
            "payment upfront",
            *(
                f"{verb} ~ to ~ {target}"
                for verb in ("send", "transfer", "wire", "pay")
                for target in ("card", "kaspi", "account")
            ),
        ],
    ),
    *_phrases(
        BOOKING,
        "ru",
        ["бронь", "бронирование", "бронируйте", "бронирую", "забронир*", "предзаказ*"],
    ),
    *_phrases(BOOKING, "kk", ["бронд"]),
    *_phrases(BOOKING, "en", ["reservation", "reserve", "booking*"]),
    *_phrases(DEPOSIT, "ru", ["залог*", "депозит*"]),
    *_phrases(DEPOSIT, "kk", ["кепілақы", "кепіл ақы*", "кепіл ретінде"]),
    *_phrases(DEPOSIT, "en", ["deposit"]),
    *_phrases(
        DELIVERY,
        "ru",
        [
            "оплат* доставк*",
            "оплач* доставк*",
            "оплат* за доставк*",
            "оплат* пересылк*",
            "оплат* за пересылк*",
            "оплат* за отправк*",
        ],
    ),
    *_phrases(
        DELIVERY,
        "kk",
        ["жеткізу ақы*", "жеткізу ~ төле", "жеткізуді ~ төле", "жеткізу үшін ~ төле"],
    ),
    *_phrases(
        DELIVERY,
        "en",
        [
            "delivery fee",
            "shipping fee",
            "delivery payment",
            "pay ~ for ~ delivery",
            "pay ~ for ~ shipping",
        ],
    ),
]

# Paying after seeing the thing: how honest deposits, bookings and deliveries are written.
AFTER_SEEING: list[Phrase] = [
    *(
        phrase(text, "ru")
        for text in (
            "после просмотр*",
            "при просмотр*",
            "после осмотр*",
            "при осмотр*",
            "при заселени*",
            "при заезд*",
            "по приезд*",
            "по прибыти*",
            "при встреч*",
            "при получени*",
            "по получени*",
            "на месте",
            "по факту",
            "наложенн*",
            "налож* платеж*",
        )
    ),
    *(
        phrase(text, "kk")
        for text in (
            "көргеннен кейін",
            "көрген соң",
            "кездескенде",
            "кездесу кезінде",
            "алған кезде",
            "алған соң",
            "қоныстанған кезде",
        )
    ),
    *(
        phrase(text, "en")
        for text in (
            "on arrival",
            "upon arrival",
            "after ~ viewing",
            "on delivery",
            "upon delivery",
            "on receipt",
            "upon receipt",
            "at check in",
            "at checkin",
        )
    ),
]

_MATCHER = Matcher(p for _kind, p in PHRASES)
_KIND_OF = {p: kind for kind, p in PHRASES}
_AFTER_SEEING = Matcher(AFTER_SEEING)

# Negation, as canonical words (Russian, Kazakh) and Latin spellings (English).
_NOT_BEFORE = frozenset({"без", "не", "нет", "никаких", "никакой", "никакую", "ни"})
_NOT_BEFORE_EN = frozenset({"no", "not", "without", "never", "dont", "nor"})
_NOT_AFTER = frozenset({"не", "нет", "жоқ", "жок", "емес"})
_NOT_AFTER_PREFIXES = ("алмай", "сұрамай", "сурамай", "етілмей")
_NOT_AFTER_EN = frozenset({"not", "no", "never", "isnt", "arent"})
# "не возвращается": a word on the payment, not its absence.
_STATES = ("возвр", "қайтар", "refund", "return")
_FREE = ("бесплатн", "тегін", "тегин")
_FREE_EN = frozenset({"free"})
# Kazakh "without": a noun and -сыз/-сіз ("төлемсіз", "ақысыз", "предоплатасыз"), not the
# verb's "you" ("төлейсіз", you pay).
_WITHOUT = regex.compile(r"^[аеыіоөуұүмя]?с[ыі]з")
NEGATION_REACH = 2


# --- payment handles -----------------------------------------------------------------------

_SEP = r"[ \-\p{Cf}]"
_CARD = regex.compile(
    rf"(?<![\d\-])(?:\d{{13,19}}|\d{{4}}(?:{_SEP}\d{{4}}){{2}}{_SEP}\d{{1,7}}"
    rf"|\d{{4}}{_SEP}\d{{6}}{_SEP}\d{{4,5}})(?![\d])"
)
_IBAN = regex.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){10,30}(?![A-Za-z0-9])")
_PHONE = regex.compile(
    r"(?<![\d+])(?:(?:\+\s*7|8|7)[\s\-]*)?\(?7\d{2}\)?[\s\-]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?!\d)"
)
_KASPI = regex.compile(r"^каспи(?!й)")
# How far from "Kaspi" its phone may be written, in characters.
KASPI_REACH = 40


@dataclass(frozen=True)
class Handle:
    kind: str  # an IndicatorKind
    value: str  # normalised (a card as its keyed digest)
    shown: str  # what may be shown: a card's last four digits only


@dataclass(frozen=True)
class Found:
    kind: str  # STRONG or one of WEAK
    phrase: str
    quote: str  # the words as written in the text
    at: int  # where they start in it


@dataclass
class Evidence:
    strong: list[Found] = field(default_factory=list)
    weak: list[Found] = field(default_factory=list)
    handles: list[Handle] = field(default_factory=list)


def _normalized(kind: str, raw: str) -> Handle | None:
    try:
        result = normalize(kind, raw)
    except NormalizationError:
        return None
    return Handle(result.kind, result.value, result.display)


def payment_handles(text: str, found: Sequence[Token] | None = None) -> list[Handle]:
    """Card numbers (Luhn-valid, 13 to 19 digits, as one run or in groups), IBANs (check
    digits valid) and phones written within reach of "Kaspi"."""
    handles: list[Handle] = []
    for match in _CARD.finditer(text):
        handle = _normalized(IndicatorKind.CARD, regex.sub(r"\D", "", match.group()))
        if handle is not None:
            handles.append(handle)
    for match in _IBAN.finditer(text):
        # Written in groups, an IBAN may run into a capitalised word after it: drop groups
        # from the end until the check digits agree.
        groups = match.group().split()
        for n in range(len(groups), 0, -1):
            handle = _normalized(IndicatorKind.IBAN, " ".join(groups[:n]))
            if handle is not None:
                handles.append(handle)
                break
    found = tokens(text) if found is None else found
    kaspi = [t for t in found if _KASPI.match(t.word)]
    if kaspi:
        for match in _PHONE.finditer(text):
            near = any(
                t.start - KASPI_REACH <= match.end() and match.start() <= t.end + KASPI_REACH
                for t in kaspi
            )
            handle = _normalized(IndicatorKind.PHONE, match.group()) if near else None
            if handle is not None:
                handles.append(Handle(handle.kind, handle.value, f"{handle.shown} (Kaspi)"))
    unique = {(h.kind, h.value): h for h in handles}
    return list(unique.values())


# --- reading a text ------------------------------------------------------------------------


def _is(token: Token, words: frozenset[str], english: frozenset[str] = frozenset()) -> bool:
    return token.word in words or (bool(token.latin) and token.latin in english)


def _negated(match: Match, kind: str, found: Sequence[Token]) -> bool:
    clause = found[match.first].clause
    for position, (_skip, step) in zip(match.positions, match.phrase.steps, strict=True):
        rest = found[position].word[len(step.value) :] if step.prefix else ""
        if step.language != "en" and _WITHOUT.match(rest):
            return True
    before = [
        t for t in found[max(0, match.first - NEGATION_REACH) : match.first] if t.clause == clause
    ]
    after = [
        (i, t)
        for i, t in enumerate(
            found[match.last + 1 : match.last + 1 + NEGATION_REACH], start=match.last + 1
        )
        if t.clause == clause
    ]
    if any(_is(t, _NOT_BEFORE, _NOT_BEFORE_EN) for t in before):
        return True
    for i, t in after:
        if _is(t, _NOT_AFTER, _NOT_AFTER_EN) or t.word.startswith(_NOT_AFTER_PREFIXES):
            following = found[i + 1] if i + 1 < len(found) else None
            stated = following is not None and (
                following.word.startswith(_STATES) or following.latin.startswith(_STATES)
            )
            if not stated:
                return True
    if kind == DELIVERY:
        near = [*before, *(t for _i, t in after)]
        if any(t.word.startswith(_FREE) or t.latin in _FREE_EN for t in near):
            return True
    return False


def _quote(text: str, found: Sequence[Token], match: Match) -> str:
    quote = " ".join(text[found[match.first].start : found[match.last].end].split())
    return quote if len(quote) <= QUOTE_LENGTH else quote[: QUOTE_LENGTH - 1] + "…"


def read(text: str, *, category: str = "") -> Evidence:
    """What in a listing's text asks for payment ahead, and the payment handles in it."""
    evidence = Evidence()
    if not isinstance(text, str) or not text.strip():
        return evidence
    found = tokens(text)
    after_seeing = {found[m.first].sentence for m in _AFTER_SEEING.find(found)}
    seen: set[tuple[str, str]] = set()
    for match in _MATCHER.find(found):
        kind = _KIND_OF[match.phrase]
        if kind == BOOKING and category not in BOOKING_CATEGORIES:
            continue
        if kind == DEPOSIT and category in PLEDGE_CATEGORIES:
            continue
        if kind in WEAK and found[match.first].sentence in after_seeing:
            continue
        if _negated(match, kind, found):
            continue
        quote = _quote(text, found, match)
        if (kind, quote.casefold()) in seen:
            continue
        seen.add((kind, quote.casefold()))
        (evidence.strong if kind == STRONG else evidence.weak).append(
            Found(kind, match.phrase.text, quote, found[match.first].start)
        )
    evidence.handles = payment_handles(text, found)
    return evidence


def listing_text(subject: Subject) -> str:
    return "\n".join(part for part in (subject.title, subject.text) if part)


# --- the rule ------------------------------------------------------------------------------


def _key(evidence: Evidence) -> str:
    parts = sorted(
        {f"{f.kind}:{f.phrase}" for f in evidence.strong + evidence.weak}
        | {f"{h.kind}:{h.value}" for h in evidence.handles}
    )
    return "prepay:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _hit(subject: Subject, evidence: Evidence, thresholds: Thresholds) -> Hit | None:
    phrases = sorted(evidence.strong + evidence.weak, key=lambda f: f.at)
    # A card or an IBAN is where to pay; a Kaspi phone may be a shop's contact.
    payable = [h for h in evidence.handles if h.kind != IndicatorKind.PHONE]
    handle = next(iter(payable or evidence.handles), None)
    if evidence.strong:
        score, template = thresholds["score"], ASKS_WITH_HANDLE if handle else ASKS
    elif evidence.weak:
        score, template = thresholds["weak_score"], MENTIONS_WITH_HANDLE if handle else MENTIONS
    elif payable:
        score, template = thresholds["handle_only_score"], HANDLE_ONLY
    else:
        return None
    params: dict[str, object] = {}
    if phrases:
        distinct = len({f.phrase for f in phrases})
        score += thresholds["score_per_extra"] * min(EXTRAS_COUNTED, distinct - 1)
        params["words"] = "», «".join(f.quote for f in phrases[:QUOTES_SHOWN])
        if handle is not None:
            score += thresholds["handle_score"]
    if handle is not None:
        params.update(kind=handle.kind, shown=handle.shown)
    return Hit(
        subject=subject,
        score=int(score),
        scheme=Scheme.FAKE_RENTAL
        if subject.category == Category.SHORT_TERM_RENTAL
        else Scheme.PREPAID_DELIVERY,
        explanation=Explanation(template, params),
        details={
            "phrases": [{"kind": f.kind, "phrase": f.phrase, "quote": f.quote} for f in phrases],
            "handles": [
                {"kind": h.kind, "value": h.value, "shown": h.shown} for h in evidence.handles
            ],
        },
        key=_key(evidence),
    )


def detect(batch: Batch, thresholds: Thresholds) -> Iterator[Hit]:
    for listing in batch.listings():
        hit = _hit(listing, read(listing_text(listing), category=listing.category), thresholds)
        if hit is not None:
            yield hit


RULES = [
    Rule(
        code="text.prepayment",
        title=_("Asks for payment in advance"),
        looks_at=_(
            "the title and text of each listing, in Russian, Kazakh and English however "
            "spelled (look-alike letters, spaced-out or broken words, transliteration), for "
            "prepayment, advance, deposit, booking and delivery payment asked ahead, money to "
            "be sent to a card or Kaspi, and card numbers, IBANs and Kaspi phones written in it"
        ),
        scheme=Scheme.PREPAID_DELIVERY,
        defaults={
            "score": 55,
            "score_per_extra": 10,
            "handle_score": 15,
            "weak_score": 35,
            "handle_only_score": 45,
        },
        detect=detect,
    )
]
