"""/api/v1/ endpoints of the fraud-intelligence core."""

from __future__ import annotations

from django.urls import path

import antifraud.converters  # noqa: F401 - registers <id:…>
from antifraud.api import registry_views, views

urlpatterns = [
    path("lookup/", views.LookupApi.as_view(), name="api-lookup"),
    path("indicators/", views.IndicatorProposeApi.as_view(), name="api-indicators"),
    path(
        "indicators/feedback/",
        registry_views.IndicatorFeedbackApi.as_view(),
        name="api-indicator-feedback",
    ),
    path(
        "indicators/reassignments/",
        registry_views.PhoneReassignmentApi.as_view(),
        name="api-indicator-reassignments",
    ),
    path(
        "indicators/<id:id>/withdraw/",
        registry_views.IndicatorWithdrawApi.as_view(),
        name="api-indicator-withdraw",
    ),
    path(
        "indicators/<id:id>/disputes/",
        registry_views.IndicatorDisputeApi.as_view(),
        name="api-indicator-disputes",
    ),
    path("events/", views.EventListApi.as_view(), name="api-events"),
]
