"""GET /api/v1/cases/ and /api/v1/cases/{id}/: a partner's own cases and their decisions."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from reviews import services
from reviews.links import appeal_url
from reviews.models import Case, Policy
from reviews.services import DecisionRequest
from tests.factories import listing_case

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/"
STATEMENT = "Это мой номер уже десять лет, я ничего не просил заранее и готов показать машину."


def ids(response) -> list[int]:
    return [c["id"] for c in response.json()["results"]]


def test_an_open_case(api, kolesa):
    case = listing_case(kolesa)
    response = api.get(f"{URL}{case.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == case.pk
    assert body["subject"] == {"kind": "listing", "external_id": case.subject.external_id}
    assert (body["status"], body["scheme"], body["risk_score"]) == (
        "open",
        "underpriced_vehicle",
        60,
    )
    assert body["decided_at"] is None and body["decision"] is None
    assert set(body) == {
        "id",
        "subject",
        "status",
        "scheme",
        "risk_score",
        "opened_at",
        "updated_at",
        "decided_at",
        "decision",
        "ring_size",
        "signals",
    }
    assert body["ring_size"] == 1
    [signal] = body["signals"]
    assert signal["source"] == "user_complaint" and signal["weight"] == 1.0
    assert signal["contribution"] == 0.6 and signal["shadow"] is False


def test_a_decided_case_shows_its_decision_and_appeal_link(api, blocked):
    response = api.get(f"{URL}{blocked.case_id}/")
    decision = response.json()["decision"]
    assert decision["id"] == blocked.pk
    assert decision["action"] == "block_account"
    assert decision["policy"] == "underpriced-vehicle"
    # The version it cited; a permanent block never lifts itself.
    assert decision["policy_version"] == blocked.policy.version == 1
    assert decision["ends_at"] is None
    assert decision["statement_of_reasons"] == blocked.statement_of_reasons
    assert decision["appeal_url"] == appeal_url(
        decision_id=blocked.pk, decided_at=blocked.decided_at
    )
    assert decision["reversed"] is False and decision["reversed_at"] is None
    assert decision["appeal"] is None
    assert response.json()["status"] == "decided"


def test_a_time_limited_block_says_when_it_lifts(api, kolesa, moderator):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    [decision] = services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="fake-photos", is_current=True).pk,
            statement_of_reasons="Фотографии из чужого объявления.",
            block_days=7,
        ),
    ).decisions
    shown = api.get(f"{URL}{case.pk}/").json()["decision"]
    assert decision.ends_at is not None
    assert datetime.fromisoformat(shown["ends_at"]) == decision.ends_at
    assert shown["policy"] == "fake-photos" and shown["policy_version"] == 1


def test_a_cleared_case_has_no_appeal_link(api, cleared):
    decision = api.get(f"{URL}{cleared.case_id}/").json()["decision"]
    assert decision["action"] == "clear" and decision["appeal_url"] is None


def test_the_appeal_state_and_a_reversal(api, blocked, senior):
    appeal = services.appeal_file(decision_id=blocked.pk, statement=STATEMENT, consent=True)
    decision = api.get(f"{URL}{blocked.case_id}/").json()["decision"]
    assert decision["appeal"]["status"] == "submitted"
    assert decision["appeal"]["resolved_at"] is None

    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    services.appeal_resolve(
        actor=senior, appeal_id=appeal.pk, overturn=True, reply="Ошибка, снимаем."
    )
    decision = api.get(f"{URL}{blocked.case_id}/").json()["decision"]
    # Still the decision the user appealed, now marked reversed, not the reversal itself.
    assert decision["id"] == blocked.pk
    assert decision["reversed"] is True and decision["reversed_at"] is not None
    assert decision["appeal"]["status"] == "overturned"
    assert decision["appeal"]["resolved_at"] is not None


def test_another_partners_case_is_not_found(api, krisha):
    theirs = listing_case(krisha)
    response = api.get(f"{URL}{theirs.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("case_id", ["999999", "abc", "1.5", "-1", "9" * 30])
def test_ids_that_name_no_case(api, kolesa, case_id):
    listing_case(kolesa)
    response = api.get(f"{URL}{case_id}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_only_the_canonical_id_names_a_case(api, kolesa):
    case = listing_case(kolesa)
    wide = "".join(chr(ord("０") + int(d)) for d in str(case.pk))
    for written in (f"0{case.pk}", f"+{case.pk}", wide, f"{case.pk}%20", f"%2B{case.pk}"):
        response = api.get(f"{URL}{written}/")
        assert response.status_code == 404, written
        assert response.json()["code"] == "not_found"
    assert api.get(f"{URL}{case.pk}/").status_code == 200


def test_the_list_shows_only_the_partners_own_cases_newest_first(api, kolesa, krisha):
    mine = [listing_case(kolesa) for _ in range(3)]
    listing_case(krisha)
    response = api.get(URL)
    assert response.status_code == 200
    assert ids(response) == [c.pk for c in reversed(mine)]


def test_filters(api, kolesa, moderator):
    rental = listing_case(kolesa, scheme="fake_rental")
    vehicle = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=vehicle.pk)
    services.decision_record(
        actor=moderator,
        case_id=vehicle.pk,
        request=DecisionRequest(
            action="remove_listing",
            policy_id=Policy.objects.get(code="fake-photos").pk,
            statement_of_reasons="Чужие фотографии.",
        ),
    )
    assert ids(api.get(URL, {"status": "decided"})) == [vehicle.pk]
    assert ids(api.get(URL, {"status": "open"})) == [rental.pk]
    assert ids(api.get(URL, {"scheme": "fake_rental"})) == [rental.pk]
    assert ids(api.get(URL, {"external_id": rental.subject.external_id})) == [rental.pk]
    assert ids(api.get(URL, {"kind": "account"})) == []

    Case.objects.filter(pk=rental.pk).update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(api.get(URL, {"updated_since": since})) == [vehicle.pk]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"status": "closed"}, "status"),
        ({"scheme": "pyramid"}, "scheme"),
        ({"updated_since": "last week"}, "updated_since"),
        ({"external_id": "x" * 200}, "external_id"),
    ],
)
def test_invalid_filters(api, kolesa, params, path):
    response = api.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and path in body["errors"]


def test_paging_after_the_next_cursor(api, kolesa):
    cases = [listing_case(kolesa) for _ in range(5)]
    first = api.get(URL, {"limit": 2}).json()
    assert [c["id"] for c in first["results"]] == [cases[4].pk, cases[3].pk]
    assert first["has_more"] is True
    second = api.get(URL, {"limit": 2, "after": first["next"]}).json()
    assert [c["id"] for c in second["results"]] == [cases[2].pk, cases[1].pk]
    third = api.get(URL, {"limit": 2, "after": second["next"]}).json()
    assert [c["id"] for c in third["results"]] == [cases[0].pk]
    assert third["has_more"] is False
    # Past the end: nothing, and a cursor to keep, as the event feed answers.
    end = api.get(URL, {"after": third["next"]}).json()
    assert end == {"results": [], "next": third["next"], "has_more": False}


def test_an_empty_list_still_gives_a_cursor(api, kolesa):
    body = api.get(URL).json()
    assert body["results"] == [] and body["has_more"] is False
    assert api.get(URL, {"after": body["next"]}).status_code == 200


def test_the_old_cursor_parameter_is_refused_rather_than_ignored(api, kolesa):
    response = api.get(URL, {"cursor": "cD0x"})
    assert response.status_code == 400
    assert "after" in response.json()["errors"]["cursor"][0]["message"]


@pytest.mark.parametrize(
    "after",
    [
        "garbage!",
        "%%%",
        "é",
        base64.urlsafe_b64encode(b"cs1:abc").decode(),
        base64.urlsafe_b64encode(b"cs1:" + b"9" * 30).decode(),
        base64.urlsafe_b64encode(b"ev2:5").decode(),  # another list's cursor
        "x" * 100,
    ],
)
def test_a_malformed_cursor(api, kolesa, after):
    response = api.get(URL, {"after": after})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_queries_do_not_grow_with_the_page(
    api, kolesa, moderator, senior, django_assert_max_num_queries
):
    policy = Policy.objects.get(code="underpriced-vehicle")
    for n in range(12):
        case = listing_case(kolesa, phone=f"+7701666{n:04d}")
        if n % 2:
            services.case_claim(actor=moderator, case_id=case.pk)
            decision = services.decision_record(
                actor=moderator,
                case_id=case.pk,
                request=DecisionRequest(
                    action="block_account", policy_id=policy.pk, statement_of_reasons="Задаток."
                ),
            ).decisions[0]
            if n % 4 == 1:
                services.appeal_file(decision_id=decision.pk, statement=STATEMENT, consent=True)
    api.get(URL)  # the key's last-used time is written once
    # The key, the page of cases (subject joined, ring size counted), their decisions (policy
    # and appeal joined), their signals.
    with django_assert_max_num_queries(4):
        small = api.get(URL, {"limit": 2})
    with django_assert_max_num_queries(4):
        large = api.get(URL, {"limit": 50})
    assert len(small.json()["results"]) == 2
    results = large.json()["results"]
    assert len(results) == 12
    assert sum(1 for c in results if c["decision"]) == 6
    assert sum(1 for c in results if c["decision"] and c["decision"]["appeal"]) == 3


@pytest.mark.parametrize(
    "since",
    [
        "2025-08-13T14:55:37-20:45",  # beyond what PostgreSQL takes (±15:59)
        "2025-08-13T14:55:37+16:00",
        "2025-08-13T14:55:37-15:59",  # PostgreSQL would take it; no place uses it
        "0001-01-01T00:00:00+05:00",  # before the first representable UTC instant
        "9999-12-31T23:59:59-05:00",  # after the last
        "2025-02-30T10:00:00+05:00",
    ],
)
def test_an_impossible_time_is_a_400_not_a_database_error(api, kolesa, since):
    listing_case(kolesa)
    response = api.get(URL, {"updated_since": since})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "updated_since" in body["errors"]


def test_a_time_with_an_offset_is_compared_in_utc(api, kolesa):
    case = listing_case(kolesa)
    Case.objects.filter(pk=case.pk).update(updated_at=datetime(2026, 11, 21, 10, 0, tzinfo=UTC))
    # 10:00 UTC is 15:00 in Almaty (+05:00) and 23:45 in Chatham (+13:45).
    assert ids(api.get(URL, {"updated_since": "2026-11-21T14:59:00+05:00"})) == [case.pk]
    assert ids(api.get(URL, {"updated_since": "2026-11-21T23:46:00+13:45"})) == []


@pytest.mark.parametrize("name", ["status", "updated_since", "external_id"])
def test_a_blank_filter_is_refused_not_ignored(api, kolesa, name):
    listing_case(kolesa)
    response = api.get(URL, {name: ""})
    assert response.status_code == 400
    assert response.json()["errors"][name][0]["code"] == "blank"


@pytest.mark.parametrize("limit", ["0", "201", "null", "-1", "²", "1.5"])
def test_a_bad_page_size_is_refused(api, kolesa, limit):
    response = api.get(URL, {"limit": limit})
    assert response.status_code == 400
    assert response.json()["errors"]["limit"][0]["code"] == "invalid"
