"""The core's pages for staff, included from the root URLconf (`antifraud.urls`)."""

from django.urls import path

import antifraud.converters  # noqa: F401 - registers <id:…>
from antifraud import views, views_detection, views_lists
from reviews.rule_stats import rule_performance
from reviews.selectors import decision_case_id

# The rules page shows how the cases each rule raised were decided, which only the reviews
# app knows. URL wiring sits above the apps, as the root URLconf does, and hands the view
# that function: the view itself (antifraud) never imports reviews.
RULE_FIGURES = {"figures": rule_performance}
# Likewise a list entry's page links a decision to the case it was made on.
DECISION_CASE = {"decision_case": decision_case_id}

urlpatterns = [
    path("language/", views.language_set, name="language-set"),
    path("deliveries/", views.deliveries_page, name="deliveries"),
    path("deliveries/<id:delivery_id>/retry/", views.delivery_retry_view, name="delivery-retry"),
    path("detection/rules/", views_detection.rules_page, RULE_FIGURES, name="detection-rules"),
    path(
        "detection/rules/<str:code>/",
        views_detection.detection_rule_change,
        RULE_FIGURES,
        name="detection-rule-change",
    ),
    path("lists/", views_lists.lists_page, name="lists"),
    path("lists/<id:indicator_id>/", views_lists.entry_page, DECISION_CASE, name="list-entry"),
    path(
        "lists/<id:indicator_id>/dispute/",
        views_lists.entry_dispute,
        DECISION_CASE,
        name="list-entry-dispute",
    ),
    path(
        "lists/<id:indicator_id>/promote/",
        views_lists.entry_promote,
        DECISION_CASE,
        name="list-entry-promote",
    ),
    path(
        "lists/<id:indicator_id>/revoke/",
        views_lists.entry_revoke,
        DECISION_CASE,
        name="list-entry-revoke",
    ),
    path(
        "lists/<id:indicator_id>/release/",
        views_lists.entry_release,
        DECISION_CASE,
        name="list-entry-release",
    ),
    path(
        "lists/disputes/<id:dispute_id>/resolve/",
        views_lists.dispute_resolve_view,
        DECISION_CASE,
        name="list-dispute-resolve",
    ),
]
