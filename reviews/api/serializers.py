"""Serializers of the partner API's reports and cases. They validate and shape; intake
(reviews.services.intake) and the selectors do the rest."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

from django.db import models
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from accounts.models import Partner
from antifraud.api.serializers import (
    AnyJSONField,
    FieldErrorSerializer,
    ListMatchSerializer,
    NormalizedField,
    StrictCharField,
    StrictIntegerField,
    StrictRegexField,
    StrictURLField,
    normalized_or_error,
)
from antifraud.detection.base import signal_explanation
from antifraud.models import Category, Indicator, IndicatorKind, Scheme, Signal, Subject
from antifraud.normalize import NormalizationError, Normalized
from antifraud.photos import PhotoUnreadable, photo_hashes
from reviews.links import appeal_url
from reviews.models import Appeal, Case, Decision
from reviews.scoring import signal_contribution
from reviews.services.intake import (
    AccountInput,
    IndicatorReportInput,
    PhotoInput,
    ReportInput,
    SubjectInput,
)


def _max(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    length = getattr(field, "max_length", None)
    assert isinstance(length, int), f"{model.__name__}.{name} has no max_length"
    return length


# Bounds that keep every accepted value storable (the model's columns) and every batch
# of reasonable size.
EXTERNAL_ID_MAX = _max(Subject, "external_id")
REPORT_ID_MAX = 128
TEXT_MAX = 20_000
EXPLANATION_MAX = 2000
PRICE_MAX = 10**15  # a quadrillion tenge: far above any listing, far below the column's limit
CONTACTS_PER_KIND_MAX = 20
PHOTOS_MAX = 30
IMAGE_MAX_BYTES = 2_000_000
IMAGE_BASE64_MAX = (IMAGE_MAX_BYTES + 2) // 3 * 4
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
REPORT_SOURCES = [
    Signal.Source.PARTNER_REPORT,
    Signal.Source.USER_COMPLAINT,
    Signal.Source.LAW_ENFORCEMENT,
]


class ListingAttributesSerializer(serializers.Serializer):
    make = StrictCharField(max_length=60, required=False, help_text="A car's make: Toyota.")
    model = StrictCharField(max_length=60, required=False, help_text="Its model: Camry.")
    year = StrictIntegerField(min_value=1900, max_value=2100, required=False)
    rooms = StrictIntegerField(min_value=0, max_value=50, required=False, help_text="Rooms.")


class ReportSubjectSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Subject.Kind.choices)
    external_id = StrictCharField(
        max_length=EXTERNAL_ID_MAX, help_text="Your id of the account or listing."
    )
    title = StrictCharField(
        max_length=_max(Subject, "title"), required=False, allow_blank=True, default=""
    )
    text = StrictCharField(
        max_length=TEXT_MAX, required=False, allow_blank=True, default="", trim_whitespace=False
    )
    category = serializers.ChoiceField(
        choices=Category.choices, required=False, allow_blank=True, default=""
    )
    price = StrictIntegerField(
        min_value=0, max_value=PRICE_MAX, required=False, allow_null=True, default=None
    )
    currency = StrictRegexField(
        CURRENCY_PATTERN, max_length=3, required=False, default="KZT", help_text="ISO 4217."
    )
    city = StrictCharField(
        max_length=_max(Subject, "city"), required=False, allow_blank=True, default=""
    )
    url = StrictURLField(
        max_length=_max(Subject, "url"), required=False, allow_blank=True, default=""
    )
    language = StrictRegexField(
        LANGUAGE_PATTERN,
        max_length=_max(Subject, "language"),
        required=False,
        default="ru",
        help_text="Language of the text, e.g. `ru`, `kk`.",
    )
    registered_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the account registered."
    )
    attributes = ListingAttributesSerializer(
        required=False,
        default=dict,
        help_text="What narrows the comparison of prices: a car's make and model, a flat's rooms.",
    )


class ReportAccountSerializer(serializers.Serializer):
    """The account that posted a listing."""

    external_id = StrictCharField(max_length=EXTERNAL_ID_MAX)
    name = StrictCharField(
        max_length=_max(Subject, "title"), required=False, allow_blank=True, default=""
    )
    registered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


def _contacts(kind: str, label: str) -> serializers.ListField:
    return serializers.ListField(
        child=NormalizedField(kind),
        max_length=CONTACTS_PER_KIND_MAX,
        required=False,
        default=list,
        help_text=f"{label}; each is normalised as the lists do, a bad one is refused.",
    )


class ReportContactsSerializer(serializers.Serializer):
    phones = _contacts(IndicatorKind.PHONE, "Phone numbers")
    emails = _contacts(IndicatorKind.EMAIL, "E-mail addresses")
    cards = _contacts(
        IndicatorKind.CARD, "Card numbers (kept only as a keyed digest and last four)"
    )
    ibans = _contacts(IndicatorKind.IBAN, "IBANs")
    devices = _contacts(IndicatorKind.DEVICE, "Device ids")


CONTACT_FIELDS = tuple(ReportContactsSerializer._declared_fields)


class ReportPhotoSerializer(serializers.Serializer):
    url = StrictURLField(max_length=500, required=False, allow_blank=True, default="")
    pdq = NormalizedField(
        IndicatorKind.PHOTO, required=False, help_text="PDQ hash, 64 hexadecimal digits."
    )
    image = StrictCharField(
        required=False,
        max_length=IMAGE_BASE64_MAX,
        help_text="The image itself, base64 (JPEG, PNG or WebP, at most "
        f"{IMAGE_MAX_BYTES // 1_000_000} MB): the hub hashes it, also mirrored and rotated, "
        "so a flipped copy of a stolen photo is found. It is not stored.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("url") and not attrs.get("pdq") and not attrs.get("image"):
            raise serializers.ValidationError(
                "Give the photo's url, its pdq hash, the image, or several.", code="empty_photo"
            )
        if attrs.get("image"):
            try:
                data = base64.b64decode(attrs["image"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise serializers.ValidationError(
                    {"image": ["Not base64."]}, code="invalid_image"
                ) from exc
            if len(data) > IMAGE_MAX_BYTES:
                raise serializers.ValidationError(
                    {"image": [f"At most {IMAGE_MAX_BYTES} bytes."]}, code="image_too_large"
                )
            try:
                attrs["hashes"] = photo_hashes(data)
            except PhotoUnreadable as exc:
                raise serializers.ValidationError(
                    {"image": ["Not a readable image."]}, code="invalid_image"
                ) from exc
        return attrs


class ReportSignalSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    score = StrictIntegerField(
        min_value=0, max_value=100, required=False, default=50, help_text="Your confidence."
    )
    explanation = StrictCharField(
        max_length=EXPLANATION_MAX, help_text="Why you flag it, for the moderator."
    )
    # A declared field named like Field.source: DRF's metaclass takes it off the class.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=REPORT_SOURCES, required=False, default=Signal.Source.PARTNER_REPORT
    )


def police_only(attrs: dict[str, Any], partner: Partner | None) -> None:
    """The law_enforcement source is the police's own: refused from any other partner."""
    if attrs["signal"]["source"] == Signal.Source.LAW_ENFORCEMENT and (
        partner is None or partner.kind != Partner.Kind.LAW_ENFORCEMENT
    ):
        raise serializers.ValidationError(
            {"signal": {"source": ["Only a law-enforcement partner reports as the police."]}},
            code="source_not_allowed",
        )


