"""Partner API: look-up, gray-list proposals and the event feed (the registry's other
endpoints are in antifraud.api.registry_views).

Views parse, call one selector or service, and shape the answer; the rules live in
antifraud.services and antifraud.detection. Every view sees only the calling partner's rows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from antifraud.access import public_page
from antifraud.api.authentication import PartnerClient
from antifraud.api.errors import TooManyItems, error_body
from antifraud.api.paging import cursor_decode, cursor_encode, limit_read
from antifraud.api.parsers import ApiJSONParser
from antifraud.api.schema import ApiKeyScheme  # noqa: F401 - registers the security scheme
from antifraud.api.serializers import (
    LOOKUP_FIELDS,
    ErrorSerializer,
    EventsQuerySerializer,
    EventsResponseSerializer,
    IndicatorListingSerializer,
    IndicatorProposalSerializer,
    LookupResponseSerializer,
    LookupSerializer,
    normalized_or_error,
)
from antifraud.api.throttling import SlowedPartnerThrottle
from antifraud.detection.lists import public_match
from antifraud.lookup_guard import phone_misses_record
from antifraud.models import DIGESTED_KINDS, Delivery, Indicator, IndicatorKind, LookupTally
from antifraud.normalize import NormalizationError, Normalized
from antifraud.services.indicators import indicator_propose
from antifraud.services.lookups import lookup_count, lookup_purpose_check
from antifraud.services.registry import hits_record, support_of

EVENTS_PAGE_DEFAULT = 100


def error_response(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    """An error response in the OpenAPI document: the Error body, described."""
    return OpenApiResponse(ErrorSerializer, description=description, examples=list(examples))


# Error responses every endpoint may give.
COMMON_ERRORS = {
    401: error_response(
        "No key, or a malformed, unknown or revoked key, or an inactive partner "
        "(`not_authenticated`, `invalid_key`). Sent with `WWW-Authenticate: Api-Key`."
    ),
    429: error_response("Too many requests for this key (`throttled`); see `Retry-After`."),
    503: error_response(
        "The database is unreachable for a moment (`unavailable`); send the request again "
        "after `Retry-After` seconds. Nothing of the failed request was kept."
    ),
}
BODY_ERRORS = {
    400: error_response(
        "Malformed JSON (`parse_error`) or invalid input (`invalid`, with `errors`).",
        OpenApiExample(
            "Invalid input",
            value={
                "code": "invalid",
                "message": 'Invalid input. kind: "fax" is not a valid choice.',
                "errors": {
                    "kind": [{"code": "invalid_choice", "message": '"fax" is not a valid choice.'}]
                },
            },
        ),
        OpenApiExample(
            "Malformed JSON",
            value={
                "code": "parse_error",
                "message": "JSON parse error - Expecting value: line 1 column 1 (char 0)",
            },
        ),
    ),
    413: error_response("The body exceeds 10 MB (`body_too_large`)."),
    415: error_response("The body is not `application/json` (`unsupported_media_type`)."),
}


class PartnerApiView(APIView):
    """Base of the partner API's views: JSON bodies bounded by ApiJSONParser."""

    parser_classes = [ApiJSONParser]

    @property
    def client(self) -> PartnerClient:
        """The calling partner's system (PolicyPermission let only a key through)."""
        client = self.request.user
        assert isinstance(client, PartnerClient)
        return client


# --- look-up ------------------------------------------------------------------------------


