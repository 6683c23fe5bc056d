"""The scam-awareness page and its printable version: open to anyone, in English, Russian
and Kazakh, drawn from the monthly figures (reviews.transparency.scams) and served from the
public pages' cache."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from antifraud.access import public_page
from reviews.public_site import page_context, public_page_cached
from reviews.transparency.advice import GENERAL_ADVICE
from reviews.transparency.scams import scam_months, scams_overview


def _scams(request: HttpRequest, *, name: str, template: str) -> HttpResponse:
    months = scam_months()

    def render_page(language: str) -> HttpResponse:
        return render(
            request,
            template,
            {
                **page_context(section="scams", language=language, path=request.path),
                "overview": scams_overview(months=months, language=language),
                "general_advice": GENERAL_ADVICE,
            },
        )

    return public_page_cached(
        request, name=name, parts=[month.isoformat() for month in months], render_page=render_page
    )


@public_page
@require_safe
def scams_page(request: HttpRequest) -> HttpResponse:
    return _scams(request, name="scams", template="public/scams.html")


@public_page
@require_safe
def scams_print_page(request: HttpRequest) -> HttpResponse:
    return _scams(request, name="scams-print", template="public/scams_print.html")
