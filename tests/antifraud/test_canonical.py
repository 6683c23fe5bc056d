"""Properties of the text canonical form (antifraud/detection/canonical.py) and of the value
normalisers (antifraud/normalize.py): they never fail on what people type, they are
idempotent, and what is written differently to evade a search is the same value."""

from __future__ import annotations

import cyrtranslit
import pytest
from confusable_homoglyphs import confusables
from hypothesis import assume, example, given
from hypothesis import strategies as st

from antifraud.detection.canonical import (
    Matcher,
    canonical,
    phrase,
    stem,
    tokens,
    words,
)
from antifraud.normalize import NormalizationError, normalize

# Words scammers spell around, and ordinary ones. Each has a letter with no Latin
# look-alike: a word made only of look-alikes ("рос") reads the same as a Latin word.
WORDS = [
    "предоплата",
    "предоплату",
    "задаток",
    "бронирование",
    "переведите",
    "карту",
    "доставки",
    "залог",
    "квартира",
    "посуточно",
    "автомобиль",
    "телефон",
    "төлем",
    "төлеміңіз",
    "брондау",
    "алдын",
    "аударыңыз",
    "жеткізу",
]


def _latin_look_alikes(letter: str) -> list[str]:
    """The ASCII letters the Unicode confusables data says look like `letter`."""
    return [
        entry["c"]
        for entry in confusables.confusables_data.get(letter, [])
        if len(entry["c"]) == 1 and entry["c"].isascii() and entry["c"].isalpha()
    ]


SEPARATORS_SPACED = [" ", "  ", ". ", " . ", " - ", " _ ", "\n", " * ", ", "]
JOINERS = [".", "-", "_", "*", "·", "'", "/", "\u200b", "\u00ad"]


# --- canonical -------------------------------------------------------------------------------


@given(st.text())
@example("п р е д о п л а т а")
@example("sh sh sh a")
@example("ß")
def test_canonical_is_idempotent(text):
    once = canonical(text)
    assert canonical(once) == once


@given(st.text())
def test_arbitrary_text_never_raises_and_tokens_point_into_it(text):
    found = tokens(text)
    assert [t.word for t in found] == words(text)
    for token in found:
        assert token.word and " " not in token.word
        assert 0 <= token.start < token.end <= len(text)
        text[token.start : token.end]  # the quote a rule shows


@given(st.sampled_from(WORDS), st.data())
def test_latin_look_alikes_in_a_word_are_undone(word, data):
    for form in (word, word.upper(), word.capitalize()):
        if all(_latin_look_alikes(letter) for letter in form):
            continue  # "КАРТУ" all in look-alikes is the Latin "KAPTY" as well
        swapped = "".join(
            data.draw(st.sampled_from([letter, *_latin_look_alikes(letter)])) for letter in form
        )
        assert canonical(swapped) == canonical(word)


def test_latin_look_alikes_come_from_the_confusables_data():
    assert canonical("пpeдоплата") == "предоплата"  # Latin p, e
    assert canonical("ПPEДOПЛATA") == "предоплата"  # Latin P, E, O, A, T
    assert canonical("кaспи") == "каспи"
    assert canonical("пред0плата") == "предоплата"  # a zero for an о


@given(st.sampled_from(WORDS), st.data())
def test_a_spaced_out_word_is_one_word(word, data):
    spaced = word[0] + "".join(
        data.draw(st.sampled_from(SEPARATORS_SPACED + JOINERS)) + letter for letter in word[1:]
    )
    assert words(spaced) == words(word)


@given(st.sampled_from(WORDS), st.data())
def test_separators_inside_a_word_are_removed(word, data):
    broken = word[0] + "".join(
        (data.draw(st.sampled_from(JOINERS)) if data.draw(st.booleans()) else "") + letter
        for letter in word[1:]
    )
    assert words(broken) == words(word)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("п р е д о п л а т а", "предоплата"),
        ("пред.оплата", "предоплата"),
        ("п-р-е-д-о-п-л-а-т-а", "предоплата"),
        ("п р е д.оплата", "предоплата"),
        ("пред\u200bоплата", "предоплата"),
        ("ｐｒｅｄｏｐｌａｔａ", "предоплата"),
        ("predoplata", "предоплата"),
        ("Predoplatu", "предоплату"),
        ("zadatok", "задаток"),
        ("perevedite na kartu", "переведите на карту"),
        ("oplata dostavki", "оплата доставки"),
        ("bronirovanie", "бронирование"),
        ("Ёлка", "елка"),
    ],
)
def test_equivalent_spellings_collide(written, meant):
    assert canonical(written) == canonical(meant) == meant


@given(st.text(alphabet="абвгдежзиклмнопрстуфцчшюя", min_size=1, max_size=14))
def test_transliteration_is_read_back(word):
    # "сж" is "szh" — s and zh, or sz and h: no reading can tell.
    assume("сж" not in word)
    assert canonical(cyrtranslit.to_latin(word, "ru")) == canonical(word)


