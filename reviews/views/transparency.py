"""The monthly transparency report and its downloads: open to anyone, in English, Russian
and Kazakh, read from the pre-computed monthly figures with the small ones withheld
(reviews.transparency.report) and served from the public pages' cache; its charts are
inline SVG (reviews.transparency.charts), each beside the table of its numbers.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from antifraud.access import public_page
from antifraud.models import Indicator, Scheme, Signal
from reviews.public_site import page_context, public_page_cached
from reviews.transparency import min_count
from reviews.transparency.charts import Row, TrendRow, bars, month_name, months_chart, shown
from reviews.transparency.compute import local_month, month_parse
from reviews.transparency.report import (
    Figure,
    MonthReport,
    Report,
    Section,
    figures_report,
    months_with_figures,
)

MONTHS_SHOWN = 12

# Why the month shown is not the one asked for.
BAD_MONTH = "bad"
NO_FIGURES = "missing"


def _month_chosen(request: HttpRequest) -> tuple[date | None, str]:
    """The month to show (the latest month that has ended and has figures — a month under
    way is shown when asked for, or when it is all there is — unless another with figures
    is asked for) and, when it is not the one asked for, why."""
    months = months_with_figures()
    under_way = local_month(timezone.now())
    ended = [m for m in months if m < under_way]
    latest = ended[0] if ended else (months[0] if months else None)
    asked = request.GET.get("month", "")
    if not asked:
        return latest, ""
    month = month_parse(asked)
    if month is None:
        return latest, BAD_MONTH
    return (month, "") if month in months else (latest, NO_FIGURES)


# --- the page -------------------------------------------------------------------------


def _rows(section: Section, items: list[tuple[str, str, str, str]], least: int) -> list[Row]:
    """(label, metric, key, unit) → rows of a table."""
    return [
        Row(label, section.figure(metric, key), shown(section.figure(metric, key), least, unit))
        for label, metric, key, unit in items
    ]


def _section(section: Section, report: Report, since: date) -> dict[str, object]:
    """What the page shows of one section; the months before `since` (the first with
    figures) are left out of the trend."""
    least = report.min_count
    month = report.current
    sources = dict(Signal.Source.choices)
    schemes = dict(Scheme.choices)
    reports = _rows(
        section,
        [(str(sources.get(k, k)), "reports", k, "") for k in month.keys["reports"]],
        least,
    )
    scheme_rows = [
        (str(schemes.get(k, k)), section.figure("blocked", k), section.figure("removed", k))
        for k in month.keys["blocked"]
    ]
    trend = []
    for earlier in report.months:
        if earlier.month < since:
            continue
        own = earlier.section(section.partner_id)
        blocked = own.figure("blocked") if own else Figure(0)
        removed = own.figure("removed") if own else Figure(0)
        trend.append(
            TrendRow(
                month=earlier.month,
                name=month_name(earlier.month),
                blocked=blocked,
                removed=removed,
                blocked_text=shown(blocked, least),
                removed_text=shown(removed, least),
            )
        )
    return {
        "title": _("All partners") if section.is_all else section.name,
        "anchor": "all-partners" if section.is_all else f"partner-{section.slug}",
        "reports": reports,
        "reports_total": shown(section.figure("reports"), least),
        "reports_chart": bars(reports),
        "any_reports": not section.figure("reports").is_zero,
        "any_trend": any(not (row.blocked.is_zero and row.removed.is_zero) for row in trend),
        "schemes": [
            (label, shown(b, least), shown(r, least))
            for label, b, r in scheme_rows
            if not (b.is_zero and r.is_zero)
        ],
        "schemes_total": (
            shown(section.figure("blocked"), least),
            shown(section.figure("removed"), least),
        ),
        "trend": trend,
        "trend_chart": months_chart(trend),
        "decisions": _rows(
            section,
            [
                (_("Decisions"), "decisions", "", ""),
                (
                    _("Share raised by automated detection"),
                    "automated_detection_share",
                    "",
                    "share",
                ),
                (_("Share decided by people"), "decided_by_people_share", "", "share"),
            ],
            least,
        ),
        "appeals": _rows(
            section,
            [
                (_("Appeals filed"), "appeals_filed", "", ""),
                (_("Appeals upheld"), "appeals_upheld", "", ""),
                (_("Appeals overturned"), "appeals_overturned", "", ""),
                (_("Median time from filing to outcome"), "appeal_hours_median", "", "hours"),
            ],
            least,
        ),
        "lists": _rows(
            section,
            [
                (_("Entries put on the black list"), "entries_listed", Indicator.List.BLACK, ""),
                (_("Entries put on the gray list"), "entries_listed", Indicator.List.GRAY, ""),
                (_("Disputes opened"), "entries_disputed", "", ""),
                (_("Entries revoked"), "entries_revoked", "", ""),
            ],
            least,
        ),
        "sync": _rows(
            section,
            [
                (
                    _("Median time from a decision until every partner has it"),
                    "sync_minutes_median",
                    "",
                    "minutes",
                ),
                (_("Decisions whose events are still being delivered"), "sync_pending", "", ""),
            ],
            least,
        ),
    }


def _page(request: HttpRequest, month: date | None, note: str, language: str) -> HttpResponse:
    query = f"month={month:%Y-%m}&" if month else ""
    context: dict[str, object] = {
        **page_context(section="transparency", language=language, path=request.path, query=query),
        "month": month,
        "note": note,
        "min_count": min_count(),
        "min_count_below": min_count() - 1,
        "interval_minutes": max(1, round(settings.TRANSPARENCY_INTERVAL_SECONDS / 60)),
    }
    every_month = months_with_figures()
    since = every_month[-1] if every_month else date.min
    months = every_month[:MONTHS_SHOWN]
    context["months"] = [
        {"value": f"{m:%Y-%m}", "name": month_name(m), "current": m == month} for m in months
    ]
    if month is not None:
        report = figures_report(month=month, months=MONTHS_SHOWN)
        current: MonthReport = report.current
        context.update(
            month_name=month_name(month),
            month_value=f"{month:%Y-%m}",
            in_progress=month == local_month(timezone.now()),
            computed_at=current.computed_at,
            sections=[_section(section, report, since) for section in current.sections],
        )
    return render(request, "public/transparency.html", context)


@public_page
@require_safe
def transparency_page(request: HttpRequest) -> HttpResponse:
    month, note = _month_chosen(request)
    return public_page_cached(
        request,
        name="transparency",
        parts=[month.isoformat() if month else "none", note],
        render_page=lambda language: _page(request, month, note, language),
    )


# --- the downloads ----------------------------------------------------------------------

CSV_HEADER = ("month", "partner", "metric", "key", "value", "suppressed")


def _report(month: date | None) -> Report | None:
    return figures_report(month=month) if month is not None else None


def _csv(month: date | None) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    report = _report(month)
    for figure in report.published() if report else ():
        writer.writerow(
            (
                f"{figure.month:%Y-%m}",
                figure.partner,
                figure.metric,
                figure.key,
                "" if figure.value is None else figure.value,
                "true" if figure.suppressed else "false",
            )
        )
    return HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")


def _json(month: date | None) -> HttpResponse:
    report = _report(month)
    computed_at = report.current.computed_at if report else None
    body = {
        "month": f"{month:%Y-%m}" if month else None,
        "min_count": min_count(),
        "computed_at": computed_at.isoformat() if computed_at else None,
        "figures": [
            {
                "partner": figure.partner,
                "metric": figure.metric,
                "key": figure.key,
                "value": figure.value,
                "suppressed": figure.suppressed,
            }
            for figure in (report.published() if report else ())
        ],
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json")


def _download(request: HttpRequest, extension: str) -> HttpResponse:
    month, _note = _month_chosen(request)
    make = _csv if extension == "csv" else _json
    response = public_page_cached(
        request,
        name=f"transparency-{extension}",
        parts=[month.isoformat() if month else "none"],
        render_page=lambda language: make(month),
    )
    if response.status_code == 200:
        # Set on every answer: the cache keeps the body and its type only.
        name = f"transparency-{month:%Y-%m}" if month else "transparency"
        response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


@public_page
@require_safe
def figures_csv(request: HttpRequest) -> HttpResponse:
    return _download(request, "csv")


@public_page
@require_safe
def figures_json(request: HttpRequest) -> HttpResponse:
    return _download(request, "json")
