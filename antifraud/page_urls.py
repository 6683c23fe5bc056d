"""The core's pages for staff, included from the root URLconf (`antifraud.urls`)."""

from django.urls import path

import antifraud.converters  # noqa: F401 - registers <id:…>
from antifraud import views, views_detection
from reviews.rule_stats import rule_performance

# The rules page shows how the cases each rule raised were decided, which only the reviews
# app knows. URL wiring sits above the apps, as the root URLconf does, and hands the view
# that function: the view itself (antifraud) never imports reviews.
RULE_FIGURES = {"figures": rule_performance}

urlpatterns = [
    path("deliveries/", views.deliveries_page, name="deliveries"),
    path("deliveries/<id:delivery_id>/retry/", views.delivery_retry_view, name="delivery-retry"),
    path("detection/rules/", views_detection.rules_page, RULE_FIGURES, name="detection-rules"),
    path(
        "detection/rules/<str:code>/",
        views_detection.detection_rule_change,
        RULE_FIGURES,
        name="detection-rule-change",
    ),
]
