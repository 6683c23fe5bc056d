"""Who may call the API, how often, and the shape of every error."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from antifraud.services.keys import api_key_revoke
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/v1/cases/"),
    ("get", "/api/v1/cases/1/"),
    ("get", "/api/v1/events/"),
    ("post", "/api/v1/reports/"),
    ("post", "/api/v1/lookup/"),
    ("post", "/api/v1/indicators/"),
]


def call(client: APIClient, method: str, url: str):
    return getattr(client, method)(url, {}, format="json") if method == "post" else client.get(url)


def assert_refused(response, code: str) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    body = response.json()
    assert body["code"] == code
    assert body["message"]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_no_key(db, method, url):
    assert_refused(call(APIClient(), method, url), "not_authenticated")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer afk_0123456789ab_" + "a" * 43,
        "Basic a2V5OnNlY3JldA==",
    ],
)
def test_another_scheme(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_refused(client.get("/api/v1/cases/"), "not_authenticated")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "afk_",
        "not-a-key",
        "afk_0123456789ab_tooshort",
        "afk_0123456789AB_" + "a" * 43,  # the prefix is lower-case hex
        "afk_0123456789ab_" + "a" * 43 + "\x00",
        "afk_0123456789ab_" + "a" * 5000,
    ],
)
def test_a_malformed_key(db, key):
    assert_refused(client_for(key).get("/api/v1/cases/"), "invalid_key")


def test_an_unknown_key(kolesa_key):
    _api_key, key = kolesa_key
    forged = key[:-1] + ("b" if key[-1] != "b" else "c")
    response = client_for(forged).get("/api/v1/cases/")
    assert_refused(response, "invalid_key")
    assert response.json()["message"] == "Unknown API key."


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_a_revoked_key(kolesa_key, method, url):
    api_key, key = kolesa_key
    assert call(client_for(key), "get", "/api/v1/cases/").status_code == 200
    api_key_revoke(actor=None, prefix=api_key.prefix)
    response = call(client_for(key), method, url)
    assert_refused(response, "invalid_key")
    assert "revoked" in response.json()["message"]


def test_an_inactive_partner(kolesa, kolesa_key):
    kolesa.is_active = False
    kolesa.save(update_fields=["is_active"])
    response = client_for(kolesa_key[1]).get("/api/v1/cases/")
    assert_refused(response, "invalid_key")
    assert "inactive" in response.json()["message"]


def test_the_keyword_is_case_insensitive(kolesa_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"api-key {kolesa_key[1]}")
    assert client.get("/api/v1/cases/").status_code == 200


def test_any_of_a_partners_keys_works(kolesa, kolesa_key):
    from antifraud.services.keys import api_key_create

    _, second = api_key_create(actor=None, partner=kolesa, name="rotation")
    assert client_for(kolesa_key[1]).get("/api/v1/cases/").status_code == 200
    assert client_for(second).get("/api/v1/cases/").status_code == 200


def test_last_used_is_recorded_at_most_once_a_minute(kolesa_key, django_assert_num_queries):
    api_key, key = kolesa_key
    client = client_for(key)
    assert api_key.last_used_at is None
    client.get("/api/v1/events/")
    api_key.refresh_from_db()
    first = api_key.last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=5)
    # Within the minute: the key lookup and the feed, no write.
    with django_assert_num_queries(2):
        client.get("/api/v1/events/")
    api_key.refresh_from_db()
    assert api_key.last_used_at == first
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/events/")
    api_key.refresh_from_db()
    assert api_key.last_used_at > first


# --- throttling ---------------------------------------------------------------------------


@pytest.fixture
def three_per_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"},
    }


def test_throttled_after_the_rate(api, three_per_minute):
    for _ in range(3):
        assert api.get("/api/v1/events/").status_code == 200
    response = api.get("/api/v1/events/")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["retry_after"] == retry_after


def test_throttling_counts_per_key(api, kolesa, krisha_api, three_per_minute):
    from antifraud.services.keys import api_key_create

    for _ in range(3):
        api.get("/api/v1/events/")
    assert api.get("/api/v1/events/").status_code == 429
    assert krisha_api.get("/api/v1/events/").status_code == 200
    _, other_key = api_key_create(actor=None, partner=kolesa, name="second system")
    assert client_for(other_key).get("/api/v1/events/").status_code == 200


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL")
def test_throttling_counts_in_redis(api, three_per_minute, settings):
    """The production cache: counts are atomic increments shared by every process."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    for _ in range(3):
        assert api.get("/api/v1/events/").status_code == 200
    response = api.get("/api/v1/events/")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1


def test_the_window_ends(api, three_per_minute, monkeypatch):
    import antifraud.ratelimit as ratelimit

    now = 1_800_000_000.0
    monkeypatch.setattr(ratelimit.time, "time", lambda: now)
    for _ in range(3):
        api.get("/api/v1/events/")
    assert api.get("/api/v1/events/").status_code == 429
    now += 60
    assert api.get("/api/v1/events/").status_code == 200


# --- errors -------------------------------------------------------------------------------


def test_malformed_json_is_a_parse_error(api):
    response = api.post("/api/v1/lookup/", '{"phones": [', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe not utf-8",
        b'{"phones": [NaN]}',
        b'{"phones": ["\\ud800"]}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a": 1' + b"9" * 5000 + b"}",
    ],
    ids=["bad-encoding", "nan", "lone-surrogate", "deep-nesting", "huge-number"],
)
def test_bodies_that_are_not_json_are_parse_errors(api, body):
    response = api.post("/api/v1/lookup/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_body_that_is_not_json_at_all(api):
    response = api.post(
        "/api/v1/lookup/", "phones=1", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_a_wrong_method(api):
    response = api.delete("/api/v1/reports/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_an_unknown_path_under_api_is_json(api):
    response = api.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_domain_refusal_keeps_its_status_and_code(api, kolesa):
    from antifraud.models import Indicator
    from antifraud.services import indicator_list
    from tests.factories import UserFactory

    moderator = UserFactory(partner=kolesa)
    indicator_list(
        actor=moderator,
        kind="phone",
        value="+77015550101",
        display="+7 701 555 0101",
        list=Indicator.List.CLEARED,
        origin=Indicator.Origin.DECISION,
    )
    response = api.post(
        "/api/v1/indicators/",
        {"kind": "phone", "value": "87015550101", "reason": "scam"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "value_cleared",
        "message": "this value was vetted as honest; only a moderator can list it",
    }


def test_validation_errors_name_each_field(api):
    response = api.post("/api/v1/indicators/", {"kind": "fax", "value": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {path: [e["code"] for e in errors] for path, errors in body["errors"].items()} == {
        "kind": ["invalid_choice"],
        "value": ["blank"],
        "reason": ["required"],
    }


# --- outages ------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_api_keeps_answering_when_the_cache_is_down(api, three_per_minute, settings, caplog):
    """A Redis that nobody answers on: the limits are counted in the process instead."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    for _ in range(3):
        assert api.get("/api/v1/events/").status_code == 200
    limited = api.get("/api/v1/events/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert "counted in this process" in caplog.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_api_answers_json_503_when_the_database_is_down(kolesa):
    from django.db import connection

    from antifraud.services.keys import api_key_create
    from tests.api.conftest import client_for

    api = client_for(api_key_create(actor=None, partner=kolesa, name="x")[1])
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(closed_port())
    try:
        response = api.post(
            "/api/v1/lookup/",
            {"purpose": "listing", "phones": ["+77015550101"]},
            format="json",
        )
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "unavailable"
    assert response["Retry-After"] == "5"
