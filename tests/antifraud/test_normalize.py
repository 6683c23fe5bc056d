from __future__ import annotations

import csv

import pytest
from PIL import Image

from antifraud.normalize import NormalizationError, keyed_digest, normalize
from antifraud.photos import pdq_distance, pdq_hex


@pytest.mark.parametrize(
    "raw", ["+7 701 234 56 78", "87012345678", "8 (701) 234-56-78", "+77012345678", "7012345678"]
)
def test_kazakh_phones_in_any_writing_are_one_value(raw):
    result = normalize("phone", raw)
    assert result.value == "+77012345678"
    assert result.display == "+7 701 234 5678"


def test_a_number_no_operator_has_is_kept_as_evidence():
    """It parses and has a possible length: the report keeps it, and a rule flags it."""
    from antifraud.normalize import phone_exists

    kept = normalize("phone", "+7 000 000 00 00")
    assert kept.value == "+70000000000" and not phone_exists(kept.value)
    assert phone_exists(normalize("phone", "+7 701 234 56 78").value)


@pytest.mark.parametrize("raw", ["12345", "8 701 234", "+7 701 234 56 78 90 123 45", "call me"])
def test_invalid_phone_is_refused_with_a_code(raw):
    with pytest.raises(NormalizationError) as error:
        normalize("phone", raw)
    assert error.value.code == "invalid_phone"


def test_email_is_lower_cased_and_validated():
    assert normalize("email", "  Aigerim.S@Mail.RU ").value == "aigerim.s@mail.ru"
    with pytest.raises(NormalizationError, match="e-mail"):
        normalize("email", "not-an-address")


def test_card_number_is_kept_only_as_keyed_digest_and_last_four(settings):
    result = normalize("card", "4400 4301 2345 6789")
    assert "4400430123456789" not in result.value
    assert result.value == keyed_digest("card", "4400430123456789")
    assert result.display == "•••• 6789"
    assert normalize("card", "4400-4301-2345-6789").value == result.value
    settings.INDICATOR_DIGEST_KEY = "another-deployment"
    assert normalize("card", "4400430123456789").value != result.value


def test_card_with_a_wrong_check_digit_is_refused():
    with pytest.raises(NormalizationError) as error:
        normalize("card", "4400430123456781")
    assert error.value.code == "invalid_card"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("KZ39125KZT50041001000000", "length"),  # right check digits, but KZ IBANs have 20
        ("KZ87125KZT5004100100", "checksum"),
        ("XX86125KZT5004100100", "country"),
    ],
)
def test_an_iban_must_fit_its_country(raw, says):
    with pytest.raises(NormalizationError) as refused:
        normalize("iban", raw)
    assert refused.value.code == "invalid_iban" and says in refused.value.message.lower()


def test_iban_is_checked():
    assert normalize("iban", "kz86 125k zt50 0410 0100").value == "KZ86125KZT5004100100"
    with pytest.raises(NormalizationError):
        normalize("iban", "KZ87125KZT5004100100")


def test_unknown_kind_and_blank_values_are_refused():
    with pytest.raises(NormalizationError) as error:
        normalize("telegram", "@scammer")
    assert error.value.code == "invalid_kind"
    with pytest.raises(NormalizationError) as error:
        normalize("phone", "   ")
    assert error.value.code == "blank"


def test_photo_hash_must_be_64_hex_digits():
    assert normalize("photo", "F" * 64).value == "f" * 64
    with pytest.raises(NormalizationError):
        normalize("photo", "abc")


def test_pdq_hashes_match_the_reference_implementation(shared_data):
    folder = shared_data / "pdq"
    with open(folder / "expected.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for row in rows:
        with Image.open(folder / "images" / row["file"]) as image:
            digest, _quality = pdq_hex(image)
        assert pdq_distance(digest, row["pdq_hex"]) <= 16, row["file"]


def test_values_that_do_not_fit_the_columns_are_refused():
    with pytest.raises(NormalizationError):
        normalize("email", "a" * 250 + "@mail.kz")
    long_url = "https://kolesa.kz/" + "a" * 300
    with pytest.raises(NormalizationError) as error:
        normalize("url", long_url)
    assert error.value.code in ("too_long", "invalid_url")
    assert len(normalize("email", "a" * 120 + "@mail.kz").display) == 100


@pytest.mark.parametrize(
    ("kind", "raw", "plain"),
    [
        # zero-width joiner and space, as the review found them
        ("email", "a@b.kz\u200d\u200bb", "a@b.kzb"),
        # a right-to-left override that shows the domain reversed
        ("email", "a@b.kz\u202edcb", "a@b.kzdcb"),
        ("email", "\ufeffseller@mail.kz", "seller@mail.kz"),
        ("email", "ｓｅｌｌｅｒ＠ｍａｉｌ．ｋｚ", "seller@mail.kz"),  # full-width forms
        ("email", "sel\u00adler@mail.kz", "seller@mail.kz"),  # soft hyphen
        ("url", "https://kolesa\u200b.kz/a/show/1", "https://kolesa.kz/a/show/1"),
        ("url", "https://\u2066kolesa.kz\u2069/a/show/1", "https://kolesa.kz/a/show/1"),
        ("url", "ｈｔｔｐｓ://kolesa.kz/a/show/1", "https://kolesa.kz/a/show/1"),
        ("phone", "+7 701 234\u200b 56 78", "+77012345678"),
        ("card", "４４００ ４３０１ ２３４５ ６７８９", None),
        ("device", "dev-\u200b0123456789", "dev-0123456789"),
    ],
)
def test_look_alike_values_normalise_to_what_people_see(kind, raw, plain):
    value = normalize(kind, raw).value
    if kind == "card":
        assert value == normalize("card", "4400430123456789").value
    else:
        assert value == plain


def test_digits_of_other_scripts_are_not_card_or_iban_digits():
    for kind, raw in (("card", "٤٤٠٠٤٣٠١٢٣٤٥٦٧٨٩"), ("iban", "KZ٨٦125KZT5004100100")):
        with pytest.raises(NormalizationError):
            normalize(kind, raw)


def test_a_value_of_only_invisible_characters_is_blank():
    with pytest.raises(NormalizationError) as error:
        normalize("email", "\u200b\u200d\u2060")
    assert error.value.code == "blank"
