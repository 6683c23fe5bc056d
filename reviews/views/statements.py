"""The statement-of-reasons export for supervisors."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from antifraud.access import public_page


@public_page
def statements_page(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404

@public_page
def statements_export_csv(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404

@public_page
def statements_export_json(request: HttpRequest, **kwargs: object) -> HttpResponse:  # placeholder, being built
    raise Http404
