"""POST /api/v1/indicators/: partners propose gray-list entries, never black ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from antifraud.models import AuditEvent, Delivery, Indicator
from tests.appeal_fixtures import PHONE
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/indicators/"


def propose(client, **changes):
    body = {"kind": "phone", "value": "8 701 555 01 01", "reason": "Took three prepayments."}
    body.update(changes)
    return client.post(URL, body, format="json")


def test_a_proposal_lists_the_value_gray_and_tells_every_partner(
    api, kolesa, krisha, django_capture_on_commit_callbacks
):
    PartnerFactory(slug="olx", webhook_url="https://olx.example/hooks")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = propose(api, scheme="fake_rental", expires_in_days=30)
    assert response.status_code == 201
    body = response.json()
    indicator = Indicator.objects.get()
    assert (indicator.kind, indicator.value, indicator.list) == ("phone", PHONE, "gray")
    assert (indicator.origin, indicator.partner, indicator.scheme) == (
        "partner_proposal",
        kolesa,
        "fake_rental",
    )
    assert indicator.reason == "Took three prepayments."
    expected_expiry = timezone.now() + timedelta(days=30)
    assert abs(indicator.expires_at - expected_expiry) < timedelta(minutes=1)
    assert body["kind"] == "phone" and body["list"] == "gray" and body["created"] is True
    assert body["display"] == indicator.display

    events = Delivery.objects.filter(event_type="indicator.listed").order_by("partner__slug")
    assert [d.partner.slug for d in events] == ["kolesa", "krisha", "olx"]
    data = events[0].payload["data"]
    assert data["proposed_by"] == "kolesa"
    assert data["indicators"] == [
        {
            "kind": "phone",
            "list": "gray",
            "value": PHONE,
            "expires_at": indicator.expires_at.isoformat(),
        }
    ]
    assert len(callbacks) == 1  # olx's webhook, sent after commit
    audit = AuditEvent.objects.filter(action="indicator.proposed").get()
    assert audit.actor_label == "partner:kolesa"
    assert audit.payload["created"] is True


def test_the_default_expiry(api, settings):
    settings.GRAY_LIST_DAYS = 10
    propose(api)
    indicator = Indicator.objects.get()
    assert abs(indicator.expires_at - (timezone.now() + timedelta(days=10))) < timedelta(minutes=1)


def test_a_second_proposal_extends_and_corroborates(api, krisha_api):
    propose(api, expires_in_days=10)
    before = Delivery.objects.count()
    response = propose(krisha_api, expires_in_days=60)
    assert response.status_code == 200
    assert response.json()["created"] is False
    indicator = Indicator.objects.get()
    assert indicator.corroborations == 1
    assert indicator.expires_at > timezone.now() + timedelta(days=59)
    assert Delivery.objects.count() == before  # nothing new to announce
    assert AuditEvent.objects.filter(action="indicator.proposed").count() == 2


def test_a_black_entry_stays_black(api, blocked):
    response = propose(api, value=PHONE)
    assert response.status_code == 200
    body = response.json()
    assert (body["list"], body["created"], body["expires_at"]) == ("black", False, None)
    assert Indicator.objects.get(revoked_at__isnull=True).list == "black"


def test_nothing_is_ever_listed_black(api):
    response = propose(api, list="black")  # not a field: ignored
    assert response.status_code == 201
    assert Indicator.objects.get().list == "gray"


def test_a_cleared_value_is_refused_and_nothing_is_written(api, kolesa):
    from antifraud.services import indicator_list
    from tests.factories import UserFactory

    indicator_list(
        actor=UserFactory(partner=kolesa),
        kind="phone",
        value=PHONE,
        display=PHONE,
        list=Indicator.List.CLEARED,
        origin=Indicator.Origin.DECISION,
    )
    before = (Delivery.objects.count(), AuditEvent.objects.count())
    response = propose(api)
    assert response.status_code == 409
    assert response.json()["code"] == "value_cleared"
    assert (Delivery.objects.count(), AuditEvent.objects.count()) == before
    assert Indicator.objects.filter(list="gray").count() == 0


@pytest.mark.parametrize(
    ("changes", "path", "code"),
    [
        ({"value": "12"}, "value", "invalid_phone"),
        ({"kind": "email", "value": "nope"}, "value", "invalid_email"),
        ({"kind": "card", "value": "1234"}, "value", "invalid_card"),
        ({"kind": "fax"}, "kind", "invalid_choice"),
        ({"reason": ""}, "reason", "blank"),
        ({"reason": "x" * 2001}, "reason", "max_length"),
        ({"scheme": "pyramid"}, "scheme", "invalid_choice"),
        ({"expires_in_days": 0}, "expires_in_days", "min_value"),
        ({"expires_in_days": 366}, "expires_in_days", "max_value"),
        ({"expires_in_days": 10**40}, "expires_in_days", "max_value"),
        ({"expires_in_days": "soon"}, "expires_in_days", "invalid"),
        ({"value": 87015550101}, "value", "invalid"),  # a number is not a string
        ({"reason": 5}, "reason", "invalid"),
        ({"expires_in_days": "30"}, "expires_in_days", "invalid"),
        ({"expires_in_days": 2.5}, "expires_in_days", "invalid"),
        ({"expires_in_days": True}, "expires_in_days", "invalid"),
    ],
)
def test_bad_proposals(api, changes, path, code):
    response = propose(api, **changes)
    assert response.status_code == 400
    assert response.json()["errors"][path][0]["code"] == code
    assert not Indicator.objects.exists()


def test_card_numbers_are_kept_as_digest_and_last_four(api):
    response = propose(api, kind="card", value="4111 1111 1111 1111")
    assert response.status_code == 201
    indicator = Indicator.objects.get()
    assert "4111111111111111" not in indicator.value
    assert response.json()["display"].endswith("1111")
    assert "4111111111111111" not in response.content.decode()
