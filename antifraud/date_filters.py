"""A date range for the filters of the supervisors' logs (django-filter): from one day to
another, both included, in the site's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The days a range may name: far beyond them a day's bounds overflow a datetime.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class DateRangeForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(
                    name,
                    _("Choose a day from %(first)s to %(last)s.")
                    % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()},
                )
        first, last = data.get("date_from"), data.get("date_to")
        if first is not None and last is not None and first > last:
            self.add_error("date_to", _("The last day comes before the first."))
        return data


def _day_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateRangeFilterSet(django_filters.FilterSet):
    """A FilterSet with `date_from` and `date_to` over the model's `date_field`."""

    date_field = ""

    date_from = django_filters.DateFilter(
        label=_("From"), method="filter_date_from", widget=_day_widget()
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), method="filter_date_to", widget=_day_widget()
    )

    class Meta:
        form = DateRangeForm
        fields: list[str] = []

    def filter_date_from(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(**{f"{self.date_field}__gte": day_start(value)})

    def filter_date_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        # The last day included: up to the start of the day after it.
        return queryset.filter(**{f"{self.date_field}__lt": day_start(value + timedelta(days=1))})

    def applied(self) -> dict[str, str]:
        """The filters as sent (valid ones only), for the record of an export."""
        data = self.form.cleaned_data if self.form.is_bound and self.is_valid() else {}
        sent = {}
        for name in self.filters:
            value = self.data.get(name, "")
            if data.get(name) not in (None, "") and value:
                sent[name] = str(value)[:200]
        return sent

    def date_range(self) -> dict[str, str | None]:
        data = self.form.cleaned_data if self.is_valid() else {}
        first, last = data.get("date_from"), data.get("date_to")
        return {
            "from": first.isoformat() if first else None,
            "to": last.isoformat() if last else None,
        }