class ReportSerializer(serializers.Serializer):
    """One report: validated on its own, so that one bad report refuses only itself."""

    report_id = StrictCharField(
        max_length=REPORT_ID_MAX,
        help_text="Your id of this report. Sending it again returns the first answer and "
        "changes nothing.",
    )
    subject = ReportSubjectSerializer()
    account = ReportAccountSerializer(
        required=False, allow_null=True, default=None, help_text="Only for listings."
    )
    contacts = ReportContactsSerializer(required=False, default=dict)
    photos = serializers.ListField(
        child=ReportPhotoSerializer(), max_length=PHOTOS_MAX, required=False, default=list
    )
    signal = ReportSignalSerializer()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("account") and attrs["subject"]["kind"] != Subject.Kind.LISTING:
            raise serializers.ValidationError(
                {"account": ["Only a listing has an account that posted it."]},
                code="account_only_for_listings",
            )
        police_only(attrs, self.context.get("partner"))
        return attrs


def report_input(data: dict[str, Any]) -> ReportInput:
    """The intake service's input from a report's validated data."""
    contacts = data.get("contacts") or {}
    identifiers: dict[tuple[str, str], Normalized] = {}
    for field in CONTACT_FIELDS:
        for normalized in contacts.get(field, []):
            identifiers.setdefault((normalized.kind, normalized.value), normalized)
    account = data.get("account")
    return ReportInput(
        report_id=data["report_id"],
        subject=SubjectInput(**data["subject"]),
        account=AccountInput(**account) if account else None,
        scheme=data["signal"]["scheme"],
        explanation=data["signal"]["explanation"],
        score=data["signal"]["score"],
        source=data["signal"]["source"],
        identifiers=tuple(identifiers.values()),
        photos=tuple(
            PhotoInput(
                pdq_hash=p["hashes"].pdq_hash
                if p.get("hashes")
                else p["pdq"].value
                if p.get("pdq")
                else "",
                url=p.get("url", ""),
                quality=p["hashes"].pdq_quality if p.get("hashes") else None,
                dihedral=p["hashes"].dihedral if p.get("hashes") else (),
            )
            for p in data.get("photos", [])
        ),
    )


