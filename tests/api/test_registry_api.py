"""The partner API of the lists as a registry: look-ups with a purpose, a quota and tallies;
proposals with their supporters; withdrawal, disputes, feedback and reassigned numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Partner
from antifraud.models import (
    AuditEvent,
    Delivery,
    Dispute,
    Feedback,
    Indicator,
    LookupTally,
    PhoneReassignment,
)
from antifraud.normalize import normalize
from antifraud.services.indicators import indicator_propose
from antifraud.services.keys import api_key_create
from antifraud.services.lookups import seconds_to_midnight
from antifraud.services.registry import indicator_quarantine, indicator_withdraw
from tests.api.conftest import client_for
from tests.api.test_lookup import listed
from tests.appeal_fixtures import PHONE
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/lookup/"
PROPOSE = "/api/v1/indicators/"
FEEDBACK = "/api/v1/indicators/feedback/"
REASSIGNMENTS = "/api/v1/indicators/reassignments/"
GRAY_PHONE = "+77015550303"
IIN = "850715400129"


def withdraw_url(entry_id: int) -> str:
    return f"/api/v1/indicators/{entry_id}/withdraw/"


def disputes_url(entry_id: int) -> str:
    return f"/api/v1/indicators/{entry_id}/disputes/"


def look(client, purpose: str | None = "listing", **values):
    body = {"purpose": purpose, **values} if purpose is not None else values
    return client.post(LOOKUP, body, format="json")


def proposed(partner: Partner, raw: str = GRAY_PHONE, kind: str = "phone") -> Indicator:
    value = normalize(kind, raw)
    return indicator_propose(
        partner=partner,
        kind=kind,
        value=value.value,
        display=value.display,
        reason="Took three prepayments.",
    ).indicator


def tallies(partner: Partner) -> dict[tuple[str, str], int]:
    return {
        (t.purpose, t.outcome): t.count
        for t in LookupTally.objects.filter(partner=partner, day=timezone.localdate())
    }


@pytest.fixture
def bank(db) -> Partner:
    return PartnerFactory(slug="halyk", name="Halyk Bank", kind=Partner.Kind.BANK, categories=[])


@pytest.fixture
def bank_api(bank):
    return client_for(api_key_create(actor=None, partner=bank, name="halyk")[1])


@pytest.fixture
def telecom(db) -> Partner:
    return PartnerFactory(slug="beeline", name="Beeline", kind=Partner.Kind.TELECOM, categories=[])


@pytest.fixture
def telecom_api(telecom):
    return client_for(api_key_create(actor=None, partner=telecom, name="beeline")[1])


# --- look-up: purpose ---------------------------------------------------------------------


def test_a_look_up_names_its_purpose(api, kolesa):
    response = look(api, purpose=None, phones=[PHONE])
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"]["purpose"][0]["code"] == "required"

    response = look(api, purpose="curiosity", phones=[PHONE])
    assert response.status_code == 400
    assert response.json()["errors"]["purpose"][0]["code"] == "invalid_choice"
    assert tallies(kolesa) == {}


def test_a_purpose_the_partners_kind_may_not_name_is_refused(api, bank_api, kolesa, bank):
    # A classifieds platform does not investigate; a bank does not post listings.
    response = look(api, purpose="investigation", phones=[PHONE])
    assert response.status_code == 403
    assert response.json()["code"] == "purpose_not_allowed"
    assert look(bank_api, purpose="listing", phones=[PHONE]).json()["code"] == (
        "purpose_not_allowed"
    )
    assert look(bank_api, purpose="investigation", phones=[PHONE]).status_code == 200
    assert tallies(kolesa) == {}
    assert tallies(bank) == {("investigation", "miss"): 1}


# --- look-up: quota and tallies -----------------------------------------------------------


def test_a_look_up_that_would_pass_the_quota_is_refused_and_not_counted(api, kolesa):
    kolesa.lookup_quota = 5
    kolesa.save(update_fields=["lookup_quota"])
    phones = ["+77015551111", "+77015552222", "+77015553333"]
    assert look(api, phones=phones).status_code == 200
    assert tallies(kolesa) == {("listing", "miss"): 3}

    response = look(api, phones=phones)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "quota_exceeded"
    retry_after = int(response["Retry-After"])
    assert body["retry_after"] == retry_after
    assert 0 < retry_after <= 86400
    assert abs(retry_after - seconds_to_midnight(timezone.now())) <= 5
    assert tallies(kolesa) == {("listing", "miss"): 3}

    # What is left of the quota may still be used.
    assert look(api, phones=phones[:2]).status_code == 200
    assert look(api, emails=["one@more.kz"]).status_code == 429


def test_the_default_quota(api, kolesa, settings):
    settings.LOOKUP_DAILY_QUOTA = 2
    assert look(api, phones=["+77015551111", "+77015552222"]).status_code == 200
    assert look(api, phones=["+77015553333"]).json()["code"] == "quota_exceeded"


def test_every_value_is_tallied_by_purpose_and_outcome(api, kolesa, blocked):
    look(api, phones=[PHONE, "+77015559999", "12"], emails=["honest@mail.kz"])
    look(api, purpose="payment", cards=["4111 1111 1111 1112"], emails=["x@mail.kz"])
    look(api, purpose="payment", emails=["y@mail.kz"])
    assert tallies(kolesa) == {
        ("listing", "hit"): 1,
        ("listing", "miss"): 2,
        ("listing", "invalid"): 1,
        ("payment", "miss"): 2,
        ("payment", "invalid"): 1,
    }


def test_the_quota_counts_every_purpose_and_outcome(api, kolesa):
    kolesa.lookup_quota = 4
    kolesa.save(update_fields=["lookup_quota"])
    look(api, phones=["12", "+77015551111"])
    look(api, purpose="payment", emails=["a@mail.kz"])
    assert look(api, purpose="onboarding", emails=["b@mail.kz", "c@mail.kz"]).status_code == 429
    used = LookupTally.objects.filter(partner=kolesa).aggregate(total=Sum("count"))["total"]
    assert used == 3


# --- look-up: matches ---------------------------------------------------------------------


def test_black_is_handled_by_blocking_and_gray_by_warning(api, blocked, krisha):
    gray = proposed(krisha)
    black = Indicator.objects.get(list="black")
    phone, gray_phone = look(api, phones=[PHONE, GRAY_PHONE]).json()["results"]
    assert phone["match"]["list"] == "black" and phone["match"]["handling"] == "block"
    assert phone["match"]["id"] == black.pk
    assert gray_phone["match"]["list"] == "gray" and gray_phone["match"]["handling"] == "warn"
    assert gray_phone["match"]["id"] == gray.pk


def test_a_quarantined_entry_does_not_match(api, kolesa, krisha):
    entry = proposed(krisha)
    with transaction.atomic():
        indicator_quarantine(indicator_id=entry.pk, hits=500, now=timezone.now())
    [result] = look(api, phones=[GRAY_PHONE]).json()["results"]
    assert result["match"] is None
    assert tallies(kolesa) == {("listing", "miss"): 1}


def test_devices_and_urls_are_looked_up(api, krisha):
    listed("device", "A1B2-C3D4-E5F6", "gray", partner=krisha)
    listed("url", "https://www.fake-shop.kz/pay/", "gray", partner=krisha)
    results = look(
        api,
        devices=["a1b2-c3d4-e5f6", "ffff-0000-1111"],
        urls=["http://fake-shop.kz/pay", "https://honest.kz/"],
    ).json()["results"]
    assert [(r["kind"], r["match"]["list"] if r["match"] else None) for r in results] == [
        ("device", "gray"),
        ("device", None),
        ("url", "gray"),
        ("url", None),
    ]
    assert results[2]["normalized"] == "https://fake-shop.kz/pay"


def test_an_iin_is_found_by_its_digits_and_never_echoed(api, krisha):
    listed("iin", IIN, "gray", partner=krisha)
    response = look(api, iins=["850 715 400 129", "850715400128"])
    assert IIN not in response.content.decode()
    found, invalid = response.json()["results"]
    assert found["kind"] == "iin"
    assert found["query"] == found["normalized"] == "•••• 0129"
    assert found["match"]["list"] == "gray" and found["match"]["display"] == "•••• 0129"
    assert invalid["error"]["code"] == "invalid_iin"
    assert invalid["query"] == "•••• 0128"


def test_a_spike_of_hits_quarantines_the_entry_and_tells_every_partner(api, krisha, settings):
    settings.QUARANTINE_MIN_HITS = 5
    entry = proposed(krisha)
    # One partner's look-ups of an entry count once a minute: it cannot look it into
    # quarantine alone.
    assert look(api, phones=[GRAY_PHONE] * 4).json()["results"][0]["match"] is not None
    look(api, phones=[GRAY_PHONE])
    entry.refresh_from_db()
    assert entry.quarantined_at is None
    others = []
    for n in range(4):
        partner = PartnerFactory(slug=f"platform{n}")
        others.append(client_for(api_key_create(actor=None, partner=partner, name="k")[1]))
    for client in others[:3]:
        look(client, phones=[GRAY_PHONE])
    entry.refresh_from_db()
    assert entry.quarantined_at is None
    look(others[3], phones=[GRAY_PHONE])
    entry.refresh_from_db()
    assert entry.quarantined_at is not None
    events = Delivery.objects.filter(event_type="indicator.quarantined")
    assert {d.partner.slug for d in events} == {"kolesa", "krisha"} | {
        f"platform{n}" for n in range(4)
    }
    assert events.first().payload["data"]["entry"] == entry.pk
    assert look(api, phones=[GRAY_PHONE]).json()["results"][0]["match"] is None


# --- proposals ----------------------------------------------------------------------------


def test_a_proposal_answers_its_entry_and_supporters(api, bank_api):
    body = {"kind": "phone", "value": "8 701 555 03 03", "reason": "Took three prepayments."}
    first = api.post(PROPOSE, body, format="json").json()
    entry = Indicator.objects.get()
    assert first["id"] == entry.pk
    assert (first["supporters"], first["awaiting_promotion"]) == (1, False)
    # A partner of another kind stands behind it too: it waits for a senior moderator.
    second = bank_api.post(PROPOSE, body, format="json").json()
    assert second["id"] == entry.pk and second["created"] is False
    assert (second["supporters"], second["awaiting_promotion"]) == (2, True)


def test_an_iin_may_be_proposed(api):
    response = api.post(
        PROPOSE, {"kind": "iin", "value": IIN, "reason": "Mule account owner."}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["display"] == "•••• 0129"
    assert IIN not in response.content.decode()
    assert Indicator.objects.get().kind == "iin"


# --- withdrawal ---------------------------------------------------------------------------


def test_the_proposer_withdraws_its_entry(api, kolesa, krisha):
    entry = proposed(kolesa)
    response = api.post(withdraw_url(entry.pk))
    assert response.status_code == 200
    assert response.json() == {"id": entry.pk, "delisted": True}
    entry.refresh_from_db()
    assert entry.ended == "withdrawn"
    event = Delivery.objects.filter(event_type="indicator.delisted", partner=krisha).get()
    assert event.payload["data"]["reason"] == "withdrawn"


def test_an_entry_others_support_stays_when_its_proposer_withdraws(api, kolesa, krisha):
    entry = proposed(kolesa)
    proposed(krisha)
    assert api.post(withdraw_url(entry.pk)).json() == {"id": entry.pk, "delisted": False}
    entry.refresh_from_db()
    assert entry.is_in_force()


def test_another_partners_entry_is_not_withdrawn(api, krisha):
    entry = proposed(krisha)
    response = api.post(withdraw_url(entry.pk))
    assert response.status_code == 403
    assert response.json()["code"] == "not_yours"
    entry.refresh_from_db()
    assert entry.is_in_force() and entry.ended == ""
    assert entry.supports.get().withdrawn_at is None


def test_withdrawing_unknown_ended_and_black_entries(api, kolesa, krisha, blocked):
    assert api.post(withdraw_url(99999)).json()["code"] == "not_found"
    mine, theirs = proposed(kolesa), proposed(krisha, "+77015550404")
    indicator_withdraw(partner=kolesa, indicator_id=mine.pk)
    indicator_withdraw(partner=krisha, indicator_id=theirs.pk)
    # Its own ended entry is known to the partner; another partner's is not.
    response = api.post(withdraw_url(mine.pk))
    assert (response.status_code, response.json()["code"]) == (409, "not_in_force")
    response = api.post(withdraw_url(theirs.pk))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    black = Indicator.objects.get(list="black")
    # A decision's entry is no partner's proposal.
    assert api.post(withdraw_url(black.pk)).json()["code"] == "not_yours"


# --- disputes -----------------------------------------------------------------------------


def test_a_partner_disputes_an_entry_and_every_partner_is_told(api, kolesa, krisha):
    PartnerFactory(slug="olx")
    entry = proposed(krisha)
    response = api.post(
        disputes_url(entry.pk), {"reason": "Our customer since 2019."}, format="json"
    )
    assert response.status_code == 201
    dispute = Dispute.objects.get()
    assert response.json() == {"id": dispute.pk, "entry": entry.pk, "status": "open"}
    assert (dispute.partner, dispute.reason) == (kolesa, "Our customer since 2019.")
    events = Delivery.objects.filter(event_type="indicator.disputed")
    assert sorted(d.partner.slug for d in events) == ["kolesa", "krisha", "olx"]
    assert AuditEvent.objects.filter(action="indicator.disputed").get().actor_label == (
        "partner:kolesa"
    )
    again = api.post(disputes_url(entry.pk), {"reason": "Again."}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_disputed")


def test_a_partner_does_not_dispute_its_own_entry(api, kolesa):
    entry = proposed(kolesa)
    response = api.post(disputes_url(entry.pk), {"reason": "Changed our mind."}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "own_entry")
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, "required"), ({"reason": "   "}, "blank"), ({"reason": 5}, "invalid")],
)
def test_a_dispute_needs_a_reason(api, krisha, body, code):
    entry = proposed(krisha)
    response = api.post(disputes_url(entry.pk), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["reason"][0]["code"] == code


def test_an_ended_entry_of_another_partner_is_not_found_and_not_revealed(api, krisha):
    entry = proposed(krisha)
    indicator_withdraw(partner=krisha, indicator_id=entry.pk)
    for url in (disputes_url(entry.pk), disputes_url(99999)):
        response = api.post(url, {"reason": "Wrong."}, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
        text = response.content.decode()
        assert GRAY_PHONE not in text and "555" not in text


# --- feedback -----------------------------------------------------------------------------


def test_feedback_is_taken_item_by_item(api, kolesa, krisha, blocked):
    gray = proposed(krisha)
    black = Indicator.objects.get(list="black")
    response = api.post(
        FEEDBACK,
        {
            "items": [
                {"entry": gray.pk, "verdict": "false_positive", "note": "Honest customer."},
                {"entry": 99999, "verdict": "true_positive"},
                {"entry": black.pk, "verdict": "maybe"},
                {"entry": black.pk, "verdict": "true_positive"},
                "not an item",
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["entry"], r["status"]) for r in results] == [
        (gray.pk, "accepted"),
        (99999, "rejected"),
        (black.pk, "rejected"),
        (black.pk, "accepted"),
        (None, "rejected"),
    ]
    assert results[0]["error"] is None
    assert results[1]["error"]["code"] == "not_found"
    assert results[2]["error"]["code"] == "invalid_choice"
    assert results[2]["error"]["message"].startswith("verdict: ")
    assert results[4]["error"]["code"] == "invalid"
    assert set(Feedback.objects.values_list("indicator_id", "partner__slug", "verdict")) == {
        (gray.pk, "kolesa", "false_positive"),
        (black.pk, "kolesa", "true_positive"),
    }
    krisha.refresh_from_db()
    assert krisha.reliability < 1.0


def test_at_most_a_hundred_feedback_items(api):
    items = [{"entry": 1, "verdict": "true_positive"}] * 101
    response = api.post(FEEDBACK, {"items": items}, format="json")
    assert (response.status_code, response.json()["code"]) == (413, "too_many_items")
    response = api.post(FEEDBACK, {"items": {"entry": 1}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["items"][0]["code"] == "not_a_list"


# --- reassigned numbers -------------------------------------------------------------------


def test_a_telecom_reports_reassigned_numbers(telecom_api, telecom, kolesa, krisha):
    entry = proposed(krisha)
    today = timezone.localdate()
    response = telecom_api.post(
        REASSIGNMENTS,
        {
            "items": [
                {"phone": "8 701 555 03 03", "reassigned_on": f"{today:%Y-%m-%d}"},
                {"phone": "8 777", "reassigned_on": f"{today:%Y-%m-%d}"},
                {
                    "phone": "+77015550404",
                    "reassigned_on": f"{today + timedelta(days=3):%Y-%m-%d}",
                },
                {"phone": "+77015550505", "reassigned_on": "yesterday"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["phone"], r["status"], r["delisted"]) for r in results] == [
        ("8 701 555 03 03", "accepted", 1),
        ("8 777", "rejected", 0),
        ("+77015550404", "rejected", 0),
        ("+77015550505", "rejected", 0),
    ]
    assert results[1]["error"]["code"] == "invalid_phone"
    assert "future" in results[2]["error"]["message"]
    assert results[3]["error"]["code"] == "invalid"
    entry.refresh_from_db()
    assert entry.ended == "reassigned"
    events = Delivery.objects.filter(event_type="indicator.delisted")
    assert {d.partner.slug for d in events} == {"beeline", "kolesa", "krisha"}
    assert events.first().payload["data"]["reason"] == "reassigned"
    assert PhoneReassignment.objects.get().value == GRAY_PHONE


def test_only_a_telecom_reports_reassigned_numbers(bank_api, api, krisha):
    entry = proposed(krisha)
    body = {"items": [{"phone": GRAY_PHONE, "reassigned_on": "2026-01-01"}]}
    for client in (bank_api, api):
        response = client.post(REASSIGNMENTS, body, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "not_a_telecom")
    entry.refresh_from_db()
    assert entry.is_in_force()
    assert not PhoneReassignment.objects.exists()


def test_at_most_a_hundred_reassignments(telecom_api):
    items = [{"phone": GRAY_PHONE, "reassigned_on": "2026-01-01"}] * 101
    response = telecom_api.post(REASSIGNMENTS, {"items": items}, format="json")
    assert (response.status_code, response.json()["code"]) == (413, "too_many_items")
