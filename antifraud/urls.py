"""Root URLconf: wires every app's pages and endpoints together (the one module, with the
Celery app, that sits above accounts, antifraud and reviews)."""

from django.contrib import admin
from django.urls import include, path, re_path

from antifraud import views as antifraud_views
from antifraud.api import docs
from antifraud.api.views import api_not_found

api_v1 = [
    path("", include("antifraud.api.urls")),
    path("", include("reviews.api.urls")),
]

# Refusals in the site's layout (a bare "403 Forbidden" page had no way back).
handler403 = "antifraud.views.refused"
handler404 = "antifraud.views.not_found"

urlpatterns = [
    path("healthz", antifraud_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", docs.schema_view, name="api-schema"),
    path("api/docs/", docs.swagger_view, name="api-docs"),
    path("api/docs/redoc/", docs.redoc_view, name="api-redoc"),
    path("api/docs/redoc/redoc.js", docs.redoc_script, name="api-redoc-script"),
    # Any other path under /api/ answers a JSON 404, not the site's HTML page.
    re_path(r"^api/", api_not_found),
    path("", include("accounts.urls")),
    path("", include("antifraud.page_urls")),
    path("", include("reviews.urls")),
]
