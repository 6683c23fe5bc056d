"""The statement-of-reasons export for supervisors (`/oversight/statements/`): a page that
takes a date range and offers the range's statements as CSV and as JSON, in the layout of
the EU DSA Transparency Database (reviews.statements).

Supervisors and administrators (`reviews.export_statements`), each partner's staff their own
partner's decisions, the hub's every partner's. A download is recorded in the audit trail
(`statements.exported`) when it starts, before its first row is read; a bad range is refused
whole (400), never half a file.
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.http import StaffRequest
from antifraud.access import staff_page
from antifraud.csv_export import csv_response
from antifraud.errors import DomainError, raise_for_page
from reviews.statements import (
    FIELDS,
    MAX_DAYS,
    PERMISSION,
    Span,
    SpanForm,
    csv_values,
    json_chunks,
    last_month,
    statement_count,
    statement_decisions,
    statements,
    statements_export_record,
)

EXPORT = ("reviews.view_decision", PERMISSION)


@staff_page(*EXPORT)
@require_GET
def statements_page(request: StaffRequest) -> HttpResponse:
    asked = "from" in request.GET or "to" in request.GET
    offered = last_month()
    form = SpanForm(
        request.GET if asked else None,
        initial={"from": offered.first, "to": offered.last},
    )
    span: Span | None = offered
    if asked:
        span = form.span() if form.is_valid() else None
    context = {
        "form": form,
        "span": span,
        "max_days": MAX_DAYS,
        "count": statement_count(user=request.user, span=span) if span else None,
    }
    return render(request, "oversight/statements.html", context, status=200 if span else 400)


def _export(request: StaffRequest, file_format: str) -> HttpResponse | StreamingHttpResponse:
    form = SpanForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(form.one_line(), content_type="text/plain; charset=utf-8")
    span = form.span()
    try:
        statements_export_record(actor=request.user, span=span, file_format=file_format)
    except DomainError as error:
        raise_for_page(error)
        raise
    rows = statements(statement_decisions(user=request.user, span=span))
    name = f"statements-{span.first.isoformat()}-{span.last.isoformat()}.{file_format}"
    if file_format == "csv":
        return csv_response(name, FIELDS, (csv_values(row) for row in rows))
    response = StreamingHttpResponse(
        json_chunks(rows), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@staff_page(*EXPORT)
@require_GET
def statements_export_csv(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, "csv")


@staff_page(*EXPORT)
@require_GET
def statements_export_json(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, "json")
