"""The project's URLs plus the baseline view."""

from django.http import JsonResponse
from django.urls import path

from antifraud.urls import urlpatterns as project_urls


def minimal(request):
    """The least a Django view can do: the baseline for the look-up's latency."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/minimal/", minimal), *project_urls]
