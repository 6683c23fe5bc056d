"""The core's pages for staff, included from the root URLconf (`antifraud.urls`)."""

from django.urls import path

import antifraud.converters  # noqa: F401 - registers <id:…>
from antifraud import views

urlpatterns = [
    path("deliveries/", views.deliveries_page, name="deliveries"),
    path("deliveries/<id:delivery_id>/retry/", views.delivery_retry_view, name="delivery-retry"),
]
