"""Filters of the lists page (django-filter)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Partner
from antifraud.models import DIGESTED_KINDS, Indicator, IndicatorKind, Scheme
from antifraud.normalize import NormalizationError, normalize

SEARCH_MAX = 200
# The days the listed-from and listed-to filters may name: far beyond them a day's bounds
# overflow a datetime.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


def value_search(text: str) -> Q:
    """Entries whose value is `text` in any writing: the text normalised as each kind (a
    phone in any format, an e-mail with look-alike characters, an IBAN with spaces, a card
    or IIN number as its keyed digest), or part of what the entries show."""
    text = text.strip()[:SEARCH_MAX]
    exact = []
    for kind in IndicatorKind.values:
        with contextlib.suppress(NormalizationError):
            exact.append(Q(kind=kind, value=normalize(kind, text).value))
    # Part of the value too, but never of a digest: that would be guessing at card numbers.
    partial = Q(display__icontains=text) | (Q(value__icontains=text) & ~Q(kind__in=DIGESTED_KINDS))
    return reduce(or_, exact, partial)


class ListFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("listed_from", "listed_to"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(
                    name,
                    _("Choose a day from %(first)s to %(last)s.")
                    % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()},
                )
        return data


class IndicatorFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Value, in any writing"), method="filter_value", max_length=SEARCH_MAX
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=IndicatorKind.choices)
    list = django_filters.ChoiceFilter(label=_("List"), choices=Indicator.List.choices)
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=Indicator.State.choices, method="filter_state"
    )
    scheme = django_filters.ChoiceFilter(label=_("Scheme"), choices=Scheme.choices)
    partner = django_filters.ModelChoiceFilter(
        label=_("Proposed by"),
        field_name="partner",
        to_field_name="slug",
        queryset=Partner.objects.order_by("name"),
        empty_label=_("any partner"),
    )
    origin = django_filters.ChoiceFilter(label=_("Origin"), choices=Indicator.Origin.choices)
    listed_from = django_filters.DateFilter(
        label=_("Listed from"),
        method="filter_listed_from",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    listed_to = django_filters.DateFilter(
        label=_("Listed until"),
        method="filter_listed_to",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    class Meta:
        model = Indicator
        form = ListFilterForm
        fields: list[str] = []

    def filter_value(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value.strip():
            return queryset
        return queryset.filter(value_search(value))

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(pk__in=Indicator.objects.in_state(value).values("pk"))

    def filter_listed_from(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(listed_at__gte=_day_start(value))

    def filter_listed_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        # The last day included: up to the start of the day after it.
        return queryset.filter(listed_at__lt=_day_start(value + timedelta(days=1)))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
