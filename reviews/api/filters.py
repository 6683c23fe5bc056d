"""Filters of the partner API's case list (django-filter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from antifraud.models import Scheme, Subject
from reviews.models import Case


class StrictFilterForm(forms.Form):
    """A filter given with an empty value is refused rather than ignored, so that
    `?updated_since=` never silently returns every case."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.fields:
            if name in self.data and not self.data.get(name, "").strip():
                self.add_error(
                    name, forms.ValidationError("This filter may not be blank.", code="blank")
                )
        return cleaned


# The widest offsets in use anywhere (UTC-12:00 to UTC+14:00); PostgreSQL refuses anything
# beyond ±15:59, so a wider one must be a 400 here, not a database error.
OFFSET_MAX = timedelta(hours=14)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time with a real-world UTC offset, given to the database in UTC."""

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        offset = parsed.utcoffset()
        if offset is not None and abs(offset) > OFFSET_MAX:
            raise forms.ValidationError(
                "The UTC offset must be between -14:00 and +14:00.", code="invalid"
            )
        try:
            return parsed.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError("The date is out of range.", code="invalid") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class PartnerCaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Case.Status.choices)
    scheme = django_filters.ChoiceFilter(choices=Scheme.choices)
    kind = django_filters.ChoiceFilter(
        field_name="subject_kind", choices=Subject.Kind.choices, help_text="account or listing"
    )
    external_id = django_filters.CharFilter(
        field_name="subject__external_id", max_length=128, help_text="Your id of the subject."
    )
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="ISO 8601, e.g. 2026-11-21T10:00:00+05:00: cases changed since then.",
    )

    class Meta:
        model = Case
        fields: list[str] = []
        form = StrictFilterForm
