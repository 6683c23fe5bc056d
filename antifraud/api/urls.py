"""/api/v1/ endpoints of the fraud-intelligence core."""

from __future__ import annotations

from django.urls import path

from antifraud.api import views

urlpatterns = [
    path("lookup/", views.LookupApi.as_view(), name="api-lookup"),
    path("indicators/", views.IndicatorProposeApi.as_view(), name="api-indicators"),
    path("events/", views.EventListApi.as_view(), name="api-events"),
]