# --- reports of indicators alone -----------------------------------------------------------

INDICATOR_REPORT_KINDS = [
    IndicatorKind.PHONE,
    IndicatorKind.EMAIL,
    IndicatorKind.CARD,
    IndicatorKind.IBAN,
    IndicatorKind.DEVICE,
    IndicatorKind.URL,
    IndicatorKind.IIN,
]
INDICATORS_MAX = 20
# What a subject report carries and a report of indicators alone does not.
SUBJECT_REPORT_FIELDS = ("subject", "account", "contacts", "photos")


class StrictDateField(serializers.DateField):
    """A date as JSON carries it, a "YYYY-MM-DD" string: a number is refused (`invalid`)."""

    def to_internal_value(self, value: Any) -> date:
        if not isinstance(value, str):
            raise serializers.ValidationError("Give the date as YYYY-MM-DD.", code="invalid")
        return super().to_internal_value(value)


class ReportedIndicatorSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[(kind, IndicatorKind(kind).label) for kind in INDICATOR_REPORT_KINDS],
        help_text="phone, email, card, iban, device, url or iin (a Kazakh IIN or BIN).",
    )
    value = StrictCharField(
        max_length=512,
        trim_whitespace=False,
        help_text="In any usual notation; normalised as the lists do (cards and IINs are "
        "kept only as a keyed digest and their last four digits). A bad value refuses the "
        "report: `indicators.1.value: invalid_iban`.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            attrs["normalized"] = normalized_or_error(attrs["kind"], attrs["value"])
        except NormalizationError as exc:
            raise serializers.ValidationError({"value": [exc.message]}, code=exc.code) from exc
        return attrs


class FraudSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    amount = StrictIntegerField(
        min_value=0,
        max_value=PRICE_MAX,
        required=False,
        allow_null=True,
        default=None,
        help_text="What was lost, in tenge.",
    )
    occurred_on = StrictDateField(
        required=False, allow_null=True, default=None, help_text="When the fraud happened."
    )
    description = StrictCharField(
        max_length=EXPLANATION_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="What happened, for the moderators and the lists' reviewers.",
    )

    def validate_occurred_on(self, value: date | None) -> date | None:
        if value is not None and value > timezone.localdate():
            raise serializers.ValidationError("A fraud reported cannot lie ahead.", code="future")
        return value


class IndicatorSignalSerializer(serializers.Serializer):
    # A declared field named like Field.source: DRF's metaclass takes it off the class.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=[Signal.Source.PARTNER_REPORT, Signal.Source.LAW_ENFORCEMENT],
        required=False,
        default=Signal.Source.PARTNER_REPORT,
        help_text="`law_enforcement` from a law-enforcement partner only.",
    )
    score = StrictIntegerField(
        min_value=0,
        max_value=100,
        required=False,
        default=50,
        help_text="Your confidence; the signal on each subject carrying a value scores this.",
    )


