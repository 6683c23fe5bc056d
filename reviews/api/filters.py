"""Filters of the partner API's case list (django-filter)."""

from __future__ import annotations

import django_filters
from django import forms

from antifraud.models import Scheme, Subject
from reviews.models import Case


class StrictFilterForm(forms.Form):
    """A filter given with an empty value is refused rather than ignored, so that
    `?updated_since=` never silently returns every case."""

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in self.fields:
            if name in self.data and not self.data.get(name, "").strip():
                self.add_error(
                    name, forms.ValidationError("This filter may not be blank.", code="blank")
                )
        return cleaned


class PartnerCaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Case.Status.choices)
    scheme = django_filters.ChoiceFilter(choices=Scheme.choices)
    kind = django_filters.ChoiceFilter(
        field_name="subject_kind", choices=Subject.Kind.choices, help_text="account or listing"
    )
    external_id = django_filters.CharFilter(
        field_name="subject__external_id", max_length=128, help_text="Your id of the subject."
    )
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="ISO 8601, e.g. 2026-11-21T10:00:00+05:00: cases changed since then.",
    )

    class Meta:
        model = Case
        fields: list[str] = []
        form = StrictFilterForm
