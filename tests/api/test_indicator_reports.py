"""POST /api/v1/reports/ with indicators alone: what banks, telecoms and the police report —
values used in a fraud, with no account or listing behind them."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Partner
from antifraud.models import (
    AuditEvent,
    Corroboration,
    Delivery,
    Indicator,
    Signal,
    Subject,
    SubjectIdentifier,
)
from antifraud.normalize import normalize
from antifraud.services import indicator_list
from antifraud.services.keys import api_key_create
from reviews.models import Case, Report
from tests.api.conftest import client_for
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/"
VISA = "4111 1111 1111 1111"
KZ_IBAN = "KZ86 125K ZT50 0410 0100"
PHONE = "+7 701 555 01 01"


@pytest.fixture
def bank(db) -> Partner:
    return PartnerFactory(slug="bank", name="Demo Bank KZ", kind=Partner.Kind.BANK)


@pytest.fixture
def police(db) -> Partner:
    return PartnerFactory(slug="police", name="Police of Almaty", kind=Partner.Kind.LAW_ENFORCEMENT)


def api_of(partner: Partner):
    return client_for(api_key_create(actor=None, partner=partner, name="backend")[1])


@pytest.fixture
def bank_api(bank):
    return api_of(bank)


def indicator_report(n: int = 1, *values: tuple[str, str], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "report_id": f"bank-{n}",
        "indicators": [
            {"kind": kind, "value": value}
            for kind, value in (values or (("card", VISA), ("iban", KZ_IBAN), ("phone", PHONE)))
        ],
        "fraud": {
            "scheme": "prepaid_delivery",
            "amount": 250_000,
            "occurred_on": "2026-11-20",
            "description": "Paid for car parts that never came.",
        },
    }
    body.update(changes)
    return body


def post(api, *reports: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.post(URL, {"reports": list(reports)}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def entry_of(kind: str, raw: str) -> Indicator:
    value = normalize(kind, raw)
    return Indicator.objects.get(kind=kind, value=value.value, revoked_at__isnull=True)


def written() -> dict[str, int]:
    models = (Indicator, Corroboration, Report, Signal, Case, AuditEvent, Delivery)
    return {m.__name__: m.objects.count() for m in models}


# --- the entries ---------------------------------------------------------------------------


def test_a_banks_report_lists_each_value_gray_with_the_bank_behind_it(bank_api, bank):
    [result] = post(bank_api, indicator_report())
    assert result["status"] == "accepted", result
    assert result["errors"] == {}
    assert [(e["index"], e["kind"], e["list"], e["created"]) for e in result["entries"]] == [
        (0, "card", "gray", True),
        (1, "iban", "gray", True),
        (2, "phone", "gray", True),
    ]
    report = Report.objects.get(partner=bank, report_id="bank-1")
    assert report.subject is None and report.signal is None and report.case is None
    assert report.result == {k: v for k, v in result.items() if k != "index"}
    card = entry_of("card", VISA)
    assert result["entries"][0]["entry"] == card.pk
    assert result["entries"][0]["display"] == "•••• 1111"
    for kind, raw in (("card", VISA), ("iban", KZ_IBAN), ("phone", PHONE)):
        indicator = entry_of(kind, raw)
        assert indicator.list == Indicator.List.GRAY and indicator.expires_at is not None
        assert indicator.origin == Indicator.Origin.PARTNER_REPORT
        assert indicator.partner == bank and indicator.scheme == "prepaid_delivery"
        assert indicator.reason == "Paid for car parts that never came."
        [support] = indicator.supports.all()
        assert (support.partner, support.partner_kind, support.source) == (
            bank,
            "bank",
            Corroboration.Source.REPORT,
        )
        assert support.amount == 250_000 and support.occurred_on == date(2026, 11, 20)
        assert support.report_ref == f"report:{report.pk}"
        # One partner, one kind: no quorum.
        assert indicator.promotion_due_at is None
    # The card's number is kept only as its keyed digest.
    assert "4111111111111111" not in card.value
    # Every partner learns of the new entries.
    assert Delivery.objects.filter(event_type="indicator.listed").count() == 3


def test_a_resend_returns_the_same_answer_and_writes_nothing(bank_api):
    [first] = post(bank_api, indicator_report())
    before = written()
    [again] = post(bank_api, indicator_report())
    assert again == first
    assert written() == before


def test_a_second_kind_of_partner_queues_the_entry_for_promotion_but_it_stays_gray(
    bank_api, api, kolesa
):
    post(bank_api, indicator_report(1, ("phone", PHONE)))
    assert entry_of("phone", PHONE).promotion_due_at is None
    [result] = post(api, indicator_report(1, ("phone", "8 701 555 01 01"), report_id="kolesa-1"))
    [entry] = result["entries"]
    assert entry["created"] is False and entry["list"] == "gray"
    phone = entry_of("phone", PHONE)
    assert entry["entry"] == phone.pk
    assert phone.promotion_due_at is not None
    assert phone.list == Indicator.List.GRAY  # only a senior moderator promotes
    assert phone.corroborations == 1
    assert set(phone.supports.values_list("partner_kind", flat=True)) == {"bank", "classifieds"}


def test_one_partner_alone_never_queues_an_entry_nor_two_of_one_kind(bank_api):
    post(bank_api, indicator_report(1, ("phone", PHONE)))
    post(bank_api, indicator_report(2, ("phone", PHONE)))
    phone = entry_of("phone", PHONE)
    assert phone.supports.count() == 1 and phone.corroborations == 0
    assert phone.promotion_due_at is None
    other_bank = PartnerFactory(slug="bank2", name="Other Bank", kind=Partner.Kind.BANK)
    post(api_of(other_bank), indicator_report(1, ("phone", PHONE)))
    phone.refresh_from_db()
    assert phone.supports.count() == 2 and phone.corroborations == 1
    assert phone.promotion_due_at is None  # two partners, but of one kind


# --- refusals --------------------------------------------------------------------------------


def vet_as_honest(kind: str, raw: str) -> Indicator:
    value = normalize(kind, raw)
    return indicator_list(
        actor=None,
        kind=kind,
        value=value.value,
        display=value.display,
        list=Indicator.List.CLEARED,
        origin=Indicator.Origin.DECISION,
        reason="overturned on appeal",
    ).indicator


def test_a_value_vetted_as_honest_is_refused_on_its_own(bank_api):
    cleared = vet_as_honest("phone", PHONE)
    [result] = post(bank_api, indicator_report(1, ("card", VISA), ("phone", PHONE)))
    assert result["status"] == "accepted"
    assert [e["kind"] for e in result["entries"]] == ["card"]
    [error] = result["errors"]["indicators.1.value"]
    assert error["code"] == "value_cleared"
    cleared.refresh_from_db()
    assert cleared.list == Indicator.List.CLEARED and cleared.revoked_at is None
    assert entry_of("card", VISA).list == Indicator.List.GRAY


def test_a_report_of_honest_values_only_is_rejected_and_leaves_nothing(bank_api):
    vet_as_honest("phone", PHONE)
    before = written()
    [result] = post(bank_api, indicator_report(1, ("phone", PHONE)))
    assert result["status"] == "rejected"
    assert result["errors"]["indicators.0.value"][0]["code"] == "value_cleared"
    assert written() == before


def test_the_police_report_as_the_police_and_a_bank_may_not(bank_api, police):
    as_police = indicator_report(1, ("card", VISA), signal={"source": "law_enforcement"})
    [refused] = post(bank_api, as_police)
    assert refused["status"] == "rejected"
    assert refused["errors"]["signal.source"][0]["code"] == "source_not_allowed"
    assert not Indicator.objects.exists() and not Report.objects.exists()

    kolesa = PartnerFactory(slug="kolesa", name="Kolesa.kz")
    listing = Subject.objects.create(partner=kolesa, kind="listing", external_id="l-1")
    card = normalize("card", VISA)
    SubjectIdentifier.objects.create(
        subject=listing, kind="card", value=card.value, display=card.display
    )
    [accepted] = post(api_of(police), as_police)
    assert accepted["status"] == "accepted"
    signal = Signal.objects.get(subject=listing)
    assert signal.source == Signal.Source.LAW_ENFORCEMENT and signal.weight == 1.0
    assert signal.explanation.startswith("The police reported Card •••• 1111 used in a fraud")


@pytest.mark.parametrize(
    ("changes", "path", "code"),
    [
        ({"indicators": []}, "indicators", "min_length"),
        ({"indicators": [{"kind": "photo", "value": "ab" * 32}]}, "indicators.0.kind", None),
        ({"indicators": [{"kind": "card", "value": "4111 1111 1111 1112"}]}, None, None),
        ({"fraud": {"scheme": "made_up"}}, "fraud.scheme", "invalid_choice"),
        ({"fraud": {"scheme": "other", "amount": "lots"}}, "fraud.amount", "invalid"),
        ({"fraud": {"scheme": "other", "occurred_on": 20261120}}, "fraud.occurred_on", "invalid"),
        ({"signal": {"source": "user_complaint"}}, "signal.source", "invalid_choice"),
        ({"subject": {"kind": "listing", "external_id": "l-1"}}, "indicators", None),
    ],
)
def test_a_malformed_report_of_indicators_is_rejected_naming_the_field(
    bank_api, changes, path, code
):
    [result] = post(bank_api, indicator_report(1, **changes))
    assert result["status"] == "rejected", result
    errors = result["errors"]
    expected_path = path or "indicators.0.value"
    expected_code = (
        code
        or {
            "indicators.0.kind": "invalid_choice",
            "indicators.0.value": "invalid_card",
            "indicators": "subject_or_indicators",
        }[expected_path]
    )
    assert errors[expected_path][0]["code"] == expected_code, errors
    assert not Indicator.objects.exists()


def test_a_fraud_cannot_lie_ahead(bank_api):
    tomorrow = timezone.localdate() + timedelta(days=1)
    report = indicator_report(1, ("card", VISA))
    report["fraud"]["occurred_on"] = f"{tomorrow:%Y-%m-%d}"
    [result] = post(bank_api, report)
    assert result["errors"]["fraud.occurred_on"][0]["code"] == "future"


def iban(country: str, bban: str) -> str:
    """An IBAN with correct check digits (ISO 7064 mod 97-10), whatever its length: so that a
    refusal is for the length alone."""
    digits = "".join(str(int(ch, 36)) for ch in f"{bban}{country}00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("KZ86125KZT5004100100", True),  # 20 characters, Kazakhstan's length
        (iban("KZ", "125KZT500410010000"), False),  # 22
        (iban("KZ", "125KZT50041001000000"), False),  # 24
        ("DE89370400440532013000", True),  # 22
        (iban("DE", "370400440532013000" + "0"), False),  # 23
        ("GB82WEST12345698765432", True),  # 22
        (iban("GB", "WEST1234569876543"), False),  # 21
    ],
)
def test_ibans_are_checked_for_their_countrys_length(bank_api, value, accepted):
    [result] = post(bank_api, indicator_report(1, ("iban", value)))
    if accepted:
        assert result["status"] == "accepted", result
        assert Indicator.objects.get(kind="iban").value == value
    else:
        assert result["status"] == "rejected"
        assert result["errors"]["indicators.0.value"][0]["code"] == "invalid_iban"
        assert "length" in result["errors"]["indicators.0.value"][0]["message"]


def test_an_iin_is_kept_as_a_digest_and_checked_for_its_check_digit(bank_api):
    [good] = post(bank_api, indicator_report(1, ("iin", "900101300047")))
    [entry] = good["entries"]
    assert entry["kind"] == "iin" and entry["display"] == "•••• 0047"
    assert "900101300047" not in Indicator.objects.get(kind="iin").value
    [bad] = post(bank_api, indicator_report(2, ("iin", "900101300048")))
    assert bad["status"] == "rejected"
    assert bad["errors"]["indicators.0.value"][0]["code"] == "invalid_iin"


def test_the_documented_example_is_accepted(bank_api):
    from reviews.api.views import INDICATOR_REPORT_EXAMPLE

    [result] = post(bank_api, copy.deepcopy(INDICATOR_REPORT_EXAMPLE))
    assert result["status"] == "accepted", result
    assert len(result["entries"]) == 3


# --- the signals ----------------------------------------------------------------------------


def test_a_subject_carrying_a_reported_card_gets_the_banks_signal_and_its_case_risk_rises(
    api, bank_api, bank, kolesa
):
    from tests.api.test_reports import report

    [listed] = post(api, report(1, contacts={"cards": [VISA]}))
    case = Case.objects.get(pk=listed["case_id"])
    risk_before = case.risk_score
    listing = Subject.objects.get(pk=listed["subject_id"])
    blocked = Subject.objects.create(
        partner=kolesa, kind="account", external_id="u-blocked", status="blocked"
    )
    card = normalize("card", VISA)
    SubjectIdentifier.objects.create(
        subject=blocked, kind="card", value=card.value, display=card.display
    )

    [result] = post(bank_api, indicator_report(1, ("card", VISA), ("phone", "+77019998877")))
    # Nothing in the answer says who else carries the values.
    assert set(result) == {"index", "report_id", "status", "entries", "errors"}
    signal = Signal.objects.get(subject=listing, partner=bank)
    assert signal.source == Signal.Source.PARTNER_REPORT and signal.scheme == "prepaid_delivery"
    assert signal.explanation == (
        "A bank reported Card •••• 1111 used in a fraud "
        "(prepaid delivery, 250\u00a0000 ₸, 2026-11-20)."
    )
    assert signal.details["report"] == Report.objects.get(partner=bank).pk
    case.refresh_from_db()
    assert signal in case.signals.all()
    assert case.risk_score > risk_before
    # The listing's account carries the card too (contacts belong to the person); a blocked
    # account needs no review.
    assert Signal.objects.filter(subject=listing.account, partner=bank).exists()
    assert not Signal.objects.filter(subject=blocked).exists()

    from antifraud.detection.base import signal_explanation

    russian = signal_explanation(signal, "ru")
    assert "•••• 1111" in russian and russian != signal.explanation


def test_a_resent_report_adds_no_signal(api, bank_api):
    from tests.api.test_reports import report

    post(api, report(1, contacts={"cards": [VISA]}))
    post(bank_api, indicator_report(1, ("card", VISA)))
    signals = Signal.objects.count()
    post(bank_api, indicator_report(1, ("card", VISA)))
    assert Signal.objects.count() == signals


def test_queries_per_report_of_indicators_are_bounded(bank_api, django_assert_max_num_queries):
    post(bank_api, indicator_report(0))
    reports = [
        indicator_report(n, ("card", VISA), ("phone", f"+7701555{n:04d}")) for n in range(1, 11)
    ]
    # Each value: a listing (lock, insert, support, audit, outbox), its carriers; each
    # report: its row, answer and audit event.
    with django_assert_max_num_queries(10 * 45):
        results = post(bank_api, *reports)
    assert all(r["status"] == "accepted" for r in results)