class IndicatorReportSerializer(serializers.Serializer):
    """A report of values used in a fraud with no account or listing behind it, as a bank,
    a telecom or the police knows them. Validated on its own, like every report."""

    report_id = StrictCharField(
        max_length=REPORT_ID_MAX,
        help_text="Your id of this report. Sending it again returns the first answer and "
        "changes nothing.",
    )
    indicators = serializers.ListField(
        child=ReportedIndicatorSerializer(),
        min_length=1,
        max_length=INDICATORS_MAX,
        help_text="The values used in the fraud: each goes on the gray list with you among "
        "its supporters.",
    )
    fraud = FraudSerializer(help_text="The fraud they were used in: the entries' evidence.")
    signal = IndicatorSignalSerializer(
        required=False,
        # Taken as it is when the signal is left out: the nested defaults do not run then.
        default=lambda: {"source": Signal.Source.PARTNER_REPORT, "score": 50},
        help_text="How the report weighs on the subjects carrying its values.",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict) and any(name in data for name in SUBJECT_REPORT_FIELDS):
            raise serializers.ValidationError(
                {"indicators": ["A report carries a subject or indicators alone, not both."]},
                code="subject_or_indicators",
            )
        internal: dict[str, Any] = super().to_internal_value(data)
        return internal

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        police_only(attrs, self.context.get("partner"))
        return attrs


def is_indicator_report(item: Any) -> bool:
    """Whether a report item is one of indicators alone (else it reports a subject)."""
    return isinstance(item, dict) and "indicators" in item


def indicator_report_input(data: dict[str, Any]) -> IndicatorReportInput:
    """The intake service's input from a report of indicators' validated data: each value
    once, with its position in the report."""
    values: dict[tuple[str, str], tuple[int, Normalized]] = {}
    for position, item in enumerate(data["indicators"]):
        normalized: Normalized = item["normalized"]
        values.setdefault((normalized.kind, normalized.value), (position, normalized))
    fraud = data["fraud"]
    return IndicatorReportInput(
        report_id=data["report_id"],
        values=tuple(values.values()),
        scheme=fraud["scheme"],
        amount=fraud["amount"],
        occurred_on=fraud["occurred_on"],
        description=fraud["description"],
        source=data["signal"]["source"],
        score=data["signal"]["score"],
    )


class ReportBatchShapeSerializer(serializers.Serializer):
    """The batch's own shape; each item is then validated by ReportSerializer."""

    reports = serializers.ListField(child=AnyJSONField(allow_null=True), allow_empty=False)


class ReportBatchSerializer(serializers.Serializer):
    """The request as documented: each item a ReportSerializer."""

    reports = serializers.ListField(
        child=PolymorphicProxySerializer(
            component_name="ReportItem",
            serializers=[ReportSerializer, IndicatorReportSerializer],
            resource_type_field_name=None,
        ),
        min_length=1,
        max_length=1000,
        help_text="1 to 1,000 reports: of an account or listing (`subject`), or of "
        "indicators alone (`indicators`).",
    )


class IndicatorEntrySerializer(serializers.Serializer):
    """The list entry in force for a reported value after the report."""

    index = serializers.IntegerField(help_text="Position of the value in `indicators`.")
    kind = serializers.ChoiceField(choices=IndicatorKind.choices)
    display = serializers.CharField()
    list = serializers.ChoiceField(
        choices=[Indicator.List.BLACK, Indicator.List.GRAY],
        help_text="`gray`, or `black` when a moderator's decision already listed the value.",
    )
    created = serializers.BooleanField(
        help_text="False when an entry already covered the value: you now support it too."
    )
    entry = serializers.IntegerField(help_text="The entry's id, for disputes and feedback.")


class ReportAcceptedSerializer(serializers.Serializer):
    """A report stored. A report of a subject answers with the subject and its case; a
    report of indicators alone with the list entries (`entries`) and the values refused on
    their own (`errors`)."""

    index = serializers.IntegerField(help_text="Position of the report in the request.")
    report_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["accepted"])
    subject_id = serializers.IntegerField(required=False, help_text="Reports of a subject.")
    subject_status = serializers.ChoiceField(choices=Subject.Status.choices, required=False)
    case_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Null when the subject is already blocked or removed.",
    )
    risk_score = serializers.IntegerField(required=False, allow_null=True)
    list_matches = ListMatchSerializer(many=True, required=False)
    entries = IndicatorEntrySerializer(
        many=True, required=False, help_text="Reports of indicators: one per value listed."
    )
    # A declared field, not Serializer.errors: DRF's metaclass takes it off the class.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=FieldErrorSerializer(many=True),
        required=False,
        help_text="Reports of indicators: the values refused on their own "
        "(`indicators.2.value: value_cleared`, a value vetted as honest); the others stand.",
    )


class ReportRejectedSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    report_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["rejected"])
    # A declared field, not Serializer.errors: DRF's metaclass takes it off the class.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=FieldErrorSerializer(many=True),
        help_text="Field path (`contacts.phones.1`) → why it was refused.",
    )


