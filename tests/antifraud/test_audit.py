from __future__ import annotations

import pytest
from django.db import connection, transaction

from antifraud.audit import AuditChainBroken, audit_chain_verify, audit_record
from antifraud.models import AuditChain, AuditEvent
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


def test_events_form_a_chain(moderator, kolesa):
    subject = SubjectFactory(partner=kolesa)
    first = audit_record(actor=moderator, action="case.claimed", target=subject, payload={"n": 1})
    second = audit_record(actor=None, partner=kolesa, action="report.ingested", payload={"n": 2})
    assert second.prev_hash == first.hash
    assert first.actor_label == "kolesa.mod"
    assert second.actor_label == "partner:kolesa"
    assert first.target_id == str(subject.pk)
    assert AuditChain.objects.get(pk=1).last_hash == second.hash
    assert audit_chain_verify() == 2


def _force(sql: str, params: list) -> None:
    """Edit the trail behind the application's back, as an intruder with SQL access would."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can silence the immutability trigger for its own session.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_an_edited_event_breaks_the_chain(moderator):
    audit_record(actor=moderator, action="decision.recorded", payload={"action": "block_account"})
    victim = audit_record(actor=moderator, action="decision.recorded", payload={"action": "clear"})
    audit_record(actor=moderator, action="case.released")
    _force(
        "UPDATE antifraud_auditevent SET actor_label = %s WHERE id = %s",
        ["someone.else", victim.pk],
    )
    with pytest.raises(AuditChainBroken) as broken:
        audit_chain_verify()
    assert broken.value.event_id == victim.pk


def test_a_removed_event_breaks_the_chain(moderator):
    audit_record(actor=moderator, action="a")
    victim = audit_record(actor=moderator, action="b")
    after = audit_record(actor=moderator, action="c")
    _force("DELETE FROM antifraud_auditevent WHERE id = %s", [victim.pk])
    with pytest.raises(AuditChainBroken) as broken:
        audit_chain_verify()
    assert broken.value.event_id == after.pk
    assert AuditEvent.objects.count() == 2
