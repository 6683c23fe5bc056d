"""/api/v1/ endpoints of reviews: reports in, cases out."""

from __future__ import annotations

from django.urls import path

import antifraud.converters  # noqa: F401 - registers <id:…>
from reviews.api import views

case_list = views.CaseViewSet.as_view({"get": "list"})
case_detail = views.CaseViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("reports/", views.ReportCreateApi.as_view(), name="api-reports"),
    path("cases/", case_list, name="api-case-list"),
    path("cases/<id:id>/", case_detail, name="api-case-detail"),
]