def _masked(raw: str) -> str:
    """A card number or IIN as it may be echoed: its last four digits."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    return f"•••• {digits[-4:]}" if digits else ""


def _entries_matching(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Indicator]:
    """The black or gray entry that answers look-ups for each (kind, value), in one query:
    in force, not in quarantine (Indicator.objects.matching).

    Selected with two IN lists rather than one OR-ed condition per value, which costs
    Django several milliseconds to compile for a hundred values; the pairs are matched up
    here.
    """
    if not pairs:
        return {}
    entries = Indicator.objects.matching(timezone.now()).filter(
        kind__in={kind for kind, _ in pairs},
        value__in={value for _, value in pairs},
    )
    # At most one entry per value is in force (a unique constraint).
    return {(i.kind, i.value): i for i in entries if (i.kind, i.value) in pairs}


class LookupApi(PartnerApiView):
    required_permission = "antifraud.view_indicator"

    def get_throttles(self) -> list[BaseThrottle]:
        # Every call is limited per key; a partner slowed for walking through the phone
        # numbers (antifraud.lookup_guard) is limited further, all its keys together.
        return [*super().get_throttles(), SlowedPartnerThrottle()]

    @extend_schema(
        operation_id="lookup",
        tags=["lookup"],
        summary="Check values against the black and gray lists",
        description=(
            "Each value is normalised exactly as the lists are (so `87011234567` and "
            "`+7 701 123 45 67` are the same phone) and answered on its own: the list entry "
            "that answers for it or `null`; a value that cannot be normalised gets an "
            "`error` instead. At most 100 values per call in all. The answer says nothing "
            "about who carries a value.\n\n"
            "**What to do with a match** (`handling`): `block` — the value is on the black "
            "list (a moderator's decision, or a gray entry a senior moderator promoted once "
            "partners of two kinds supported it): block the payment or the listing. `warn` — "
            "the value is on the gray list (suspected by a partner, expiring): let it go "
            "ahead, but show the user a warning. A match's `id` names the entry for "
            "feedback (`/api/v1/indicators/feedback/`) and disputes. Entries a senior "
            "moderator is checking after a sudden spike of hits (quarantined) and values "
            "vetted as honest never match.\n\n"
            "**Purpose.** Every look-up names its `purpose`; each kind of partner may name "
            "some only (403 `purpose_not_allowed`).\n\n"
            "**Quota.** A partner may look up a number of values a day (20,000 unless agreed "
            "otherwise), invalid ones included, counted per local day (Asia/Almaty). A "
            "look-up that would pass it is refused whole and counts nothing: 429 "
            "`quota_exceeded`, with `Retry-After` the seconds until midnight.\n\n"
            "**Walking through the numbers.** Looking up many consecutive phone numbers that "
            "are not listed (a hundred misses within a block of a thousand numbers in a day) "
            "slows the partner's look-ups to a few a minute for a day (429 `throttled`, "
            "with `Retry-After`) and alerts the hub."
        ),
        request=LookupSerializer,
        responses={
            200: LookupResponseSerializer,
            **BODY_ERRORS,
            403: error_response(
                "Your kind of partner may not look values up for this purpose "
                "(`purpose_not_allowed`).",
                OpenApiExample(
                    "Purpose not allowed",
                    value={
                        "code": "purpose_not_allowed",
                        "message": "a classifieds partner may look values up for listing, "
                        "onboarding, payment, not investigation",
                    },
                ),
            ),
            413: error_response("More than 100 values (`too_many_values`), or over 10 MB."),
            **COMMON_ERRORS,
            429: error_response(
                "Too many requests for this key, or a slowed partner's look-ups beyond its "
                "rate (`throttled`); or the day's quota of values would be passed "
                "(`quota_exceeded`, nothing counted). Either way `Retry-After` (and "
                "`retry_after`) says when to come back.",
                OpenApiExample(
                    "Quota exceeded",
                    value={
                        "code": "quota_exceeded",
                        "message": "this look-up of 3 values would pass your quota of 20000 "
                        "values a day (19999 used today); it renews at midnight (Asia/Almaty)",
                        "retry_after": 31500,
                    },
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "Look-up",
                request_only=True,
                value={
                    "purpose": "payment",
                    "phones": ["+7 701 555 01 01"],
                    "cards": ["4111 1111 1111 1111"],
                    "iins": ["900101300018"],
                },
            ),
            OpenApiExample(
                "Answer",
                response_only=True,
                value={
                    "results": [
                        {
                            "kind": "phone",
                            "query": "+7 701 555 01 01",
                            "normalized": "+77015550101",
                            "match": {
                                "id": 4211,
                                "kind": "phone",
                                "display": "+7 701 555 0101",
                                "list": "black",
                                "scheme": "underpriced_vehicle",
                                "since": "2026-11-02T09:14:00+05:00",
                                "expires_at": None,
                                "handling": "block",
                            },
                            "error": None,
                        },
                        {
                            "kind": "card",
                            "query": "•••• 1111",
                            "normalized": "•••• 1111",
                            "match": {
                                "id": 4307,
                                "kind": "card",
                                "display": "•••• 1111",
                                "list": "gray",
                                "scheme": "prepaid_delivery",
                                "since": "2026-11-20T16:02:00+05:00",
                                "expires_at": "2027-02-18T16:02:00+05:00",
                                "handling": "warn",
                            },
                            "error": None,
                        },
                        {
                            "kind": "iin",
                            "query": "•••• 0018",
                            "normalized": None,
                            "match": None,
                            "error": {
                                "code": "invalid_iin",
                                "message": "the IIN or BIN fails its check digit",
                            },
                        },
                    ]
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        # Counted before validation, so that a body of a million values costs nothing.
        data = request.data
        lists = (data.get(field) for field in LOOKUP_FIELDS) if isinstance(data, dict) else ()
        if sum(len(v) for v in lists if isinstance(v, list)) > settings.API_MAX_LOOKUP_VALUES:
            raise TooManyItems(
                f"At most {settings.API_MAX_LOOKUP_VALUES} values per look-up.",
                code="too_many_values",
            )
        serializer = LookupSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        partner = self.client.partner
        purpose = serializer.validated_data["purpose"]
        lookup_purpose_check(partner, purpose)
        checked: list[tuple[str, str, Normalized | None, NormalizationError | None]] = []
        for field, kind in LOOKUP_FIELDS.items():
            for raw in serializer.validated_data[field]:
                try:
                    checked.append((kind, raw, normalized_or_error(kind, raw), None))
                except NormalizationError as exc:
                    checked.append((kind, raw, None, exc))
        matching = _entries_matching({(n.kind, n.value) for _, _, n, _ in checked if n})
        outcomes: Counter[str] = Counter()
        hits: Counter[int] = Counter()
        missed_phones = []
        results = []
        for kind, raw, normalized, error in checked:
            # A full card number or IIN is never echoed: responses end up in logs.
            digested = kind in DIGESTED_KINDS
            indicator = matching.get((normalized.kind, normalized.value)) if normalized else None
            if normalized is None:
                outcomes[LookupTally.Outcome.INVALID] += 1
            elif indicator is not None:
                outcomes[LookupTally.Outcome.HIT] += 1
                hits[indicator.pk] += 1
            else:
                outcomes[LookupTally.Outcome.MISS] += 1
                if kind == IndicatorKind.PHONE:
                    missed_phones.append(normalized.value)
            results.append(
                {
                    "kind": kind,
                    "query": _masked(raw) if digested else raw,
                    "normalized": (normalized.display if digested else normalized.value)
                    if normalized
                    else None,
                    "match": public_match(indicator) if indicator else None,
                    "error": {"code": error.code, "message": error.message} if error else None,
                }
            )
        now = timezone.now()
        # Refuses (429, nothing counted) a look-up that would pass the day's quota.
        lookup_count(partner=partner, purpose=purpose, outcomes=outcomes, now=now)
        if hits:
            hits_record(dict(hits), now=now, partner=partner)
        phone_misses_record(partner=partner, phones=missed_phones, now=now)
        return Response({"results": results})


# --- gray-list proposals ------------------------------------------------------------------


class IndicatorProposeApi(PartnerApiView):
    required_permission = "antifraud.add_indicator"

    @extend_schema(
        operation_id="indicators_propose",
        tags=["indicators"],
        summary="Propose a gray-list entry",
        description=(
            "Puts the normalised value on the gray list until it expires (`expires_in_days`, "
            "1–365, default 90) and announces it to every partner (`indicator.listed`). Only "
            "a moderator's decision puts anything on the black list. If an entry already "
            "covers the value the answer is 200 with `created: false`: a gray entry is "
            "extended (and corroborated when another partner listed it), a black entry stays "
            "black. A value vetted as honest cannot be proposed (409 `value_cleared`).\n\n"
            "Every partner that proposes or reports a value stands behind its entry "
            "(`supporters`); once partners of two kinds do, the gray entry waits for a senior "
            "moderator, who may make it black (`awaiting_promotion`). Keep the entry's `id` "
            "to withdraw your proposal (`/api/v1/indicators/{id}/withdraw/`). Cards and "
            "IINs (`iin`, also BINs) are kept only as a keyed digest and their last four "
            "digits."
        ),
        request=IndicatorProposalSerializer,
        responses={
            201: OpenApiResponse(IndicatorListingSerializer, description="Listed gray."),
            200: OpenApiResponse(
                IndicatorListingSerializer, description="An entry already covered the value."
            ),
            **BODY_ERRORS,
            409: error_response("The value was vetted as honest (`value_cleared`)."),
            **COMMON_ERRORS,
        },
        examples=[
            OpenApiExample(
                "Proposal",
                request_only=True,
                value={
                    "kind": "phone",
                    "value": "+7 701 555 01 01",
                    "reason": "Took prepayments for three non-existent rentals.",
                    "scheme": "fake_rental",
                    "expires_in_days": 30,
                },
            ),
            OpenApiExample(
                "Listed",
                response_only=True,
                status_codes=["201"],
                value={
                    "id": 4308,
                    "kind": "phone",
                    "display": "+7 701 555 0101",
                    "list": "gray",
                    "expires_at": "2026-12-21T10:00:00+05:00",
                    "created": True,
                    "supporters": 1,
                    "awaiting_promotion": False,
                },
            ),
            OpenApiExample(
                "Corroborated",
                response_only=True,
                status_codes=["200"],
                value={
                    "id": 4211,
                    "kind": "phone",
                    "display": "+7 701 555 0101",
                    "list": "gray",
                    "expires_at": "2027-01-20T10:00:00+05:00",
                    "created": False,
                    "supporters": 2,
                    "awaiting_promotion": True,
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = IndicatorProposalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        normalized: Normalized = data["normalized"]
        listing = indicator_propose(
            partner=self.client.partner,
            kind=normalized.kind,
            value=normalized.value,
            display=normalized.display,
            reason=data["reason"],
            scheme=data["scheme"],
            expires_in_days=data["expires_in_days"],
        )
        indicator: Indicator = listing.indicator
        body = IndicatorListingSerializer(
            {
                "id": indicator.pk,
                "kind": indicator.kind,
                "display": indicator.display,
                "list": indicator.list,
                "expires_at": indicator.expires_at,
                "created": listing.created,
                "supporters": support_of(indicator).partners,
                "awaiting_promotion": indicator.list == Indicator.List.GRAY
                and indicator.promotion_due_at is not None,
            }
        ).data
        return Response(
            body, status=status.HTTP_201_CREATED if listing.created else status.HTTP_200_OK
        )


# --- the event feed -----------------------------------------------------------------------


# Cursors name a place in the feed ("ev2:<place>"). The first cursors named an outbox row's
# id ("ev1:<id>"); those are still read, as the place of the last row up to that id.
CURSOR_VERSION = "ev2"
LEGACY_CURSOR_VERSION = "ev1"


def event_cursor(place: int) -> str:
    """An opaque, stable cursor for a place in the partner's feed."""
    return cursor_encode(CURSOR_VERSION, place)


