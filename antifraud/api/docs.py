"""The OpenAPI document and its two offline viewers (Swagger UI, Redoc), served from
drf-spectacular-sidecar's static files, never from a CDN.

The site's Content-Security-Policy forbids inline scripts and styles. These two pages are
relaxed one directive at a time, only as far as each viewer needs, and only on its own
responses (django-csp's per-view `csp_update`):

- Swagger UI, served by the split view (its init script is a separate file), has one inline
  `<style>` block in its template: that exact block is allowed by its hash.
- Redoc styles itself with styled-components, which inject `<style>` elements at run time,
  so its page allows inline styles (never inline scripts); its search runs in a web worker
  created from a blob. drf-spectacular's own Redoc template loads Google Fonts and may add an
  inline script, so this page renders its own, smaller template. Redoc's bundle also shows
  its maker's logo from cdn.redoc.ly, which the policy blocks: the bundle is served with that
  one URL replaced by an empty image, so the page loads nothing from elsewhere.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template import engines
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.request import Request

from antifraud.access import public_page

_INLINE_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)

REDOC_PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <title>{{ title }}</title>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <link rel="icon" href="{{ favicon_href }}">
  </head>
  <body>
    <redoc spec-url="{{ schema_url }}"></redoc>
    <script src="{{ redoc_script }}"></script>
  </body>
</html>
"""


def csp_hash_inline_styles(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Allow exactly the inline `<style>` blocks of the page the view renders, by hash."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponse):
            return response  # a streamed answer has no page to scan
        if hasattr(response, "render"):
            response.render()
        content = response.content.decode(response.charset or "utf-8")
        hashes = [
            f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
            for block in _INLINE_STYLE.findall(content)
        ]
        if not hashes or "text/html" not in response.get("Content-Type", ""):
            return response
        # django-csp's decorator, applied to this one response now that its styles are known.
        return csp_update({"style-src": hashes})(lambda *_: response)(request)

    return wrapped


class ApiRedocView(SpectacularRedocView):
    """drf-spectacular's Redoc view with a template that loads nothing from elsewhere."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        page = engines["django"].from_string(REDOC_PAGE)
        context = {
            "title": self.title,
            "favicon_href": SpectacularSwaggerSplitView()._swagger_ui_favicon(),
            "redoc_script": reverse("api-redoc-script"),
            "schema_url": self._get_schema_url(request),
        }
        return HttpResponse(page.render(context, request))


REDOC_LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@functools.cache
def _redoc_bundle() -> bytes:
    path = finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")
    if not isinstance(path, str):
        raise RuntimeError("drf-spectacular-sidecar's Redoc bundle is not installed")
    with open(path, "rb") as bundle:
        return bundle.read().replace(REDOC_LOGO_URL.encode(), EMPTY_IMAGE.encode())


@public_page
@require_GET
def redoc_script(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_redoc_bundle(), content_type="application/javascript")
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


# Only DRF views appear in the document: the site's pages are plain Django views.
schema_view = public_page(SpectacularAPIView.as_view())
swagger_view = public_page(
    csp_hash_inline_styles(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))
)
redoc_view = public_page(
    csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
        ApiRedocView.as_view(url_name="api-schema")
    )
)