class ReportBatchResponseSerializer(serializers.Serializer):
    results = PolymorphicProxySerializer(
        component_name="ReportResult",
        serializers={"accepted": ReportAcceptedSerializer, "rejected": ReportRejectedSerializer},
        resource_type_field_name="status",
        many=True,
        help_text="One per report, in the order sent.",
    )
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()


# --- cases --------------------------------------------------------------------------------


class CaseSubjectSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Subject.Kind.choices)
    external_id = serializers.CharField()


class AppealStateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Appeal.Status.choices)
    filed_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class CaseDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=Decision.Action.choices)
    policy = serializers.CharField(source="policy.code", help_text="Code in the policy catalogue.")
    policy_version = serializers.IntegerField(
        source="policy.version",
        help_text="The version of the policy the decision cited: its text is at "
        "/policies/{policy}/v{policy_version}/, whatever version is in effect now.",
    )
    decided_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When a time-limited block lifts itself; null for a permanent block and "
        "for every other action.",
    )
    statement_of_reasons = serializers.CharField(help_text="Show it to your user.")
    appeal_url = serializers.SerializerMethodField(
        help_text="Where your user may appeal; null for decisions that cannot be appealed."
    )
    reversed = serializers.SerializerMethodField(help_text="Overturned on appeal.")
    reversed_at = serializers.DateTimeField(allow_null=True)
    appeal = serializers.SerializerMethodField(
        help_text="The user's appeal against this decision, null when none was filed."
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_appeal_url(self, decision: Decision) -> str | None:
        if not decision.is_appealable:
            return None
        return appeal_url(decision_id=decision.pk, decided_at=decision.decided_at)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_reversed(self, decision: Decision) -> bool:
        # Annotated by the query (reviews.api.views.cases_for_api).
        return getattr(decision, "reversed_at", None) is not None

    @extend_schema_field(AppealStateSerializer(allow_null=True))
    def get_appeal(self, decision: Decision) -> dict[str, Any] | None:
        try:
            appeal = decision.appeal
        except Appeal.DoesNotExist:
            return None
        return AppealStateSerializer(appeal).data


class CaseSignalSerializer(serializers.Serializer):
    # A declared field named like Field.source: DRF's metaclass takes it off the class.
    source = serializers.ChoiceField(choices=Signal.Source.choices)  # type: ignore[assignment]
    rule = serializers.CharField(help_text="The detection rule's code; empty for reports.")
    rule_version = serializers.IntegerField(allow_null=True)
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    score = serializers.IntegerField()
    weight = serializers.FloatField(
        help_text="How much the score counts: a partner's reports weigh by how often its past "
        "reports were upheld; rules weigh 1."
    )
    shadow = serializers.BooleanField(
        help_text="Raised by a rule on trial: shown, never counted in the risk."
    )
    contribution = serializers.SerializerMethodField(
        help_text="The chance (0–1) this signal stands for in the risk score."
    )
    explanation = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.FLOAT)
    def get_contribution(self, signal: Signal) -> float:
        return round(signal_contribution(signal), 3)

    @extend_schema_field(OpenApiTypes.STR)
    def get_explanation(self, signal: Signal) -> str:
        return signal_explanation(signal, "en")


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = CaseSubjectSerializer()
    status = serializers.ChoiceField(choices=Case.Status.choices)
    scheme = serializers.ChoiceField(choices=Scheme.choices)
    risk_score = serializers.IntegerField(
        help_text="0–100: 100 × (1 − Π(1 − score × weight / 100)) over the counted signals."
    )
    ring_size = serializers.IntegerField(
        help_text="How many subjects, on every partner, are linked with this one into a ring "
        "by shared contacts, devices and photos (1: none)."
    )
    signals = CaseSignalSerializer(many=True, source="api_signals")
    opened_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision = serializers.SerializerMethodField(
        help_text="The case's decision (the latest, not counting reversals), or null while "
        "undecided. `reversed` says whether it was overturned on appeal."
    )

    @extend_schema_field(CaseDecisionSerializer(allow_null=True))
    def get_decision(self, case: Case) -> dict[str, Any] | None:
        # Prefetched newest first, reversals left out (reviews.api.views.cases_for_api).
        decisions: list[Decision] = getattr(case, "api_decisions", [])
        return CaseDecisionSerializer(decisions[0]).data if decisions else None
