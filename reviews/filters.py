"""Filters of a queue's case list (django-filter)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Partner, User
from antifraud.access import partners_in_scope
from antifraud.models import Category, Scheme, Subject, SubjectIdentifier
from antifraud.normalize import NormalizationError, normalize_phone
from reviews.models import Case

TEXT_MAX = 200


class CaseFilter(django_filters.FilterSet):
    partner = django_filters.ModelChoiceFilter(
        label=_("Partner"),
        field_name="partner",
        to_field_name="slug",
        queryset=Partner.objects.none(),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), field_name="subject_kind", choices=Subject.Kind.choices
    )
    scheme = django_filters.ChoiceFilter(label=_("Scheme"), choices=Scheme.choices)
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(s, label) for s, label in Case.Status.choices if s != Case.Status.DECIDED],
    )
    risk_min = django_filters.NumberFilter(
        label=_("Risk from"), field_name="risk_score", lookup_expr="gte"
    )
    risk_max = django_filters.NumberFilter(
        label=_("Risk to"), field_name="risk_score", lookup_expr="lte"
    )
    older_than_hours = django_filters.NumberFilter(
        label=_("Older than (hours)"), method="filter_older"
    )
    newer_than_hours = django_filters.NumberFilter(
        label=_("Newer than (hours)"), method="filter_newer"
    )
    city = django_filters.CharFilter(
        label=_("City"), field_name="subject__city", lookup_expr="iexact"
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), field_name="subject__category", choices=Category.choices
    )
    price_min = django_filters.NumberFilter(
        label=_("Price from"), field_name="subject__price", lookup_expr="gte"
    )
    price_max = django_filters.NumberFilter(
        label=_("Price to"), field_name="subject__price", lookup_expr="lte"
    )
    q = django_filters.CharFilter(label=_("Title, text or contact"), method="filter_text")

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["partner"].queryset = partners_in_scope(user)

    def filter_older(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(opened_at__lte=timezone.now() - timedelta(hours=float(value)))

    def filter_newer(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(opened_at__gte=timezone.now() - timedelta(hours=float(value)))

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()[:TEXT_MAX]
        if not value:
            return queryset
        exact = {value.lower()}
        with contextlib.suppress(NormalizationError):
            exact.add(normalize_phone(value).value)
        contacts = SubjectIdentifier.objects.filter(
            Q(value__in=exact) | Q(display__icontains=value)
        ).values("subject_id")
        return queryset.filter(
            Q(subject__title__icontains=value)
            | Q(subject__text__icontains=value)
            | Q(subject__external_id=value)
            | Q(subject_id__in=contacts)
            | Q(subject__account_id__in=contacts)
        )
