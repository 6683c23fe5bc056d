"""Partner API of the lists as a registry: withdrawing a proposal, disputing an entry, saying
whether an entry was right, and (telecom operators) numbers given to new subscribers.

The rules live in antifraud.services.registry; these views check what the calling partner
may see, call one service per entry or item, and shape the answers.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from antifraud.access import may_report_reassignments, visible_or_404
from antifraud.api.errors import TooManyItems, flatten_errors
from antifraud.api.registry_serializers import (
    REGISTRY_MAX_ITEMS,
    DisputeRequestSerializer,
    DisputeSerializer,
    FeedbackBatchSerializer,
    FeedbackBatchShapeSerializer,
    FeedbackItemSerializer,
    FeedbackResponseSerializer,
    ItemStatus,
    ReassignmentBatchSerializer,
    ReassignmentBatchShapeSerializer,
    ReassignmentItemSerializer,
    ReassignmentResponseSerializer,
    WithdrawalSerializer,
)
from antifraud.api.views import BODY_ERRORS, COMMON_ERRORS, PartnerApiView, error_response
from antifraud.errors import DomainError, NotAllowed
from antifraud.models import Indicator
from antifraud.services.registry import (
    dispute_open,
    feedback_record,
    indicator_withdraw,
    phone_reassigned,
)

NOT_FOUND = error_response(
    "No entry with this id that you may see (`not_found`): entries in force, and your own "
    "proposals in any state.",
    OpenApiExample("Not found", value={"code": "not_found", "message": "no such indicator"}),
)
# Ids in addresses have one form (antifraud.converters): digits, no sign or leading zero.
ENTRY_ID = OpenApiParameter(
    "id",
    {"type": "integer", "minimum": 1, "maximum": 10**18 - 1},
    OpenApiParameter.PATH,
    description="The list entry (a match's or a proposal's `id`).",
)
TOO_MANY_ITEMS = error_response(
    f"More than {REGISTRY_MAX_ITEMS} items (`too_many_items`), or over 10 MB."
)


def _entry_seen(client: Any, indicator_id: int) -> None:
    """404 for an entry the partner may not see: one that does not exist, and another
    partner's entry no longer in force, alike, so an id tells nothing of ended entries."""
    visible_or_404(client, Indicator.objects.only("pk"), indicator_id)


def _items_read(request: Request, shape: type) -> list[Any]:
    """The `items` of a per-item batch: counted before they are validated, then checked to
    be a list of at most REGISTRY_MAX_ITEMS."""
    items = request.data.get("items") if isinstance(request.data, dict) else None
    if isinstance(items, list) and len(items) > REGISTRY_MAX_ITEMS:
        raise TooManyItems(
            f"At most {REGISTRY_MAX_ITEMS} items per call; split the batch.",
            code="too_many_items",
        )
    batch = shape(data=request.data)
    batch.is_valid(raise_exception=True)
    return list(batch.validated_data["items"])


def _item_error(exc: ValidationError | DomainError) -> dict[str, str]:
    """One item's refusal as `{code, message}`: the first field error (with its path), or
    the service's refusal."""
    if isinstance(exc, DomainError):
        return {"code": exc.code, "message": exc.message}
    for path, entries in flatten_errors(exc.detail).items():
        if entries:
            where = "" if path == "non_field_errors" else f"{path}: "
            return {"code": entries[0]["code"], "message": f"{where}{entries[0]['message']}"}
    return {"code": "invalid", "message": "Invalid item."}


# --- withdrawal ---------------------------------------------------------------------------


class IndicatorWithdrawApi(PartnerApiView):
    required_permission = "antifraud.add_indicator"

    @extend_schema(
        operation_id="indicators_withdraw",
        tags=["indicators"],
        summary="Withdraw your proposal of a gray-list entry",
        parameters=[ENTRY_ID],
        description=(
            "You no longer stand behind the entry you proposed. It leaves the gray list "
            "(`delisted: true`, an `indicator.delisted` event to every partner with reason "
            "`withdrawn`) unless other partners support it, in which case it stays on their "
            "word (`delisted: false`). Only the proposing partner withdraws an entry "
            "(403 `not_yours`); a black entry is not withdrawn but disputed "
            "(409 `not_withdrawable`)."
        ),
        request=None,
        responses={
            200: WithdrawalSerializer,
            403: error_response(
                "Another partner proposed the entry (`not_yours`).",
                OpenApiExample(
                    "Not yours",
                    value={
                        "code": "not_yours",
                        "message": "only the partner that proposed an entry withdraws it",
                    },
                ),
            ),
            404: NOT_FOUND,
            409: error_response(
                "The entry is no longer in force (`not_in_force`), or black now "
                "(`not_withdrawable`: dispute it instead).",
                OpenApiExample(
                    "Black now",
                    value={
                        "code": "not_withdrawable",
                        "message": "the entry is black now: dispute it to have it revoked",
                    },
                ),
            ),
            **COMMON_ERRORS,
        },
        examples=[
            OpenApiExample("Withdrawn", response_only=True, value={"id": 4308, "delisted": True})
        ],
    )
    def post(self, request: Request, id: int) -> Response:
        _entry_seen(self.client, id)
        withdrawal = indicator_withdraw(partner=self.client.partner, indicator_id=id)
        body = WithdrawalSerializer(
            {"id": withdrawal.indicator.pk, "delisted": withdrawal.delisted}
        )
        return Response(body.data)


