"""POST /api/v1/reports/: batches of reports, each accepted or rejected on its own."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from antifraud.models import AuditEvent, Indicator, Photo, Signal, Subject, SubjectIdentifier
from antifraud.services import indicator_list
from reviews.models import Case, Report

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/"
VISA = "4111 1111 1111 1111"


def report(n: int = 1, **changes: Any) -> dict[str, Any]:
    body = {
        "report_id": f"kolesa-{n}",
        "subject": {
            "kind": "listing",
            "external_id": f"l-{n}",
            "title": "Toyota Camry 70, 2019",
            "category": "cars",
            "price": 3_200_000,
            "city": "Алматы",
            "url": f"https://kolesa.kz/a/show/{n}",
        },
        "account": {"external_id": f"u-{n}", "name": "Ерлан"},
        "contacts": {"phones": ["8 701 555 01 01"], "emails": ["Erlan@Mail.kz"], "cards": [VISA]},
        "photos": [{"url": "https://kolesa.kz/p/1.jpg", "pdq": "AB" * 32}],
        "signal": {"scheme": "underpriced_vehicle", "score": 70, "explanation": "Half price."},
    }
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = body
        for key in parents:
            node = node[key]
        if value is DELETE:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return body


DELETE = object()


def post(api, *reports: dict[str, Any]):
    return api.post(URL, {"reports": list(reports)}, format="json")


def counts() -> dict[str, int]:
    models = (Subject, Signal, Case, Report, SubjectIdentifier, Photo, AuditEvent)
    return {m.__name__: m.objects.count() for m in models}


def test_a_report_is_accepted_with_its_case(api, kolesa):
    response = post(api, report())
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1 and body["rejected"] == 0
    [result] = body["results"]
    case = Case.objects.get()
    listing = Subject.objects.get(kind="listing")
    assert result == {
        "index": 0,
        "report_id": "kolesa-1",
        "status": "accepted",
        "subject_id": listing.pk,
        "subject_status": "active",
        "case_id": case.pk,
        "risk_score": case.risk_score,
        "list_matches": [],
        "signals": [],
    }
    assert case.partner == kolesa and listing.partner == kolesa
    assert listing.account.external_id == "u-1" and listing.account.title == "Ерлан"
    assert listing.price == 3_200_000 and listing.category == "cars"
    values = dict(listing.identifiers.values_list("kind", "value"))
    assert values["phone"] == "+77015550101"
    assert values["email"] == "erlan@mail.kz"
    assert values["photo"] == "ab" * 32
    # The card is stored only as a keyed digest and its last four digits.
    assert "4111111111111111" not in values["card"]
    assert listing.identifiers.get(kind="card").display.endswith("1111")
    signal = Signal.objects.get(source="partner_report")
    assert (signal.partner, signal.report_id, signal.score) == (kolesa, "kolesa-1", 70)


def test_list_matches_are_reported_without_anything_personal(api, blocked):
    response = post(api, report(2, contacts={"phones": ["+7 701 555 01 01"]}))
    [result] = response.json()["results"]
    [match] = result["list_matches"]
    assert match["kind"] == "phone" and match["list"] == "black"
    assert set(match) == {
        "id",
        "kind",
        "display",
        "list",
        "scheme",
        "since",
        "expires_at",
        "handling",
    }
    assert result["risk_score"] >= 90


@pytest.mark.parametrize(
    ("changes", "path", "code"),
    [
        ({"report_id": DELETE}, "report_id", "required"),
        ({"report_id": "x" * 129}, "report_id", "max_length"),
        ({"report_id": "   "}, "report_id", "blank"),
        ({"report_id": "nul\x00byte"}, "report_id", "null_characters_not_allowed"),
        ({"subject": DELETE}, "subject", "required"),
        ({"subject": "l-1"}, "subject", "invalid"),
        ({"subject__kind": "shop"}, "subject.kind", "invalid_choice"),
        ({"subject__external_id": ""}, "subject.external_id", "blank"),
        ({"subject__category": "weapons"}, "subject.category", "invalid_choice"),
        ({"subject__price": -1}, "subject.price", "min_value"),
        ({"subject__price": 10**30}, "subject.price", "max_value"),
        ({"subject__price": "cheap"}, "subject.price", "invalid"),
        ({"subject__price": True}, "subject.price", "invalid"),
        ({"subject__currency": "tenge"}, "subject.currency", "invalid"),
        ({"subject__url": "javascript:alert(1)"}, "subject.url", "invalid"),
        ({"subject__registered_at": "yesterday"}, "subject.registered_at", "invalid"),
        ({"subject__title": ["a"]}, "subject.title", "invalid"),
        ({"subject__external_id": 1001}, "subject.external_id", "invalid"),
        ({"report_id": 7}, "report_id", "invalid"),
        ({"signal__score": "70"}, "signal.score", "invalid"),
        ({"signal__score": 70.5}, "signal.score", "invalid"),
        ({"subject__kind": "account"}, "account", "account_only_for_listings"),
        ({"account__external_id": DELETE}, "account.external_id", "required"),
        ({"contacts__phones": ["8 701 555 01 01", "12"]}, "contacts.phones.1", "invalid_phone"),
        ({"contacts__phones": "87015550101"}, "contacts.phones", "not_a_list"),
        ({"contacts__phones": ["+7 701 555 01 01"] * 21}, "contacts.phones", "max_length"),
        ({"contacts__emails": ["not-an-email"]}, "contacts.emails.0", "invalid_email"),
        ({"contacts__emails": [f"{'a' * 250}@mail.kz"]}, "contacts.emails.0", "too_long"),
        ({"contacts__cards": ["4111 1111 1111 1112"]}, "contacts.cards.0", "invalid_card"),
        ({"contacts__ibans": ["KZ00 0000"]}, "contacts.ibans.0", "invalid_iban"),
        ({"contacts__devices": ["$$"]}, "contacts.devices.0", "invalid_device"),
        ({"photos": [{"pdq": "xyz"}]}, "photos.0.pdq", "invalid_photo_hash"),
        ({"photos": [{}]}, "photos.0", "empty_photo"),
        ({"photos": [{"url": "ftp:/nope"}]}, "photos.0.url", "invalid"),
        ({"signal": DELETE}, "signal", "required"),
        ({"signal__scheme": "pyramid"}, "signal.scheme", "invalid_choice"),
        ({"signal__score": 101}, "signal.score", "max_value"),
        ({"signal__score": -5}, "signal.score", "min_value"),
        ({"signal__explanation": DELETE}, "signal.explanation", "required"),
        ({"signal__explanation": "x" * 2001}, "signal.explanation", "max_length"),
        ({"signal__source": "detection_rule"}, "signal.source", "invalid_choice"),
    ],
)
def test_each_bad_field_is_named_with_its_code(api, changes, path, code):
    before = counts()
    response = post(api, report(**changes))
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["status"] == "rejected"
    assert result["index"] == 0
    assert code in [e["code"] for e in result["errors"][path]], result["errors"]
    assert counts() == before


def test_a_report_that_is_not_an_object_is_rejected_on_its_own(api):
    response = post(api, 42, None, report(1))
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["rejected", "rejected", "accepted"]
    assert body["results"][0]["errors"]["non_field_errors"][0]["code"] == "invalid"
    assert body["results"][0]["report_id"] is None
    assert (body["accepted"], body["rejected"]) == (1, 2)


def test_valid_reports_are_stored_when_others_are_not(api):
    bad = report(2, contacts={"phones": ["nope"]})
    response = post(api, report(1), bad, report(3))
    body = response.json()
    assert [(r["index"], r["status"]) for r in body["results"]] == [
        (0, "accepted"),
        (1, "rejected"),
        (2, "accepted"),
    ]
    assert body["results"][1]["report_id"] == "kolesa-2"
    assert set(Report.objects.values_list("report_id", flat=True)) == {"kolesa-1", "kolesa-3"}


def test_a_resend_returns_the_first_answer_and_writes_nothing(api):
    first = post(api, report(1), report(2)).json()
    before = counts()
    changed = report(1, signal__score=99, subject__title="Something else")
    again = post(api, changed, report(2)).json()
    assert again == first
    assert counts() == before
    assert Subject.objects.get(kind="listing", external_id="l-1").title == "Toyota Camry 70, 2019"


def test_the_same_report_id_twice_in_one_batch_is_stored_once(api):
    body = post(api, report(1), report(1)).json()
    assert body["results"][0] | {"index": 1} == body["results"][1]
    assert Report.objects.count() == 1


def test_report_ids_belong_to_their_partner(api, krisha_api):
    post(api, report(1))
    response = post(krisha_api, report(1))
    [result] = response.json()["results"]
    assert result["status"] == "accepted"
    assert Report.objects.count() == 2
    assert Subject.objects.get(partner__slug="krisha", kind="listing").external_id == "l-1"


def test_a_user_complaint_on_an_account(api):
    body = report(1, subject={"kind": "account", "external_id": "u-77"}, account=DELETE)
    body["signal"]["source"] = "user_complaint"
    [result] = post(api, body).json()["results"]
    assert result["status"] == "accepted"
    assert Signal.objects.get(report_id="kolesa-1").source == "user_complaint"


def test_no_contacts_and_no_photos_is_fine(api):
    minimal = {
        "report_id": "m-1",
        "subject": {"kind": "listing", "external_id": "l-9"},
        "signal": {"scheme": "other", "explanation": "Complaint."},
    }
    [result] = post(api, minimal).json()["results"]
    assert result["status"] == "accepted"
    assert Signal.objects.get(report_id="m-1").score == 50


@pytest.mark.parametrize(
    ("body", "code", "path"),
    [
        ({}, "required", "reports"),
        ({"reports": []}, "empty", "reports"),
        ({"reports": {"report_id": "x"}}, "not_a_list", "reports"),
        ([report(1)], "invalid", "non_field_errors"),
    ],
)
def test_a_batch_that_is_not_a_list_of_reports(api, body, code, path):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid"
    assert error["errors"][path][0]["code"] == code


def test_more_than_a_thousand_reports_are_refused_before_any_is_stored(api):
    response = api.post(URL, {"reports": [report(1)] * 1001}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_many_reports"
    assert Report.objects.count() == 0


def test_the_limit_itself_is_allowed(api, settings):
    settings.API_MAX_REPORTS = 3
    assert post(api, report(1), report(2), report(3)).status_code == 200
    assert post(api, report(4), report(5), report(6), report(7)).status_code == 413


def test_a_body_over_the_limit_is_refused_by_its_length(api, settings):
    settings.API_MAX_BODY_BYTES = 2000
    body = json.dumps({"reports": [report(n) for n in range(5)]})
    assert len(body) > 2000
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert Report.objects.count() == 0


def test_the_default_body_limit_is_ten_megabytes(api):
    padding = "x" * (10 * 1024 * 1024)
    response = api.post(
        URL, json.dumps({"reports": [], "padding": padding}), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_queries_per_report_are_bounded(api, django_assert_max_num_queries):
    # Intake runs ~34 queries for a new report (subject, account, identifiers, signal,
    # detection, case, audit); what matters is that a batch costs no more per report.
    post(api, report(0))
    with django_assert_max_num_queries(20 * 40):
        response = post(api, *[report(n) for n in range(1, 21)])
    assert response.json()["accepted"] == 20
    with django_assert_max_num_queries(5 + 20 * 2):  # a resend: one read per report
        post(api, *[report(n) for n in range(1, 21)])


def test_a_gray_phone_raises_a_list_match(api, kolesa):
    indicator_list(
        actor=None,
        partner=kolesa,
        kind="phone",
        value="+77015550101",
        display="+7 701 555 0101",
        list=Indicator.List.GRAY,
        origin=Indicator.Origin.PARTNER_PROPOSAL,
        reason="prepayments",
    )
    [result] = post(api, report(1)).json()["results"]
    assert [m["list"] for m in result["list_matches"]] == ["gray"]
    assert Signal.objects.filter(source="list_match").count() == 1


def test_the_documented_example_is_accepted(api):
    from reviews.api.views import REPORT_EXAMPLE

    [result] = post(api, copy.deepcopy(REPORT_EXAMPLE)).json()["results"]
    assert result["status"] == "accepted", result


def test_bodies_beyond_the_form_limit_are_read(api, settings):
    # Django refuses request.body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, for forms); the
    # API's own limit (10 MB) is the one that counts for JSON.
    long_text = "Срочно! " * 2000  # 16,000 characters, 28 KB of UTF-8
    reports = [report(n, subject__text=long_text) for n in range(100)]
    body = json.dumps({"reports": reports}, ensure_ascii=False).encode()
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < len(body) < settings.API_MAX_BODY_BYTES
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["accepted"] == 100


def test_only_a_law_enforcement_partner_reports_as_the_police(api, kolesa):
    from accounts.models import Partner
    from antifraud.services.keys import api_key_create
    from tests.api.conftest import client_for
    from tests.factories import PartnerFactory

    police_report = report(
        1,
        signal={
            "scheme": "false_call",
            "score": 80,
            "explanation": "Case 2026-118: calls posing as the bank's security service.",
            "source": "law_enforcement",
        },
    )
    [refused] = post(api, police_report).json()["results"]
    assert refused["status"] == "rejected"
    assert refused["errors"]["signal.source"][0]["code"] == "source_not_allowed"
    assert not Signal.objects.filter(source="law_enforcement").exists()

    police = PartnerFactory(slug="police", name="МВД", kind=Partner.Kind.LAW_ENFORCEMENT)
    police_api = client_for(api_key_create(actor=None, partner=police, name="x")[1])
    [accepted] = post(police_api, police_report).json()["results"]
    assert accepted["status"] == "accepted"
    signal = Signal.objects.get(source="law_enforcement")
    assert signal.partner == police and signal.weight == 1.0


def test_reports_carrying_a_listed_value_are_its_hits_and_a_flood_quarantines_it(
    api, kolesa, settings
):
    settings.QUARANTINE_MIN_HITS = 5
    entry = indicator_list(
        actor=None,
        partner=kolesa,
        kind="phone",
        value="+77015550101",
        display="+7 701 555 0101",
        list=Indicator.List.GRAY,
        origin=Indicator.Origin.PARTNER_PROPOSAL,
        reason="prepayments",
    ).indicator
    post(api, *[report(n) for n in range(1, 5)])
    entry.refresh_from_db()
    assert entry.quarantined_at is None
    assert entry.hit_days.get().hits == 4
    post(api, report(5))
    entry.refresh_from_db()
    assert entry.quarantined_at is not None
    # Quarantined, it matches no more.
    [result] = post(api, report(6)).json()["results"]
    assert result["list_matches"] == []
