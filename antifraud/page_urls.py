"""The core's pages for staff, included from the root URLconf (`antifraud.urls`)."""

from django.urls import path

from antifraud import views

urlpatterns = [
    path("deliveries/", views.deliveries_page, name="deliveries"),
    path("deliveries/<int:delivery_id>/retry/", views.delivery_retry_view, name="delivery-retry"),
]