def test_ordinary_text_keeps_its_words():
    assert words("Цена.Звоните, г. Алматы") == ["цена", "звоните", "г", "алматы"]
    # Three single letters are words; four are a spaced-out word.
    assert words("и в г Алматы") == ["и", "в", "г", "алматы"]
    assert words("кто-то 3-комнатная") == ["ктото", "3комнатная"]


def test_english_words_keep_their_latin_spelling():
    [token] = tokens("Dеposit")  # a Cyrillic е
    assert token.latin == "deposit"
    assert token.word == canonical("deposit")
    [token] = tokens("предоплата")
    assert token.latin == ""


def test_stems_and_kazakh_prefixes():
    assert stem("предоплату") == stem("предоплаты") == stem("предоплата")
    assert stem("payments", "en") == stem("payment", "en")
    kazakh = Matcher([phrase("алдын ала төлем", "kk")])
    for text in ("алдын ала төлем", "алдын ала төлемді", "алдын ала төлеміңізді"):
        assert len(list(kazakh.find(tokens(text)))) == 1, text
    assert not list(kazakh.find(tokens("алдын ала тексеріңіз")))


def test_phrases_match_in_order_within_a_clause():
    transfer = Matcher([phrase("переведите ~ на карту", "ru")])
    assert list(transfer.find(tokens("Переведите 5000 тг на карту")))
    assert list(transfer.find(tokens("пepeвeдитe на kartu")))
    assert not list(transfer.find(tokens("Переведите, пожалуйста, на карту")))
    assert not list(transfer.find(tokens("на карту переведите")))


# --- the value normalisers -------------------------------------------------------------------

KINDS = ["phone", "email", "card", "iban", "device", "photo"]
MOBILE_CODES = ["700", "701", "702", "705", "707", "708", "747", "771", "775", "777", "778"]
PHONE_WRITINGS = [
    "+7 {c} {a} {b} {d}",
    "8{c}{a}{b}{d}",
    "8 ({c}) {a}-{b}-{d}",
    "+7{c}{a}{b}{d}",
    "{c}{a}{b}{d}",
    "+7-{c}-{a}-{b}-{d}",
]


@given(st.sampled_from(KINDS), st.text(max_size=600))
@example("phone", "+")
@example("iban", "KZ00")
def test_normalisers_refuse_with_their_own_error_only(kind, raw):
    try:
        normalize(kind, raw)
    except NormalizationError as error:
        assert error.code


@pytest.mark.parametrize("raw", ["http://[", "http://a b.kz/", "http://kolesa.kz:port/"])
def test_a_broken_url_is_refused_with_its_own_error(raw):
    with pytest.raises(NormalizationError):
        normalize("url", raw)


@given(
    st.sampled_from(["phone", "card", "iban"]),
    st.text(alphabet="0123456789 +-()KZkz", max_size=40),
)
def test_normalisers_refuse_near_misses_with_their_own_error_only(kind, raw):
    try:
        normalize(kind, raw)
    except NormalizationError as error:
        assert error.code


@given(
    st.sampled_from(MOBILE_CODES),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
    st.sampled_from(PHONE_WRITINGS),
)
def test_a_phone_written_any_way_is_one_value_and_stays_it(code, rest, writing):
    raw = writing.format(c=code, a=rest[:3], b=rest[3:5], d=rest[5:])
    result = normalize("phone", raw)
    assert result.value == f"+7{code}{rest}"
    assert normalize("phone", result.value).value == result.value
    assert normalize("phone", result.display).value == result.value


@given(st.emails())
def test_an_email_is_idempotent_and_case_blind(address):
    try:
        result = normalize("email", address)
    except NormalizationError:
        return
    assert normalize("email", result.value).value == result.value
    assert normalize("email", f"  {address.upper()} ").value == result.value


def _luhn_completed(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:  # doubled once the check digit is appended
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return digits + str((10 - total % 10) % 10)


@given(st.text(alphabet="0123456789", min_size=15, max_size=15), st.sampled_from([" ", "-", ""]))
def test_a_card_written_in_groups_is_one_value(body, separator):
    number = _luhn_completed(body)
    grouped = separator.join(number[i : i + 4] for i in range(0, 16, 4))
    result = normalize("card", grouped)
    assert result.value == normalize("card", number).value
    assert result.display == f"•••• {number[-4:]}"
    assert number not in result.value and number not in result.display


def _iban(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


@given(
    st.text(alphabet="0123456789", min_size=3, max_size=3),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=13, max_size=13),
)
def test_an_iban_is_idempotent_whatever_its_spacing_and_case(bank, account):
    # A Kazakh BBAN: a three-digit bank code, then thirteen letters or digits.
    iban = _iban("KZ", bank + account)
    result = normalize("iban", iban)
    assert result.value == iban
    assert normalize("iban", result.value).value == result.value
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)).lower()
    assert normalize("iban", spaced).value == iban