# --- disputes -----------------------------------------------------------------------------


class IndicatorDisputeApi(PartnerApiView):
    required_permission = "antifraud.dispute_indicator"

    @extend_schema(
        operation_id="indicators_dispute",
        tags=["indicators"],
        summary="Dispute a list entry",
        parameters=[ENTRY_ID],
        description=(
            "Says that a black or gray entry in force is wrong, and why. A senior moderator "
            "who did not list the entry reviews the dispute, upholds the entry or revokes "
            "it; every partner learns of the dispute (`indicator.disputed`), and you learn "
            "its outcome by the same event. The entry keeps matching meanwhile. Your own "
            "proposal is withdrawn, not disputed (409 `own_entry`); one open dispute per "
            "partner and entry (409 `already_disputed`)."
        ),
        request=DisputeRequestSerializer,
        responses={
            201: OpenApiResponse(DisputeSerializer, description="The dispute, open."),
            **BODY_ERRORS,
            404: NOT_FOUND,
            409: error_response(
                "Your own partner proposed the entry (`own_entry`: withdraw it), your dispute "
                "of it is still open (`already_disputed`), or the entry is no longer in "
                "force or is a cleared value (`not_in_force`).",
                OpenApiExample(
                    "Own entry",
                    value={
                        "code": "own_entry",
                        "message": "your own partner proposed this entry: withdraw it instead",
                    },
                ),
            ),
            **COMMON_ERRORS,
        },
        examples=[
            OpenApiExample(
                "Dispute",
                request_only=True,
                value={
                    "reason": "The number belongs to our customer since 2019; the listing "
                    "that reported it was a look-alike account."
                },
            ),
            OpenApiExample(
                "Opened",
                response_only=True,
                status_codes=["201"],
                value={"id": 311, "entry": 4211, "status": "open"},
            ),
        ],
    )
    def post(self, request: Request, id: int) -> Response:
        serializer = DisputeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _entry_seen(self.client, id)
        dispute = dispute_open(
            partner=self.client.partner,
            indicator_id=id,
            reason=serializer.validated_data["reason"],
        )
        body = DisputeSerializer(
            {"id": dispute.pk, "entry": dispute.indicator_id, "status": dispute.status}
        )
        return Response(body.data, status=status.HTTP_201_CREATED)


# --- feedback -----------------------------------------------------------------------------


