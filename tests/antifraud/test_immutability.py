"""Decisions and audit events are written once: no update, no delete, by any path."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from antifraud.audit import audit_record
from antifraud.models import AuditEvent, ImmutableRecordError
from reviews.models import Decision, Policy
from tests.factories import CaseFactory, SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(kolesa, moderator):
    subject = SubjectFactory(partner=kolesa)
    case = CaseFactory(subject=subject, status="decided", decided_at=timezone.now())
    return Decision.objects.create(
        case=case,
        subject=subject,
        action=Decision.Action.REMOVE_LISTING,
        policy=Policy.objects.get(code="underpriced-vehicle", is_current=True),
        statement_of_reasons="Цена намного ниже рыночной, требование задатка.",
        decided_by=moderator,
    )


@pytest.fixture
def event(moderator):
    return audit_record(actor=moderator, action="case.claimed", payload={"case": 1})


def test_decision_cannot_be_saved_again(decision):
    decision.statement_of_reasons = "rewritten"
    with pytest.raises(ImmutableRecordError):
        decision.save()
    decision.refresh_from_db()
    assert decision.statement_of_reasons.startswith("Цена")


def test_decision_cannot_be_deleted(decision):
    with pytest.raises(ImmutableRecordError):
        decision.delete()
    with pytest.raises(ImmutableRecordError):
        Decision.objects.filter(pk=decision.pk).delete()
    assert Decision.objects.filter(pk=decision.pk).exists()


def test_decision_queryset_update_is_refused(decision):
    with pytest.raises(ImmutableRecordError):
        Decision.objects.filter(pk=decision.pk).update(internal_note="x")
    with pytest.raises(ImmutableRecordError):
        Decision.objects.bulk_update([decision], ["internal_note"])


def test_audit_event_cannot_be_changed_or_deleted(event):
    event.action = "case.released"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(ImmutableRecordError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "case.claimed"


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["reviews_decision", "antifraud_auditevent"])
def test_postgres_refuses_raw_sql_changes(decision, event, table):
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with (
            pytest.raises(IntegrityError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
