"""GET /api/v1/events/: the partner's outbox rows in order, behind a stable cursor."""

from __future__ import annotations

import base64

import pytest
from django.utils import timezone

from antifraud.api.views import event_cursor
from antifraud.models import Delivery
from antifraud.services import feed_extend, outbox_write

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def write(n: int = 1, *, at=None) -> None:
    """Events written and committed, then given their places by the feed's sequencer, as
    beat does every few seconds."""
    for i in range(n):
        outbox_write(event_type="indicator.listed", at=at or timezone.now(), extra={"n": i})
    feed_extend()


def test_the_feed_in_order_with_cursors(api, kolesa, blocked):
    write(2)
    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    rows = list(Delivery.objects.filter(partner=kolesa).order_by("id"))
    assert [e["id"] for e in body["events"]] == [d.webhook_id for d in rows]
    assert [e["type"] for e in body["events"]] == [d.event_type for d in rows]
    assert body["events"][0]["type"] == "subject.blocked"
    first = body["events"][0]
    assert first["data"] == rows[0].payload["data"]
    assert first["timestamp"] == rows[0].payload["timestamp"]
    assert first["data"]["decision"]["statement_of_reasons"]  # its own subject: in full
    assert body["next"] == body["events"][-1]["cursor"]
    assert body["has_more"] is False


def test_paging_and_resuming(api, kolesa):
    write(5)
    page = api.get(URL, {"limit": 2}).json()
    assert len(page["events"]) == 2 and page["has_more"] is True
    seen = [e["id"] for e in page["events"]]
    while page["has_more"]:
        page = api.get(URL, {"after": page["next"], "limit": 2}).json()
        seen += [e["id"] for e in page["events"]]
    expected = list(
        Delivery.objects.filter(partner=kolesa).order_by("id").values_list("webhook_id", flat=True)
    )
    assert seen == expected
    # Nothing new: the same cursor back.
    last = page["next"]
    assert api.get(URL, {"after": last}).json() == {"events": [], "next": last, "has_more": False}
    write(1)
    newer = api.get(URL, {"after": last}).json()
    assert [e["data"]["n"] for e in newer["events"]] == [0]
    # Any event's cursor resumes right after it.
    middle = api.get(URL, {"after": api.get(URL).json()["events"][2]["cursor"]}).json()
    assert [e["id"] for e in middle["events"]] == [*expected[3:], newer["events"][0]["id"]]


def test_only_the_partners_own_rows(api, kolesa, krisha, krisha_api):
    write(3)
    mine = api.get(URL).json()["events"]
    theirs = krisha_api.get(URL).json()["events"]
    assert len(mine) == len(theirs) == 3
    assert not {e["id"] for e in mine} & {e["id"] for e in theirs}
    own_ids = set(Delivery.objects.filter(partner=kolesa).values_list("webhook_id", flat=True))
    assert {e["id"] for e in mine} == own_ids
    # Another partner's cursor reveals nothing either: it only positions the partner's own feed.
    after_theirs = api.get(URL, {"after": theirs[-1]["cursor"]}).json()["events"]
    assert {e["id"] for e in after_theirs} <= own_ids


def test_an_empty_feed(api):
    body = api.get(URL).json()
    assert body == {"events": [], "next": event_cursor(0), "has_more": False}


@pytest.mark.parametrize(
    "after",
    [
        "garbage!",
        "ZXYxOmFiYw",  # ev1:abc
        base64.urlsafe_b64encode(b"ev3:5").decode(),
        base64.urlsafe_b64encode(b"ev1:" + b"9" * 30).decode(),
        "é",
        "x" * 100,
    ],
)
def test_a_malformed_cursor(api, after):
    response = api.get(URL, {"after": after})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("limit", ["0", "1001", "many", "-1", "٣"])
def test_the_limit(api, limit):
    response = api.get(URL, {"limit": limit})
    assert response.status_code == 400
    assert response.json()["errors"]["limit"][0]["code"] == "invalid"


def test_the_page_size_default_and_maximum(api, kolesa, settings):
    write(105)
    assert len(api.get(URL).json()["events"]) == 100
    settings.API_EVENTS_PAGE_MAX = 50
    assert api.get(URL, {"limit": 51}).status_code == 400
    assert len(api.get(URL, {"limit": 50}).json()["events"]) == 50


def test_an_event_is_served_once_it_has_its_place(api, kolesa):
    write(1)
    body = api.get(URL).json()
    outbox_write(event_type="indicator.listed", at=timezone.now(), extra={"n": "late"})
    # Written, not yet placed: not served, and the cursor does not move past it.
    assert api.get(URL, {"after": body["next"]}).json()["events"] == []
    assert feed_extend() == 1
    [late] = api.get(URL, {"after": body["next"]}).json()["events"]
    assert late["data"]["n"] == "late"


def test_a_cursor_of_the_first_kind_still_reads(api, kolesa):
    """Cursors once named a row's id (ev1:<id>); they resume after that row."""
    write(3)
    rows = list(Delivery.objects.filter(partner=kolesa).order_by("id"))
    legacy = base64.urlsafe_b64encode(f"ev1:{rows[0].pk}".encode()).decode().rstrip("=")
    body = api.get(URL, {"after": legacy}).json()
    assert [e["id"] for e in body["events"]] == [r.webhook_id for r in rows[1:]]


def test_one_query_per_page(api, kolesa, django_assert_num_queries):
    write(30)
    api.get(URL)
    with django_assert_num_queries(2):  # the key, the page
        api.get(URL, {"limit": 30})