class IndicatorFeedbackApi(PartnerApiView):
    required_permission = "antifraud.add_feedback"

    @extend_schema(
        operation_id="indicators_feedback",
        tags=["indicators"],
        summary="Say whether entries were right",
        description=(
            f"Up to {REGISTRY_MAX_ITEMS} findings of your own investigations on black or "
            "gray entries (a match's `id`), each `true_positive` (the value was used in a "
            "fraud) or `false_positive` (an honest customer). Your latest finding per entry "
            "counts; it is weighed into how far the lists trust the proposing partner. Each "
            "item is taken or refused on its own: the answer is 200 with one result per "
            "item, in the order sent — `accepted`, or `rejected` with its error (`invalid`, "
            "`not_found`, …)."
        ),
        request=FeedbackBatchSerializer,
        responses={
            200: FeedbackResponseSerializer,
            **BODY_ERRORS,
            413: TOO_MANY_ITEMS,
            **COMMON_ERRORS,
        },
        examples=[
            OpenApiExample(
                "Feedback",
                request_only=True,
                value={
                    "items": [
                        {
                            "entry": 4211,
                            "verdict": "true_positive",
                            "note": "Chargeback confirmed: payment for a car never delivered.",
                        },
                        {"entry": 4307, "verdict": "false_positive"},
                        {"entry": 99999999, "verdict": "true_positive"},
                    ]
                },
            ),
            OpenApiExample(
                "Answer",
                response_only=True,
                value={
                    "results": [
                        {"entry": 4211, "status": "accepted", "error": None},
                        {"entry": 4307, "status": "accepted", "error": None},
                        {
                            "entry": 99999999,
                            "status": "rejected",
                            "error": {"code": "not_found", "message": "no such list entry"},
                        },
                    ]
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        items = _items_read(request, FeedbackBatchShapeSerializer)
        partner = self.client.partner
        validator = FeedbackItemSerializer()
        results = []
        # Each item in a savepoint of the call's transaction (each service call is atomic):
        # a refused item undoes only itself.
        with transaction.atomic():
            for item in items:
                entry = item.get("entry") if isinstance(item, dict) else None
                result: dict[str, Any] = {
                    # Echoed so the caller can match it up; anything but a number is not an id.
                    "entry": entry
                    if isinstance(entry, int) and not isinstance(entry, bool)
                    else None,
                    "status": ItemStatus.ACCEPTED,
                    "error": None,
                }
                try:
                    data = validator.run_validation(item)
                    feedback_record(
                        partner=partner,
                        indicator_id=data["entry"],
                        verdict=data["verdict"],
                        note=data.get("note", ""),
                    )
                except (ValidationError, DomainError) as exc:
                    result.update(status=ItemStatus.REJECTED, error=_item_error(exc))
                results.append(result)
        return Response(FeedbackResponseSerializer({"results": results}).data)


# --- reassigned numbers -------------------------------------------------------------------


class PhoneReassignmentApi(PartnerApiView):
    required_permission = "antifraud.add_indicator"

    @extend_schema(
        operation_id="indicators_reassignments",
        tags=["indicators"],
        summary="Report numbers given to new subscribers (telecom operators)",
        description=(
            f"Up to {REGISTRY_MAX_ITEMS} phone numbers your network gave to a new subscriber, "
            "each with the day it did. Every list entry on a number that was listed before "
            "that day leaves force (`indicator.delisted` to every partner, reason "
            "`reassigned`), and detection stops holding the number's earlier history against "
            "its new owner. Only telecom operators report reassignments (403 "
            "`not_a_telecom` for the whole call). Each item is taken or refused on its own: "
            "the answer is 200 with one result per item, in the order sent — `accepted` with "
            "the number of entries delisted, or `rejected` with its error (an invalid phone "
            "number, a malformed date or one in the future). Reporting the same "
            "reassignment again is harmless."
        ),
        request=ReassignmentBatchSerializer,
        responses={
            200: ReassignmentResponseSerializer,
            **BODY_ERRORS,
            403: error_response(
                "Your partner is not a telecom operator (`not_a_telecom`).",
                OpenApiExample(
                    "Not a telecom",
                    value={
                        "code": "not_a_telecom",
                        "message": "only a telecom operator reports reassigned numbers",
                    },
                ),
            ),
            413: TOO_MANY_ITEMS,
            **COMMON_ERRORS,
        },
        examples=[
            OpenApiExample(
                "Reassignments",
                request_only=True,
                value={
                    "items": [
                        {"phone": "+7 701 555 01 01", "reassigned_on": "2026-11-30"},
                        {"phone": "8 777 000", "reassigned_on": "2026-11-30"},
                    ]
                },
            ),
            OpenApiExample(
                "Answer",
                response_only=True,
                value={
                    "results": [
                        {
                            "phone": "+7 701 555 01 01",
                            "status": "accepted",
                            "delisted": 1,
                            "error": None,
                        },
                        {
                            "phone": "8 777 000",
                            "status": "rejected",
                            "delisted": 0,
                            "error": {
                                "code": "invalid_phone",
                                "message": "phone: not a phone number: wrong length",
                            },
                        },
                    ]
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        if not may_report_reassignments(self.client):
            raise NotAllowed(
                "only a telecom operator reports reassigned numbers", code="not_a_telecom"
            )
        items = _items_read(request, ReassignmentBatchShapeSerializer)
        partner = self.client.partner
        validator = ReassignmentItemSerializer()
        results = []
        with transaction.atomic():
            for item in items:
                phone = item.get("phone") if isinstance(item, dict) else None
                result: dict[str, Any] = {
                    "phone": phone[:512] if isinstance(phone, str) else None,
                    "status": ItemStatus.ACCEPTED,
                    "delisted": 0,
                    "error": None,
                }
                try:
                    data = validator.run_validation(item)
                    ended = phone_reassigned(
                        partner=partner,
                        value=data["phone"].value,
                        display=data["phone"].display,
                        reassigned_on=data["reassigned_on"],
                    )
                    result["delisted"] = len(ended)
                except (ValidationError, DomainError) as exc:
                    result.update(status=ItemStatus.REJECTED, error=_item_error(exc))
                results.append(result)
        return Response(ReassignmentResponseSerializer({"results": results}).data)
