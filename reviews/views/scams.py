"""The scam-awareness page."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from antifraud.access import public_page


@public_page
def scams_page(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404

@public_page
def scams_print_page(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404
