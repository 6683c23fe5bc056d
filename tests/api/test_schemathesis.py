"""Property-based tests of the whole API against its own OpenAPI document (Schemathesis,
in-process through WSGI): no input, valid or not, gives a 5xx or an answer the document does
not describe."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import RequestFactory
from hypothesis import HealthCheck, settings

from antifraud.api import docs
from antifraud.api.authentication import KEYWORD
from antifraud.services.keys import api_key_create
from tests.factories import listing_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django's WSGI handler closes a connection that is inside a transaction when a request
    ends (PostgreSQL; SQLite's in-memory test database is never closed). The test client
    disconnects that handler for the same reason; so does this test, which calls the real
    WSGI application."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(kolesa, krisha, blocked) -> str:
    """Kolesa's key, with a few cases (one decided) and events in the database."""
    listing_case(kolesa)
    listing_case(krisha)
    KEYS["current"] = api_key_create(actor=None, partner=kolesa, name="schemathesis")[1]
    return KEYS["current"]


# Loaded when the module is collected, from the app's own schema view (no database needed).
# Not through `schemathesis.pytest.from_fixture`: with pytest 9 it fails on a removed pytest
# attribute (`Function._nodeid`). Requests go to the real WSGI application.
_document = docs.schema_view(RequestFactory().get("/api/schema/", {"format": "json"}))
schema = schemathesis.openapi.from_dict(json.loads(_document.render().content))
schema.app = get_wsgi_application()


KEYS: dict[str, str] = {}


@schema.auth()
class PartnerKey:
    """Sends the key of the test that runs (set by the `api_key` fixture)."""

    def get(self, case, ctx) -> str:
        return KEYS.get("current", "")

    def set(self, case, key: str, ctx) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"{KEYWORD} {key}"}


# Bounded so that the whole module runs in about half a minute; derandomized so that a
# failure reproduces.
EXAMPLES = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
REPORTS = "/api/v1/reports/"


# Batches whose items are each accepted or rejected on their own.
PER_ITEM = (REPORTS, "/api/v1/indicators/feedback/", "/api/v1/indicators/reassignments/")
# Rules a schema cannot state, answered with a documented 4xx: a `value` must be a real
# phone, card…; a cursor must be one the API gave out; a look-up's purpose must be one the
# partner's kind may name; an entry must exist and be one the partner may act on; only a
# telecom operator reports reassigned numbers.
BEYOND_THE_SCHEMA = (
    "/api/v1/indicators/",
    "/api/v1/events/",
    "/api/v1/cases/",
    "/api/v1/lookup/",
    "/api/v1/indicators/{id}/withdraw/",
    "/api/v1/indicators/{id}/disputes/",
    "/api/v1/indicators/reassignments/",
)


def check(case) -> None:
    excluded = []
    if case.operation.path in PER_ITEM:
        # An item that breaks the schema inside the batch is rejected on its own, in a
        # 200 answer (documented), not by a 400 for the whole call.
        excluded.append(schemathesis.checks.negative_data_rejection)
    if case.operation.path in BEYOND_THE_SCHEMA:
        excluded.append(schemathesis.checks.positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)


@schema.exclude(path=REPORTS).parametrize()
@EXAMPLES
def test_the_api_keeps_its_documented_promises(case, api_key):
    check(case)


@schema.include(path=REPORTS).parametrize()
@settings(EXAMPLES, max_examples=10)
def test_reports_keep_their_documented_promises(case, api_key):
    # Fewer examples: every generated batch that validates is ingested, report by report.
    check(case)
