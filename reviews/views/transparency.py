"""The monthly transparency report and its figures."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from antifraud.access import public_page


@public_page
def transparency_page(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404

@public_page
def figures_csv(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404

@public_page
def figures_json(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404
