"""Root URLconf: wires every app's pages and endpoints together."""

from django.contrib import admin
from django.urls import include, path

from antifraud import views as antifraud_views

urlpatterns = [
    path("healthz", antifraud_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("reviews.urls")),
]
