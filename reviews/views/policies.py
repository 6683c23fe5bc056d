"""The published policy catalogue and its version history."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from antifraud.access import public_page


@public_page
def policies_page(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404

@public_page
def policy_page(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404

@public_page
def policy_version_page(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404
