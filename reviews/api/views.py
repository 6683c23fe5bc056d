"""Partner API: reports in, cases out. Intake (reviews.services.intake) stores the reports;
the views validate each report on its own and shape the answers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from antifraud.api.authentication import PartnerClient
from antifraud.api.errors import TooManyItems, flatten_errors
from antifraud.api.paging import NewestFirstPagination
from antifraud.api.views import (
    BODY_ERRORS,
    COMMON_ERRORS,
    PartnerApiView,
    error_response,
)
from antifraud.models import Signal, Subject
from reviews.api.filters import PartnerCaseFilter
from reviews.api.serializers import (
    CaseSerializer,
    IndicatorReportSerializer,
    ReportBatchResponseSerializer,
    ReportBatchSerializer,
    ReportBatchShapeSerializer,
    ReportSerializer,
    indicator_report_input,
    is_indicator_report,
    report_input,
)
from reviews.models import Case, Decision
from reviews.services.intake import IndicatorReportInput, ReportInput, reports_ingest

# --- reports ------------------------------------------------------------------------------

REPORT_EXAMPLE = {
    "report_id": "kolesa-2026-11-21-0001",
    "subject": {
        "kind": "listing",
        "external_id": "l-884120",
        "title": "Toyota Camry 70, 2019",
        "category": "cars",
        "price": 3200000,
        "currency": "KZT",
        "city": "Алматы",
        "url": "https://kolesa.kz/a/show/884120",
    },
    "account": {
        "external_id": "u-1001",
        "name": "Ерлан",
        "registered_at": "2026-11-19T08:00:00+05:00",
    },
    "contacts": {"phones": ["+7 701 555 01 01"], "cards": ["4111 1111 1111 1111"]},
    "photos": [{"url": "https://kolesa.kz/p/1.jpg", "pdq": "f" * 64}],
    "signal": {
        "scheme": "underpriced_vehicle",
        "score": 70,
        "explanation": "Half the market price, asks for a deposit by card.",
        "source": "partner_report",
    },
}

# A bank's report of what was used in a fraud, with no listing behind it.
INDICATOR_REPORT_EXAMPLE = {
    "report_id": "bank-2026-11-21-0042",
    "indicators": [
        {"kind": "card", "value": "4400 4301 2345 6789"},
        {"kind": "iban", "value": "KZ86 125K ZT50 0410 0100"},
        {"kind": "phone", "value": "+7 701 555 01 01"},
    ],
    "fraud": {
        "scheme": "prepaid_delivery",
        "amount": 250000,
        "occurred_on": "2026-11-20",
        "description": "The client paid for car parts that never came; the seller stopped "
        "answering.",
    },
    "signal": {"source": "partner_report", "score": 70},
}


def _rejected(index: int, item: Any, errors: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    report_id = item.get("report_id") if isinstance(item, dict) else None
    return {
        "index": index,
        # Echoed so the caller can match it up; anything but a string is not an id.
        "report_id": report_id[:128] if isinstance(report_id, str) else None,
        "status": "rejected",
        "errors": errors,
    }


class ReportCreateApi(PartnerApiView):
    required_permission = "reviews.add_report"

    @extend_schema(
        operation_id="reports_create",
        tags=["reports"],
        summary="Report flagged accounts and listings, or indicators used in a fraud",
        description=(
            "Up to 1,000 reports per call. Each is validated and stored on its own: the "
            "answer is 200 with one result per report, in the order sent — `accepted` (the "
            "subject, its case, the case's risk score and any list matches) or `rejected` "
            "(field path → codes, e.g. `contacts.phones.1: invalid_phone`). Valid reports "
            "are stored even when others in the batch are refused.\n\n"
            "A report may instead carry `indicators` alone — cards, IBANs, phones, e-mails, "
            "devices, URLs or IINs used in a fraud, with no account or listing behind them "
            "(what banks, telecoms and the police know) — and the `fraud` they were used in. "
            "Each value goes on the gray list with you among its supporters and the fraud "
            "as evidence (partners of two kinds put an entry in the queue for promotion to "
            "black by a senior moderator); every open subject on any partner carrying a "
            "value gains a signal, and its open case is scored again. The answer lists the "
            "`entries`; a value vetted as honest is refused on its own in `errors` "
            "(`indicators.1.value: value_cleared`) while the others stand. Nothing in the "
            "answer says who else carries a value.\n\n"
            "`signal.source` `law_enforcement` is accepted from a law-enforcement partner "
            "only (`source_not_allowed`).\n\n"
            "Idempotent on `report_id`: sending a known id again returns its first answer "
            "and changes nothing, so a batch can be retried safely after a timeout."
        ),
        request=ReportBatchSerializer,
        responses={
            200: ReportBatchResponseSerializer,
            **BODY_ERRORS,
            413: error_response("More than 1,000 reports (`too_many_reports`), or over 10 MB."),
            **COMMON_ERRORS,
        },
        examples=[
            OpenApiExample("One report", request_only=True, value={"reports": [REPORT_EXAMPLE]}),
            OpenApiExample(
                "A bank's report of indicators",
                request_only=True,
                value={"reports": [INDICATOR_REPORT_EXAMPLE]},
            ),
            OpenApiExample(
                "Answer",
                response_only=True,
                value={
                    "results": [
                        {
                            "index": 0,
                            "report_id": "kolesa-2026-11-21-0001",
                            "status": "accepted",
                            "subject_id": 5120,
                            "subject_status": "active",
                            "case_id": 1904,
                            "risk_score": 78,
                            "list_matches": [
                                {
                                    "kind": "phone",
                                    "display": "+7 701 555 0101",
                                    "list": "gray",
                                    "scheme": "fake_rental",
                                    "since": "2026-11-02T09:14:00+05:00",
                                    "expires_at": "2027-01-31T09:14:00+05:00",
                                }
                            ],
                        },
                        {
                            "index": 1,
                            "report_id": "bank-2026-11-21-0042",
                            "status": "accepted",
                            "entries": [
                                {
                                    "index": 0,
                                    "kind": "card",
                                    "display": "•••• 6789",
                                    "list": "gray",
                                    "created": True,
                                    "entry": 811,
                                },
                                {
                                    "index": 1,
                                    "kind": "iban",
                                    "display": "KZ86…0100",
                                    "list": "gray",
                                    "created": False,
                                    "entry": 640,
                                },
                            ],
                            "errors": {
                                "indicators.2.value": [
                                    {
                                        "code": "value_cleared",
                                        "message": "this value was vetted as honest; only a "
                                        "moderator can list it",
                                    }
                                ]
                            },
                        },
                        {
                            "index": 2,
                            "report_id": "kolesa-2026-11-21-0002",
                            "status": "rejected",
                            "errors": {
                                "contacts.phones.0": [
                                    {"code": "invalid_phone", "message": "not a valid phone number"}
                                ]
                            },
                        },
                    ],
                    "accepted": 2,
                    "rejected": 1,
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        reports = request.data.get("reports") if isinstance(request.data, dict) else None
        # Counted before validation, so that an oversized batch costs nothing.
        if isinstance(reports, list) and len(reports) > settings.API_MAX_REPORTS:
            raise TooManyItems(
                f"At most {settings.API_MAX_REPORTS} reports per call; split the batch.",
                code="too_many_reports",
            )
        batch = ReportBatchShapeSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        items = batch.validated_data["reports"]
        partner = self.client.partner
        # One serializer for every item, as DRF's ListSerializer does: building one per item
        # (deep copies of all its nested fields) would cost more than validating.
        validator = ReportSerializer(context={"partner": partner})
        indicators_validator = IndicatorReportSerializer(context={"partner": partner})
        results: list[dict[str, Any] | None] = [None] * len(items)
        valid: list[tuple[int, ReportInput | IndicatorReportInput]] = []
        for index, item in enumerate(items):
            of_indicators = is_indicator_report(item)
            try:
                data = (indicators_validator if of_indicators else validator).run_validation(item)
            except ValidationError as exc:
                results[index] = _rejected(index, item, flatten_errors(exc.detail))
                continue
            valid.append(
                (index, indicator_report_input(data) if of_indicators else report_input(data))
            )
        outcomes = reports_ingest(partner=partner, reports=[report for _, report in valid])
        for (index, _), outcome in zip(valid, outcomes, strict=True):
            results[index] = {"index": index, **outcome.result}
        answered = [r for r in results if r is not None]
        accepted = sum(1 for r in answered if r["status"] == "accepted")
        return Response(
            {"results": answered, "accepted": accepted, "rejected": len(answered) - accepted}
        )


# --- cases --------------------------------------------------------------------------------


def cases_for_api(client: PartnerClient) -> QuerySet[Case]:
    """The partner's own cases, with what the API shows of each loaded in a fixed number of
    queries: the subject joined, the decisions (newest first, reversals left out, each with
    its policy, appeal and the time it was reversed) prefetched."""
    reversal = Decision.objects.filter(reverses=OuterRef("pk")).values("decided_at")[:1]
    decisions = (
        Decision.objects.exclude(action=Decision.Action.REVERSE)
        .select_related("policy", "appeal")
        .defer("evidence", "internal_note", "appeal__statement", "appeal__reply")
        .annotate(reversed_at=Subquery(reversal))
        .order_by("-decided_at", "-pk")
    )
    ring = (
        Subject.objects.filter(ring_id=OuterRef("subject__ring_id"))
        .order_by()
        .values("ring_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    signals = Signal.objects.order_by("-score", "created_at")
    return (
        Case.objects.visible_to(client)
        .select_related("subject")
        .annotate(ring_size=Coalesce(Subquery(ring), 1))
        .only(
            "id",
            "status",
            "scheme",
            "risk_score",
            "opened_at",
            "updated_at",
            "decided_at",
            "partner_id",
            "subject",
            "subject__kind",
            "subject__external_id",
            "subject__ring_id",
        )
        .prefetch_related(
            Prefetch("decisions", queryset=decisions, to_attr="api_decisions"),
            Prefetch("signals", queryset=signals, to_attr="api_signals"),
        )
    )


class CasePagination(NewestFirstPagination):
    kind = "cs1"


@extend_schema_view(
    list=extend_schema(
        operation_id="cases_list",
        tags=["cases"],
        summary="Your cases",
        description=(
            "Your cases, newest first, with the subject, status, scheme, risk score and the "
            "current decision (with the appeal link for your user and the appeal's state). "
            "Paged as the whole API is: pass the `next` of a page as `after` for the "
            "following one while `has_more` is true."
        ),
        responses={
            200: CaseSerializer(many=True),
            400: error_response("An invalid filter (`invalid`) or cursor (`invalid_cursor`)."),
            **COMMON_ERRORS,
        },
    ),
    retrieve=extend_schema(
        operation_id="cases_retrieve",
        tags=["cases"],
        summary="One of your cases",
        description="The case with its subject, status and current decision. Another "
        "partner's case answers 404, as an id that does not exist does.",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="Case id.")],
        responses={
            200: CaseSerializer,
            404: error_response("No case of yours has this id (`not_found`)."),
            **COMMON_ERRORS,
        },
    ),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read-only: cases change through moderators' decisions, never through the API."""

    required_permission = "reviews.view_case"
    serializer_class = CaseSerializer
    filterset_class = PartnerCaseFilter
    pagination_class = CasePagination
    lookup_url_kwarg = "id"
    queryset = Case.objects.none()  # for the schema; get_queryset scopes to the partner

    def get_queryset(self) -> QuerySet[Case]:
        client = self.request.user
        assert isinstance(client, PartnerClient)  # PolicyPermission let only a key through
        return cases_for_api(client)
