"""The supervisors' logs: decisions, closed appeals and the audit trail, each filtered and
paginated, each exported as a CSV file that is streamed and audited; and the state of the
audit chain with its "Verify now".

Supervisors and administrators only (they see who decided, `antifraud.view_auditevent`);
partner staff read their own partner's. Exports need `antifraud.export_audit` too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import StaffRequest
from accounts.models import User
from antifraud import access
from antifraud.access import staff_page
from antifraud.audit_checks import audit_chain_check_request, chain_overview
from antifraud.audit_trail import (
    EXPORT_FIELDS,
    EXPORT_HEADER,
    AuditEventFilter,
    audit_events_for,
    export_row,
)
from antifraud.csv_export import csv_response, export_record, keyset_rows
from antifraud.date_filters import DateRangeFilterSet
from antifraud.errors import DomainError, raise_for_page
from antifraud.models import AuditEvent
from reviews.logs import (
    APPEAL_FIELDS,
    APPEAL_HEADER,
    DECISION_FIELDS,
    DECISION_HEADER,
    AppealLogFilter,
    DecisionLogFilter,
    appeal_export_rows,
    appeal_log,
    decision_export_row,
    decision_export_rows,
    decision_log,
)
from reviews.models import Appeal

PAGE_SIZE = 50
DETAILS_MAX = 300

DECISIONS = ("reviews.view_decision", "antifraud.view_auditevent")
APPEALS = ("reviews.view_appeal", "antifraud.view_auditevent")
TRAIL = ("antifraud.view_auditevent",)
EXPORT = "antifraud.export_audit"


def _listing(request: StaffRequest, filterset: DateRangeFilterSet) -> dict[str, Any]:
    """The page of rows the filters select (none while they are invalid), and the query
    string of the filters for the pagination and export links."""
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "may_export": access.may(request.user, EXPORT),
        "show_partner": access.partner_of(request.user) is None,
    }


def _export(
    request: StaffRequest,
    filterset: DateRangeFilterSet,
    *,
    what: str,
    header: Sequence[str],
    fields: Sequence[str],
    row_shape: Callable[[tuple[Any, ...]], Sequence[Any]] | None = None,
) -> HttpResponse | StreamingHttpResponse:
    if not filterset.is_valid():
        return HttpResponseBadRequest(
            _("Correct the filters to export: %(errors)s")
            % {"errors": "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items())},
            content_type="text/plain; charset=utf-8",
        )
    try:
        export_record(
            actor=request.user,
            what=what,
            filters=filterset.applied(),
            date_range=filterset.date_range(),
        )
    except DomainError as error:
        raise_for_page(error)
        raise
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_response(
        f"{what}-{stamp}.csv", header, keyset_rows(filterset.qs, fields), row_shape=row_shape
    )


# --- decisions --------------------------------------------------------------------------


@staff_page(*DECISIONS)
@require_GET
def decision_log_page(request: StaffRequest) -> HttpResponse:
    user = request.user
    filterset = DecisionLogFilter(request.GET, queryset=decision_log(user=user), user=user)
    context = _listing(request, filterset)
    context["appeal_statuses"] = Appeal.Status.choices
    return render(request, "oversight/decisions.html", context)


@staff_page(*DECISIONS, EXPORT)
@require_GET
def decision_log_export(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    user = request.user
    filterset = DecisionLogFilter(request.GET, queryset=decision_export_rows(user=user), user=user)
    return _export(
        request,
        filterset,
        what="decisions",
        header=DECISION_HEADER,
        fields=DECISION_FIELDS,
        row_shape=decision_export_row,
    )


# --- appeals ----------------------------------------------------------------------------


@staff_page(*APPEALS)
@require_GET
def appeal_log_page(request: StaffRequest) -> HttpResponse:
    user = request.user
    filterset = AppealLogFilter(request.GET, queryset=appeal_log(user=user), user=user)
    return render(request, "oversight/appeals.html", _listing(request, filterset))


@staff_page(*APPEALS, EXPORT)
@require_GET
def appeal_log_export(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    user = request.user
    filterset = AppealLogFilter(request.GET, queryset=appeal_export_rows(user=user), user=user)
    return _export(request, filterset, what="appeals", header=APPEAL_HEADER, fields=APPEAL_FIELDS)


# --- the audit trail --------------------------------------------------------------------

# The page each kind of object has: (URL name, the field that names it there, the
# permission the page needs). Decisions and proposals are read on their case's page.
OBJECT_PAGES: dict[str, tuple[str, str | None, str]] = {
    "reviews.case": ("case", "pk", "reviews.view_case"),
    "reviews.decision": ("case", "case_id", "reviews.view_case"),
    "reviews.decisionproposal": ("case", "case_id", "reviews.view_case"),
    "reviews.appeal": ("appeal-review", "pk", "reviews.view_appeal"),
    "antifraud.subject": ("subject-story", "pk", "antifraud.view_subject"),
    "antifraud.signal": ("subject-story", "subject_id", "antifraud.view_subject"),
    "antifraud.indicator": ("list-entry", "pk", "antifraud.view_indicator"),
    "antifraud.delivery": ("deliveries", None, "antifraud.view_delivery"),
}


def _object_links(user: User, events: Sequence[AuditEvent]) -> dict[int, str]:
    """{event id: address of its object's page}, for the objects the user may open: one
    query per kind of object on the page."""
    wanted: dict[str, set[str]] = {}
    types = {}
    for event in events:
        if event.target_type is None or not event.target_id.isdigit():
            continue
        label = f"{event.target_type.app_label}.{event.target_type.model}"
        if label in OBJECT_PAGES and access.may(user, OBJECT_PAGES[label][2]):
            wanted.setdefault(label, set()).add(event.target_id)
            types[label] = event.target_type
    addresses: dict[tuple[str, str], str] = {}
    for label, ids in wanted.items():
        model = types[label].model_class()
        if model is None:
            continue
        name, field, _perm = OBJECT_PAGES[label]
        seen = access.visible(user, model._default_manager.filter(pk__in=[int(i) for i in ids]))
        for pk, value in seen.values_list("pk", field or "pk"):
            try:
                address = reverse(name) if field is None else reverse(name, args=[value])
            except NoReverseMatch:
                continue  # a page this deployment does not have
            addresses[(label, str(pk))] = address
    links = {}
    for event in events:
        if event.target_type is not None:
            label = f"{event.target_type.app_label}.{event.target_type.model}"
            if (label, event.target_id) in addresses:
                links[event.pk] = addresses[(label, event.target_id)]
    return links


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    link: str | None

    @property
    def details(self) -> str:
        """The payload as JSON text, cut short (the template escapes it)."""
        if not self.event.payload:
            return ""
        text = json.dumps(self.event.payload, ensure_ascii=False, sort_keys=True)
        return text if len(text) <= DETAILS_MAX else text[: DETAILS_MAX - 1] + "…"


def _broken_event_shown(user: User, event_id: int | None) -> bool:
    """A partner's staff are told which event broke the chain only when it is in their
    own trail: an id never reveals another partner's record."""
    if event_id is None:
        return False
    return AuditEvent.objects.visible_to(user).filter(pk=event_id).exists()


@staff_page(*TRAIL)
@require_GET
def audit_trail_page(request: StaffRequest) -> HttpResponse:
    user = request.user
    filterset = AuditEventFilter(request.GET, queryset=audit_events_for(user=user), user=user)
    context = _listing(request, filterset)
    page: Page = context["page"]
    events = list(page.object_list)
    links = _object_links(user, events)
    chain = chain_overview()
    last, earlier = chain.last, chain.last_broken
    context.update(
        rows=[EventRow(event, links.get(event.pk)) for event in events],
        chain=chain,
        may_verify=access.may_verify_audit_chain(user),
        whole_trail=access.is_hub(user),
        last_broken_shown=last is not None
        and last.ok is False
        and _broken_event_shown(user, last.first_broken_event_id),
        earlier_broken_shown=earlier is not None
        and _broken_event_shown(user, earlier.first_broken_event_id),
    )
    return render(request, "oversight/audit.html", context)


@staff_page(*TRAIL, EXPORT)
@require_GET
def audit_trail_export(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    user = request.user
    filterset = AuditEventFilter(request.GET, queryset=audit_events_for(user=user), user=user)
    return _export(
        request,
        filterset,
        what="audit",
        header=EXPORT_HEADER,
        fields=EXPORT_FIELDS,
        row_shape=export_row,
    )


@staff_page(*TRAIL)
@require_POST
def audit_chain_verify(request: StaffRequest) -> HttpResponse:
    try:
        check, new = audit_chain_check_request(actor=request.user)
    except DomainError as error:
        raise_for_page(error)
        messages.error(request, error.message)
        return redirect("audit-trail")
    when = date_format(timezone.localtime(check.requested_at), "DATETIME_FORMAT")
    if new:
        messages.success(
            request,
            _("The chain is being verified; the outcome shows here when the worker is done."),
        )
    else:
        messages.info(
            request,
            _("A verification asked for at %(when)s is still under way.") % {"when": when},
        )
    return redirect("audit-trail")
