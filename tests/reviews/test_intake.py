"""report_ingest: a partner's report becomes a subject, a signal and a case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from antifraud.models import AuditEvent, Signal, Subject, SubjectIdentifier
from antifraud.normalize import normalize
from antifraud.services import indicator_list
from reviews.models import Case, Report
from reviews.services.intake import (
    AccountInput,
    PhotoInput,
    ReportInput,
    SubjectInput,
    report_ingest,
)

pytestmark = pytest.mark.django_db

PHONE = "+77015550101"
PDQ = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"


def report(report_id="r-1", external_id="163224578", **kwargs) -> ReportInput:
    kwargs.setdefault("scheme", "underpriced_vehicle")
    kwargs.setdefault("explanation", "Покупатель сообщил: продавец требует задаток.")
    kwargs.setdefault("score", 60)
    return ReportInput(
        report_id=report_id,
        subject=SubjectInput(
            kind="listing",
            external_id=external_id,
            title="Toyota Camry 70, 2019 г.",
            price=5_500_000,
            city="Алматы",
            category="cars",
        ),
        account=AccountInput(
            external_id="u-77", name="Ерлан Т.", registered_at=timezone.now() - timedelta(days=3)
        ),
        identifiers=(normalize("phone", "8 701 555 01 01"),),
        photos=(PhotoInput(pdq_hash=PDQ, url="https://kolesa.kz/photo/1.jpg"),),
        **kwargs,
    )


def test_a_report_opens_a_case(kolesa):
    outcome = report_ingest(partner=kolesa, report=report())
    assert outcome.created
    result = outcome.result
    listing = Subject.objects.get(pk=result["subject_id"])
    assert listing.kind == "listing" and listing.account.external_id == "u-77"
    assert listing.status == "active" and listing.price == 5_500_000
    case = Case.objects.get(pk=result["case_id"])
    assert case.status == "open" and case.partner == kolesa and case.scheme == "underpriced_vehicle"
    assert result["risk_score"] == case.risk_score == 60
    assert case.deadline > timezone.now() + timedelta(hours=23)
    # The phone links the listing and its account; the photo hash is an identifier too.
    assert set(
        SubjectIdentifier.objects.filter(value=PHONE).values_list("subject_id", flat=True)
    ) == {
        listing.pk,
        listing.account_id,
    }
    assert SubjectIdentifier.objects.filter(subject=listing, kind="photo", value=PDQ).exists()
    assert listing.photos.get().source_url.endswith("1.jpg")
    assert {"case.opened", "report.ingested"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )


def test_a_resend_returns_the_first_answer_and_writes_nothing(kolesa):
    first = report_ingest(partner=kolesa, report=report())
    counts = (
        Subject.objects.count(),
        Signal.objects.count(),
        Case.objects.count(),
        AuditEvent.objects.count(),
    )
    again = report_ingest(partner=kolesa, report=report(explanation="different text this time"))
    assert not again.created
    assert again.result == first.result
    assert (
        Subject.objects.count(),
        Signal.objects.count(),
        Case.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_the_same_report_id_from_another_partner_is_another_report(kolesa, krisha):
    report_ingest(partner=kolesa, report=report())
    assert report_ingest(partner=krisha, report=report()).created
    assert Report.objects.count() == 2


def test_a_second_report_joins_the_open_case_and_raises_its_priority(kolesa):
    first = report_ingest(partner=kolesa, report=report())
    case = Case.objects.get(pk=first.result["case_id"])
    second = report_ingest(
        partner=kolesa, report=report(report_id="r-2", score=75, source="user_complaint")
    )
    assert second.result["case_id"] == case.pk
    case.refresh_from_db()
    assert case.signals.count() == 2
    # Two independent reasons: 100 × (1 − (1 − 0.6)(1 − 0.75)) = 90 (reviews.scoring).
    assert case.risk_score == 90
    assert case.priority > 600


def test_a_listed_phone_is_matched_at_once(kolesa):
    indicator_list(
        actor=None,
        kind="phone",
        value=PHONE,
        display="+7 701 555 0101",
        list="black",
        origin="decision",
        scheme="fake_rental",
    )
    result = report_ingest(partner=kolesa, report=report()).result
    [match] = result["list_matches"]
    assert (
        match["kind"] == "phone" and match["list"] == "black" and match["scheme"] == "fake_rental"
    )
    assert "since" in match
    case = Case.objects.get(pk=result["case_id"])
    list_signal = case.signals.get(source="list_match")
    assert list_signal.rule == "lists.match" and list_signal.score == 90
    assert case.risk_score == 96  # 100 × (1 − (1 − 0.9)(1 − 0.6))


def test_an_expired_gray_entry_does_not_match(kolesa):
    indicator_list(
        actor=None,
        kind="phone",
        value=PHONE,
        display=PHONE,
        list="gray",
        origin="partner_proposal",
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert report_ingest(partner=kolesa, report=report()).result["list_matches"] == []


def test_a_blocked_account_is_reported_without_a_new_case(kolesa):
    report_ingest(partner=kolesa, report=report())
    Subject.objects.filter(kind="listing").update(status="removed")
    result = report_ingest(partner=kolesa, report=report(report_id="r-2")).result
    assert result["case_id"] is None and result["subject_status"] == "removed"
    assert Case.objects.count() == 1


def test_reports_update_the_subject_but_never_its_status(kolesa):
    first = report_ingest(partner=kolesa, report=report()).result
    Subject.objects.filter(kind="listing").update(status="cleared")
    Case.objects.filter(pk=first["case_id"]).update(status="decided", decided_at=timezone.now())
    updated = ReportInput(
        report_id="r-2",
        subject=SubjectInput(
            kind="listing",
            external_id="163224578",
            title="Toyota Camry 70, 2019 г., срочно",
            price=4_900_000,
        ),
        scheme="underpriced_vehicle",
        explanation="Цену снизили ещё.",
    )
    result = report_ingest(partner=kolesa, report=updated).result
    listing = Subject.objects.get(kind="listing")
    assert listing.title.endswith("срочно") and listing.price == 4_900_000
    assert listing.status == "cleared"
    # A cleared subject with a new signal gets a new case.
    assert result["case_id"] != first["case_id"]
    assert Case.objects.get(pk=result["case_id"]).status == "open"
