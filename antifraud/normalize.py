"""One normal form per kind of value, used alike by subjects' identifiers, the lists and
look-ups, so that "+7 (701) 123-45-67" and "87011234567" are the same phone."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import phonenumbers
import regex
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from antifraud.models import IndicatorKind


class NormalizationError(ValueError):
    """A value that cannot be put in normal form; `code` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Normalized:
    kind: str
    value: str  # what is stored and compared
    display: str  # what a person may see


def normalize_phone(raw: str, region: str = "KZ") -> Normalized:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise NormalizationError("invalid_phone", f"not a phone number: {exc}") from exc
    # A number of a possible length is kept even when no operator has it: a contact that
    # does not exist is evidence (antifraud.detection.contacts), not a reason to refuse.
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise NormalizationError("invalid_phone", "not a phone number: wrong length")
    return Normalized(
        kind=IndicatorKind.PHONE,
        value=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        display=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    )


def phone_exists(value: str) -> bool:
    """Whether a normalised phone is a number an operator could have assigned."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, None))
    except phonenumbers.NumberParseException:
        return False


def normalize_email(raw: str) -> Normalized:
    value = raw.strip().lower()
    if len(value) > 254:
        raise NormalizationError("too_long", "an e-mail address has at most 254 characters")
    try:
        validate_email(value)
    except ValidationError as exc:
        raise NormalizationError("invalid_email", "not a valid e-mail address") from exc
    return Normalized(kind=IndicatorKind.EMAIL, value=value, display=value)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def keyed_digest(kind: str, value: str) -> str:
    """HMAC-SHA256 under the deployment's digest key: equal values match, but a leaked
    table cannot be reversed by enumerating the card number space."""
    key = settings.INDICATOR_DIGEST_KEY.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def normalize_card(raw: str) -> Normalized:
    digits = re.sub(r"[\s-]", "", raw)
    # ASCII digits only: a digit of another script would digest to another value.
    if not re.fullmatch(r"[0-9]{12,19}", digits):
        raise NormalizationError("invalid_card", "a card number has 12 to 19 digits")
    if not _luhn_ok(digits):
        raise NormalizationError("invalid_card", "card number fails its check digit")
    return Normalized(
        kind=IndicatorKind.CARD,
        value=keyed_digest(IndicatorKind.CARD, digits),
        display=f"•••• {digits[-4:]}",
    )


def normalize_iban(raw: str) -> Normalized:
    value = re.sub(r"\s", "", raw).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}", value):
        raise NormalizationError("invalid_iban", "not an IBAN")
    try:
        # The country's length and structure, and the check digits (schwifty's registry).
        IBAN(value)
    except SchwiftyException as exc:
        raise NormalizationError("invalid_iban", f"not a valid IBAN: {exc}") from exc
    return Normalized(kind=IndicatorKind.IBAN, value=value, display=f"{value[:4]}…{value[-4:]}")


_IIN_WEIGHTS = (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])


def iin_check_ok(digits: str) -> bool:
    """The check digit of a Kazakh IIN or BIN (the twelfth): the first eleven digits
    weighted 1…11, modulo 11; a remainder of 10 is weighted again 3…11, 1, 2; 10 again means
    no valid number has these digits."""
    for weights in _IIN_WEIGHTS:
        check = sum(int(d) * w for d, w in zip(digits[:11], weights, strict=True)) % 11
        if check != 10:
            return check == int(digits[11])
    return False


def normalize_iin(raw: str) -> Normalized:
    """A Kazakh individual (IIN) or business (BIN) identification number: twelve digits, a
    month in the third and fourth, and the check digit. Kept like a card: a keyed digest,
    shown by its last four digits."""
    digits = re.sub(r"[\s-]", "", raw)
    if not re.fullmatch(r"[0-9]{12}", digits):
        raise NormalizationError("invalid_iin", "an IIN or BIN has 12 digits")
    if not 1 <= int(digits[2:4]) <= 12:
        raise NormalizationError("invalid_iin", "an IIN or BIN has a month in digits 3–4")
    if not iin_check_ok(digits):
        raise NormalizationError("invalid_iin", "the IIN or BIN fails its check digit")
    return Normalized(
        kind=IndicatorKind.IIN,
        value=keyed_digest(IndicatorKind.IIN, digits),
        display=f"•••• {digits[-4:]}",
    )


def normalize_device(raw: str) -> Normalized:
    value = raw.strip().lower()
    if not 8 <= len(value) <= 128 or not re.fullmatch(r"[a-z0-9:._-]+", value):
        raise NormalizationError("invalid_device", "a device id has 8 to 128 of a-z 0-9 : . _ -")
    return Normalized(kind=IndicatorKind.DEVICE, value=value, display=value[:12])


def normalize_photo_hash(raw: str) -> Normalized:
    value = raw.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise NormalizationError("invalid_photo_hash", "a PDQ hash is 64 hexadecimal digits")
    return Normalized(kind=IndicatorKind.PHOTO, value=value, display=value[:12])


def normalize_url(raw: str) -> Normalized:
    try:
        parts = urlsplit(raw.strip())
        hostname = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:
        raise NormalizationError("invalid_url", "not an http(s) URL") from exc
    if parts.scheme.lower() not in {"http", "https"} or not hostname:
        raise NormalizationError("invalid_url", "not an http(s) URL")
    if not regex.fullmatch(r"[\p{L}\p{N}.\-\[\]:]+", hostname):
        raise NormalizationError("invalid_url", "not a host name")
    host = hostname.lower().removeprefix("www.")
    value = urlunsplit(("https", host, parts.path.rstrip("/") or "/", parts.query, ""))
    return Normalized(kind=IndicatorKind.URL, value=value, display=value[:100])


_NORMALIZERS: dict[str, Callable[[str], Normalized]] = {
    IndicatorKind.PHONE: normalize_phone,
    IndicatorKind.EMAIL: normalize_email,
    IndicatorKind.CARD: normalize_card,
    IndicatorKind.IBAN: normalize_iban,
    IndicatorKind.DEVICE: normalize_device,
    IndicatorKind.PHOTO: normalize_photo_hash,
    IndicatorKind.URL: normalize_url,
    IndicatorKind.IIN: normalize_iin,
}


# Characters that show nothing or reorder what follows: zero-width spaces and joiners, bidi
# controls and isolates, the byte-order mark, variation selectors, fillers. Left in a value,
# they make a listed e-mail or URL look the same and compare different.
_INVISIBLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}]")


def visible_form(raw: str) -> str:
    """NFKC (full-width and other compatibility forms become the plain ones), without
    invisible and bidi-control characters: what a person reading the value sees."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", raw))


def normalize(kind: str, raw: str) -> Normalized:
    try:
        normalizer = _NORMALIZERS[IndicatorKind(kind)]
    except ValueError as exc:
        raise NormalizationError("invalid_kind", f"unknown kind {kind!r}") from exc
    if not isinstance(raw, str) or not raw.strip():
        raise NormalizationError("blank", "a value is required")
    if len(raw) > 512:
        raise NormalizationError("too_long", "a value has at most 512 characters")
    raw = visible_form(raw)
    if not raw.strip():
        raise NormalizationError("blank", "a value is required")
    result = normalizer(raw)
    if len(result.value) > 255:
        raise NormalizationError("too_long", "the value is too long")
    # The columns keep at most 100 characters of what people are shown.
    return Normalized(kind=result.kind, value=result.value, display=result.display[:100])
