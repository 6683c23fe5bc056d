"""Serializers of the partner API's look-up, indicator and event endpoints, and the fields
and error shapes every endpoint shares. They validate and shape; they never save."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers

from antifraud.detection.lists import HANDLING
from antifraud.models import (
    Delivery,
    Indicator,
    IndicatorKind,
    LookupTally,
    Scheme,
    SubjectIdentifier,
)
from antifraud.models.indicators import GRAY_DAYS_MAX, GRAY_DAYS_MIN
from antifraud.normalize import NormalizationError, Normalized, normalize

# What the stored forms of a value can hold (SubjectIdentifier and Indicator alike).
VALUE_MAX: int = SubjectIdentifier._meta.get_field("value").max_length  # type: ignore[assignment]
DISPLAY_MAX: int = SubjectIdentifier._meta.get_field("display").max_length  # type: ignore[assignment]
REASON_MAX = 2000

LOOKUP_FIELDS: dict[str, str] = {
    "phones": IndicatorKind.PHONE,
    "emails": IndicatorKind.EMAIL,
    "cards": IndicatorKind.CARD,
    "ibans": IndicatorKind.IBAN,
    "photo_hashes": IndicatorKind.PHOTO,
    "devices": IndicatorKind.DEVICE,
    "urls": IndicatorKind.URL,
    "iins": IndicatorKind.IIN,
}


def normalized_or_error(kind: str, raw: str) -> Normalized:
    """`normalize`, plus the limits of the columns the value will be stored in, so that a
    value that normalises but cannot be stored is refused here rather than by the database."""
    result = normalize(kind, raw)
    if len(result.value) > VALUE_MAX or len(result.display) > DISPLAY_MAX:
        raise NormalizationError("too_long", f"this {kind} is too long to be stored")
    return result


class StrictTypeMixin:
    """JSON's types as the schema states them: DRF turns 5 into "5" for a string field and
    "5" into 5 for an integer one; the API refuses both (`invalid`)."""

    accepted_types: tuple[type, ...] = (str,)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, self.accepted_types):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(StrictTypeMixin, serializers.CharField):
    pass


class StrictRegexField(StrictTypeMixin, serializers.RegexField):
    pass


class StrictURLField(StrictTypeMixin, serializers.URLField):
    pass


class StrictIntegerField(StrictTypeMixin, serializers.IntegerField):
    accepted_types = (int, float)  # 5.0 is the integer 5 in JSON; 5.5 fails below

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(data)


class NormalizedField(StrictCharField):
    """A phone, e-mail, card, IBAN, device id or photo hash, put in normal form the way the
    lists do (antifraud.normalize). A value that does not normalise is refused with the
    normaliser's code: `invalid_phone`, `invalid_card`, …"""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("max_length", 512)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Normalized:
        # The string's own checks (type, blank, length, NUL) first, then its normal form.
        raw = super().run_validation(data)
        if raw in ("", None):
            return raw
        try:
            return normalized_or_error(self.kind, raw)
        except NormalizationError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from exc

    def to_representation(self, value: Normalized) -> str:  # type: ignore[override]
        return value.display


class AnyJSONField(serializers.Field):
    """Takes a JSON value as it came, unvalidated: used where each item of a batch is
    validated on its own afterwards."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


# --- errors -------------------------------------------------------------------------------


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `required`, `invalid_phone`.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    code = serializers.CharField(
        help_text=(
            "Machine-readable: `invalid`, `parse_error`, `not_authenticated`, `invalid_key`, "
            "`not_found`, `throttled`, `quota_exceeded`, `purpose_not_allowed`, "
            "`body_too_large`, `too_many_reports`, `too_many_values`, `too_many_items`, "
            "`invalid_cursor`, `value_cleared`, `not_yours`, `not_in_force`, "
            "`not_withdrawable`, `own_entry`, `already_disputed`, `not_a_telecom`, "
            "`unsupported_media_type`, `method_not_allowed`, …"
        )
    )
    message = serializers.CharField(help_text="For people; may change between versions.")
    # DRF's metaclass takes declared fields off the class, so this does not hide
    # Serializer.errors; the stubs cannot know it.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=FieldErrorSerializer(many=True),
        required=False,
        help_text="Only for `invalid`: the path of each refused field (`contacts.phones.1`) "
        "and why.",
    )
    retry_after = serializers.IntegerField(
        required=False,
        help_text="Only for `throttled` and `quota_exceeded`: seconds to wait, as in Retry-After.",
    )


# --- look-up ------------------------------------------------------------------------------


class LookupValueField(StrictCharField):
    """Any string: one that does not normalise gets its own `error` in the answer rather than
    failing the call. Nothing looked up is stored, so even NUL characters may pass."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


def _lookup_list(label: str) -> serializers.ListField:
    return serializers.ListField(
        child=LookupValueField(),
        required=False,
        default=list,
        help_text=f"{label} to check, in any usual notation.",
    )


class LookupSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(
        choices=LookupTally.Purpose.choices,
        help_text="Why you look these values up: `payment` (a payment about to be made), "
        "`listing` (a listing being posted), `onboarding` (a new customer or account), "
        "`investigation` (a case being investigated). Each kind of partner may name some "
        "only: classifieds platforms listing, onboarding and payment; banks and fintechs "
        "payment, onboarding and investigation; telecom operators onboarding and "
        "investigation; law enforcement investigation.",
    )
    phones = _lookup_list("Phone numbers (Kazakh numbers may omit +7)")
    emails = _lookup_list("E-mail addresses")
    cards = _lookup_list("Card numbers (compared by keyed digest, never stored)")
    ibans = _lookup_list("IBANs")
    photo_hashes = _lookup_list("PDQ hashes of photos (64 hexadecimal digits)")
    devices = _lookup_list("Device ids (8 to 128 of a-z 0-9 : . _ -, case-insensitive)")
    urls = _lookup_list("http(s) URLs (compared without `www.`, fragment or trailing slash)")
    iins = _lookup_list("Kazakh IINs and BINs (12 digits; compared by keyed digest)")


