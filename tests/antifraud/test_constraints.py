"""The rules the database itself holds: a bad row is refused even if code forgets a check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from antifraud.models import Indicator, Subject
from reviews.models import Case
from tests.factories import CaseFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def refused(**kwargs):
    return pytest.raises(IntegrityError, **kwargs)


def test_duplicate_subject_is_refused(kolesa):
    SubjectFactory(partner=kolesa, kind="listing", external_id="163224578")
    with refused(), transaction.atomic():
        SubjectFactory(partner=kolesa, kind="listing", external_id="163224578")


def test_same_external_id_on_another_partner_or_kind_is_allowed(kolesa, krisha):
    SubjectFactory(partner=kolesa, kind="listing", external_id="42")
    SubjectFactory(partner=krisha, kind="listing", external_id="42")
    SubjectFactory(partner=kolesa, kind="account", external_id="42")
    assert Subject.objects.filter(external_id="42").count() == 3


@pytest.mark.parametrize(
    ("kind", "status"),
    [("account", "removed"), ("listing", "blocked"), ("listing", "on_hold")],
)
def test_status_that_does_not_fit_the_kind_is_refused(kolesa, kind, status):
    with refused(), transaction.atomic():
        SubjectFactory(partner=kolesa, kind=kind, status=status)


def test_an_account_cannot_belong_to_an_account(kolesa):
    owner = SubjectFactory(partner=kolesa, kind="account")
    with refused(), transaction.atomic():
        SubjectFactory(partner=kolesa, kind="account", account=owner)


def test_black_list_entries_come_only_from_decisions(db):
    with refused(), transaction.atomic():
        Indicator.objects.create(
            kind="phone", value="+77011234567", list="black", origin="partner_proposal"
        )


def test_gray_list_entries_must_expire(db):
    with refused(), transaction.atomic():
        Indicator.objects.create(
            kind="phone", value="+77011234567", list="gray", origin="partner_proposal"
        )


def test_one_entry_in_force_per_value(db):
    Indicator.objects.create(kind="phone", value="+77011234567", list="black", origin="decision")
    with refused(), transaction.atomic():
        Indicator.objects.create(
            kind="phone",
            value="+77011234567",
            list="gray",
            origin="partner_proposal",
            expires_at=timezone.now() + timedelta(days=90),
        )
    # Once the first is revoked, a new entry for the value may be listed.
    Indicator.objects.filter(value="+77011234567").update(revoked_at=timezone.now())
    Indicator.objects.create(kind="phone", value="+77011234567", list="cleared", origin="decision")


def test_unknown_indicator_kind_is_refused(db):
    with refused(), transaction.atomic():
        Indicator.objects.create(kind="telegram", value="@x", list="cleared", origin="decision")


def test_one_open_case_per_subject(kolesa):
    subject = SubjectFactory(partner=kolesa)
    CaseFactory(subject=subject)
    with refused(), transaction.atomic():
        CaseFactory(subject=subject)
    # A decided case does not block a new one.
    Case.objects.filter(subject=subject).update(status="decided", decided_at=timezone.now())
    CaseFactory(subject=subject)


def test_claimed_case_needs_a_holder_and_a_lease(kolesa):
    with refused(), transaction.atomic():
        CaseFactory(subject=SubjectFactory(partner=kolesa), status="claimed")


def test_illegal_case_status_is_refused(kolesa):
    with refused(), transaction.atomic():
        CaseFactory(subject=SubjectFactory(partner=kolesa), status="archived")


def test_open_case_cannot_hold_a_lease(kolesa, moderator):
    with refused(), transaction.atomic():
        CaseFactory(
            subject=SubjectFactory(partner=kolesa),
            status="open",
            claimed_by=moderator,
            lease_until=timezone.now(),
        )


def test_risk_score_is_at_most_100(kolesa):
    with refused(), transaction.atomic():
        CaseFactory(subject=SubjectFactory(partner=kolesa), risk_score=101)