def event_cursor_read(cursor: str) -> tuple[str, int]:
    """The cursor's version and number, or InvalidCursor."""
    return cursor_decode(cursor, (CURSOR_VERSION, LEGACY_CURSOR_VERSION))


class EventListApi(PartnerApiView):
    required_permission = "antifraud.view_delivery"

    @extend_schema(
        operation_id="events_list",
        tags=["events"],
        summary="Read the event feed",
        description=(
            "Your events in order — the same events, ids and payloads as the webhooks — for "
            "pulling and reconciling. Pass the `next` of the last page as `after`; when "
            "nothing is new, `next` is the `after` you sent. Cursors are stable: keep the "
            "last one and resume from it at any time. An event takes its place in the feed "
            "a few seconds after it was committed, after every event committed before it, "
            "so no event ever appears behind a cursor already read."
        ),
        parameters=[EventsQuerySerializer],
        responses={
            200: EventsResponseSerializer,
            400: error_response("A malformed cursor (`invalid_cursor`) or limit (`invalid`)."),
            **COMMON_ERRORS,
        },
        examples=[
            OpenApiExample(
                "Page",
                response_only=True,
                value={
                    "events": [
                        {
                            "id": "msg_6f1c2a9e0b7d4c3a1e5f8a2b",
                            "cursor": "ZXYyOjQy",
                            "type": "subject.blocked",
                            "timestamp": "2026-11-21T10:00:00+05:00",
                            "data": {
                                "subject": {
                                    "partner": "kolesa",
                                    "kind": "account",
                                    "external_id": "u-1001",
                                    "yours": True,
                                },
                                "decision": {"id": 7, "action": "block_account"},
                                "indicators": [
                                    {"kind": "phone", "list": "black", "value": "+77015550101"}
                                ],
                            },
                        }
                    ],
                    "next": "ZXYyOjQy",
                    "has_more": False,
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        # EventsQuerySerializer describes the parameters in the schema; the paging
        # convention shared with every list reads them.
        limit = limit_read(
            request, default=EVENTS_PAGE_DEFAULT, maximum=settings.API_EVENTS_PAGE_MAX
        )
        after_cursor = request.query_params.get("after") or event_cursor(0)
        version, after = event_cursor_read(after_cursor)
        feed = Delivery.objects.visible_to(self.client)
        if version == LEGACY_CURSOR_VERSION:  # a row's id: the place of the last row up to it
            after = (
                feed.filter(id__lte=after, feed_seq__isnull=False).aggregate(place=Max("feed_seq"))[
                    "place"
                ]
                or 0
            )
        rows = list(
            feed.filter(feed_seq__gt=after)
            .order_by("feed_seq")
            .values_list("feed_seq", "webhook_id", "payload")[: limit + 1]
        )
        has_more = len(rows) > limit
        rows = rows[:limit]
        events = [
            {
                "id": webhook_id,
                "cursor": event_cursor(place or 0),  # only placed rows are served
                "type": payload.get("type"),
                "timestamp": payload.get("timestamp"),
                "data": payload.get("data", {}),
            }
            for place, webhook_id, payload in rows
        ]
        next_cursor = events[-1]["cursor"] if events else after_cursor
        return Response({"events": events, "next": next_cursor, "has_more": has_more})


# --- anything else under /api/ ------------------------------------------------------------


@csrf_exempt
@public_page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Paths under /api/ that name no endpoint: JSON like every other API error. Exempt from
    the CSRF check, which would answer a POST to such a path with the site's HTML 403: the
    API's callers send keys, not cookies, and nothing here changes anything."""
    return JsonResponse(
        error_body("not_found", "No endpoint at this path; see /api/docs/."), status=404
    )
