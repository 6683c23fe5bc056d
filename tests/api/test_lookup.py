"""POST /api/v1/lookup/: values checked against the lists, each answered on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from antifraud.models import Indicator
from antifraud.normalize import normalize
from antifraud.services import indicator_list
from tests.appeal_fixtures import PHONE

pytestmark = pytest.mark.django_db

URL = "/api/v1/lookup/"


def look(client, body: dict, **kwargs):
    """A look-up for a listing (Kolesa, a classifieds platform, may name it)."""
    return client.post(URL, {"purpose": "listing", **body}, **{"format": "json", **kwargs})


VISA = "4111 1111 1111 1111"
PDQ = "0f" * 32


def listed(kind: str, raw: str, list_name: str, **kwargs) -> Indicator:
    value = normalize(kind, raw)
    return indicator_list(
        actor=None,
        kind=kind,
        value=value.value,
        display=value.display,
        list=list_name,
        origin=Indicator.Origin.PARTNER_PROPOSAL,
        **kwargs,
    ).indicator


def test_black_and_gray_hits_and_misses(api, blocked, krisha):
    listed("card", VISA, "gray", partner=krisha, scheme="prepaid_delivery", reason="deposits")
    listed("photo", PDQ, "gray", partner=krisha)
    response = look(
        api,
        {
            "phones": ["8 (701) 555-01-01", "+77019999999"],
            "emails": ["Nobody@Mail.kz"],
            "cards": [VISA],
            "ibans": ["KZ86125KZT5004100100"],
            "photo_hashes": [PDQ.upper()],
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["kind"], r["match"]["list"] if r["match"] else None) for r in results] == [
        ("phone", "black"),
        ("phone", None),
        ("email", None),
        ("card", "gray"),
        ("iban", None),
        ("photo", "gray"),
    ]
    phone = results[0]
    assert phone["query"] == "8 (701) 555-01-01"
    assert phone["normalized"] == PHONE
    assert phone["error"] is None
    assert phone["match"]["scheme"] == "underpriced_vehicle"
    assert phone["match"]["expires_at"] is None
    card = results[3]
    assert card["match"]["scheme"] == "prepaid_delivery"
    assert card["match"]["expires_at"] is not None
    assert results[2]["normalized"] == "nobody@mail.kz"
    assert results[5]["normalized"] == PDQ


def test_nothing_personal_and_no_full_card_number(api, blocked):
    listed("card", VISA, "gray")
    response = look(api, {"phones": [PHONE], "cards": [VISA]})
    text = response.content.decode()
    assert "4111111111111111" not in text and VISA not in text
    assert blocked.subject.external_id not in text
    assert blocked.subject.account.external_id not in text
    assert "Ерлан" not in text
    phone, card = response.json()["results"]
    assert set(phone["match"]) == {
        "id",
        "kind",
        "display",
        "list",
        "scheme",
        "since",
        "expires_at",
        "handling",
    }
    assert card["query"] == card["normalized"] == "•••• 1111"


def test_an_invalid_value_gets_its_own_error(api):
    response = look(
        api,
        {
            "phones": ["12", "", "+7 701 555 01 01"],
            "cards": ["4111 1111 1111 1112"],
            "ibans": ["KZ00"],
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["error"]["code"] if r["error"] else None for r in results] == [
        "invalid_phone",
        "blank",
        None,
        "invalid_card",
        "invalid_iban",
    ]
    assert results[0]["normalized"] is None and results[0]["match"] is None


def test_expired_and_revoked_entries_do_not_match(api):
    listed("email", "old@mail.kz", "gray", expires_at=timezone.now() - timedelta(seconds=1))
    response = look(api, {"emails": ["old@mail.kz"]})
    assert response.json()["results"][0]["match"] is None


def test_cleared_values_are_not_reported_as_matches(api):
    value = normalize("phone", PHONE)
    indicator_list(
        actor=None,
        kind="phone",
        value=value.value,
        display=value.display,
        list=Indicator.List.CLEARED,
        origin=Indicator.Origin.DECISION,
    )
    assert look(api, {"phones": [PHONE]}).json()["results"][0]["match"] is None


def test_an_empty_look_up_answers_nothing(api):
    response = look(api, {})
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_at_most_a_hundred_values_in_all(api):
    response = look(api, {"phones": [PHONE] * 60, "emails": ["a@b.kz"] * 40})
    assert response.status_code == 200
    response = look(api, {"phones": [PHONE] * 60, "emails": ["a@b.kz"] * 41})
    assert response.status_code == 413
    assert response.json()["code"] == "too_many_values"


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"phones": PHONE}, "phones", "not_a_list"),
        ({"phones": [["nested"]]}, "phones.0", "invalid"),
        ({"emails": [None]}, "emails.0", "null"),
        ({"cards": [{"number": VISA}]}, "cards.0", "invalid"),
        ({"photo_hashes": [0]}, "photo_hashes.0", "invalid"),
        ({"phones": [87015550101]}, "phones.0", "invalid"),
    ],
)
def test_wrong_types_are_invalid(api, body, path, code):
    response = look(api, body)
    assert response.status_code == 400
    assert response.json()["errors"][path][0]["code"] == code


def test_the_queries_do_not_grow_with_the_values(api, blocked):
    def queries(values: dict) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = look(api, values)
        assert response.status_code == 200
        return len(captured)

    many = {
        "emails": [f"u{n}@mail.kz" for n in range(50)],
        "urls": [f"https://shop{n}.kz/" for n in range(50)],
    }
    queries(many)  # the key's last-used time and the day's tallies are written once
    # The key, the lists, then the quota and the tallies (locking the partner, in a
    # savepoint of the test's transaction).
    assert queries({"emails": ["one@mail.kz"]}) == queries(many) <= 7


def test_odd_characters_are_per_value_errors(api):
    response = look(
        api, {"emails": ["a\x00@mail.kz"], "photo_hashes": ["\x00" * 64]}, format="json"
    )
    assert response.status_code == 200
    assert [r["error"]["code"] for r in response.json()["results"]] == [
        "invalid_email",
        "invalid_photo_hash",
    ]