class ListMatchSerializer(serializers.Serializer):
    """What a partner may learn of a listed value (antifraud.detection.lists.public_match):
    nothing about who carries it."""

    id = serializers.IntegerField(
        help_text="The list entry: name it to give feedback on the match "
        "(`/api/v1/indicators/feedback/`) or to dispute the entry "
        "(`/api/v1/indicators/{id}/disputes/`)."
    )
    kind = serializers.ChoiceField(choices=IndicatorKind.choices)
    display = serializers.CharField(
        help_text="The value as a person may see it; cards and IINs by their last four digits."
    )
    list = serializers.ChoiceField(choices=[Indicator.List.BLACK, Indicator.List.GRAY])
    scheme = serializers.ChoiceField(choices=Scheme.choices, allow_null=True)
    since = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    handling = serializers.ChoiceField(
        choices=sorted(set(HANDLING.values())),
        help_text="What to do: `block` (a black entry: a moderator's decision or a promotion "
        "confirmed it) — block the payment or the listing; `warn` (a gray entry: suspected "
        "by partners, not yet confirmed) — let it go ahead but show the user a warning.",
    )


class LookupResultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=IndicatorKind.choices,
        help_text="phone, email, card, iban, photo, device, url or iin.",
    )
    query = serializers.CharField(
        help_text="The value as sent; for cards and IINs only the last four digits are echoed."
    )
    normalized = serializers.CharField(
        allow_null=True,
        help_text="The value in normal form (phones E.164, e-mails lower-cased); for cards "
        "and IINs only the last four digits. Null when the value is invalid.",
    )
    match = ListMatchSerializer(allow_null=True, help_text="Null when the value is on no list.")
    error = FieldErrorSerializer(allow_null=True, help_text="Why the value could not be checked.")


class LookupResponseSerializer(serializers.Serializer):
    results = LookupResultSerializer(many=True, help_text="One per value, in the order sent.")


# --- indicators ---------------------------------------------------------------------------


class IndicatorProposalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IndicatorKind.choices)
    value = StrictCharField(max_length=512, trim_whitespace=False)
    reason = StrictCharField(max_length=REASON_MAX, help_text="Why you suspect this value.")
    scheme = serializers.ChoiceField(choices=Scheme.choices, required=False, allow_blank=True)
    expires_in_days = StrictIntegerField(
        min_value=GRAY_DAYS_MIN,
        max_value=GRAY_DAYS_MAX,
        required=False,
        help_text="How long the gray entry lasts; the hub's default (90 days) when omitted.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            attrs["normalized"] = normalized_or_error(attrs["kind"], attrs["value"])
        except NormalizationError as exc:
            raise serializers.ValidationError({"value": [exc.message]}, code=exc.code) from exc
        attrs.setdefault("expires_in_days", settings.GRAY_LIST_DAYS)
        attrs.setdefault("scheme", "")
        return attrs


class IndicatorListingSerializer(serializers.Serializer):
    """The entry in force for the value after the proposal."""

    id = serializers.IntegerField(
        help_text="The entry: name it to withdraw your proposal "
        "(`/api/v1/indicators/{id}/withdraw/`)."
    )
    kind = serializers.ChoiceField(choices=IndicatorKind.choices)
    display = serializers.CharField()
    list = serializers.ChoiceField(
        choices=[Indicator.List.BLACK, Indicator.List.GRAY],
        help_text="`gray`, or `black` when a moderator's decision already listed the value.",
    )
    expires_at = serializers.DateTimeField(allow_null=True)
    created = serializers.BooleanField(
        help_text="False when an entry already covered the value (its expiry may have grown)."
    )
    supporters = serializers.IntegerField(
        help_text="How many partners stand behind the entry (proposed or reported the value), "
        "you included. Which partners is not told."
    )
    awaiting_promotion = serializers.BooleanField(
        help_text="True when partners of two kinds support the gray entry: it waits for a "
        "senior moderator, who may make it black."
    )


# --- events -------------------------------------------------------------------------------


class EventsQuerySerializer(serializers.Serializer):
    after = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The `next` (or an event's `cursor`) of an earlier page; from the start "
        "when omitted.",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=1000,
        help_text="Events per page, 1 to 1,000 (default 100).",
    )


class EventSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The webhook-id: the same event's id in webhooks.")
    cursor = serializers.CharField(help_text="Pass as `after` to read the events after this one.")
    type = serializers.ChoiceField(choices=Delivery.EventType.choices)
    timestamp = serializers.DateTimeField()
    # A declared field, not Serializer.data (see ErrorSerializer.errors).
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="The same `data` as the webhook's body."
    )


class EventsResponseSerializer(serializers.Serializer):
    events = EventSerializer(many=True)
    next = serializers.CharField(
        help_text="Pass as `after` next time: the last event's cursor, or the `after` you "
        "sent when there was nothing new."
    )
    has_more = serializers.BooleanField(help_text="True when more events are ready now.")
