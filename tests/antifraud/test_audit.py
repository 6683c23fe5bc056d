from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from antifraud.audit import (
    AuditChainBroken,
    audit_chain_extend,
    audit_chain_state,
    audit_chain_verify,
    audit_record,
)
from antifraud.models import AuditChain, AuditEvent
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


def test_events_are_written_unchained_and_chained_by_the_sequencer(moderator, kolesa):
    subject = SubjectFactory(partner=kolesa)
    first = audit_record(actor=moderator, action="case.claimed", target=subject, payload={"n": 1})
    second = audit_record(actor=None, partner=kolesa, action="report.ingested", payload={"n": 2})
    assert first.seq is None and first.hash is None
    assert audit_chain_state().unchained == 2

    assert audit_chain_extend() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert first.actor_label == "kolesa.mod"
    assert second.actor_label == "partner:kolesa"
    assert first.target_id == str(subject.pk)
    head = AuditChain.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (2, second.hash)
    assert audit_chain_verify() == 2
    assert audit_chain_extend() == 0  # nothing waits: nothing changes


def test_the_sequencer_works_in_batches_and_continues_the_chain(moderator):
    for n in range(7):
        audit_record(actor=moderator, action="case.released", payload={"n": n})
    assert audit_chain_extend(batch=3) == 7
    audit_record(actor=moderator, action="case.claimed")
    assert audit_chain_extend(batch=3) == 1
    assert audit_chain_verify() == 8
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 9)
    )


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
    audit_chain_extend()
    _force(
        "UPDATE antifraud_auditevent SET actor_label = %s WHERE id = %s",
        ["someone.else", victim.pk],
    )
    with pytest.raises(AuditChainBroken) as broken:
        audit_chain_verify()
    assert broken.value.event_id == victim.pk
    assert "content does not match" in str(broken.value)


def test_a_removed_event_breaks_the_chain(moderator):
    audit_record(actor=moderator, action="a")
    victim = audit_record(actor=moderator, action="b")
    after = audit_record(actor=moderator, action="c")
    audit_chain_extend()
    _force("DELETE FROM antifraud_auditevent WHERE id = %s", [victim.pk])
    with pytest.raises(AuditChainBroken) as broken:
        audit_chain_verify()
    assert broken.value.event_id == after.pk
    assert "missing" in str(broken.value)
    assert AuditEvent.objects.count() == 2


def test_removing_the_newest_events_breaks_the_chain_at_its_head(moderator):
    audit_record(actor=moderator, action="a")
    last = audit_record(actor=moderator, action="b")
    audit_chain_extend()
    _force("DELETE FROM antifraud_auditevent WHERE id = %s", [last.pk])
    with pytest.raises(AuditChainBroken, match="head"):
        audit_chain_verify()


def test_reordering_chained_events_breaks_the_chain(moderator):
    one = audit_record(actor=moderator, action="a")
    two = audit_record(actor=moderator, action="b")
    audit_record(actor=moderator, action="c")
    audit_chain_extend()
    _force("UPDATE antifraud_auditevent SET seq = -seq WHERE id IN (%s, %s)", [one.pk, two.pk])
    _force("UPDATE antifraud_auditevent SET seq = 1 WHERE id = %s", [two.pk])
    _force("UPDATE antifraud_auditevent SET seq = 2 WHERE id = %s", [one.pk])
    with pytest.raises(AuditChainBroken) as broken:
        audit_chain_verify()
    assert broken.value.seq == 1


def test_verify_audit_command(moderator):
    audit_record(actor=moderator, action="a")
    out = StringIO()
    call_command("verify_audit", stdout=out)  # chains what waits, then verifies
    assert out.getvalue().strip() == "audit chain intact: 1 event"

    victim = AuditEvent.objects.get()
    _force("UPDATE antifraud_auditevent SET action = %s WHERE id = %s", ["z", victim.pk])
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit", stdout=StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert err.getvalue().strip() == (
        f"audit chain broken at audit event {victim.pk} (seq 1): content does not match its hash"
    )


def test_verify_audit_reports_a_sequencer_that_stopped(moderator):
    audit_record(actor=moderator, action="a", at=timezone.now() - timedelta(minutes=5))
    err = StringIO()
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit", "--no-extend", "--max-lag", "60", stdout=out, stderr=err)
    assert exit_.value.code == 2
    assert "1 event waits to be chained" in out.getvalue()
    assert "is beat running the sequencer?" in err.getvalue()
    assert audit_chain_state().unchained == 1
    call_command("verify_audit", "--max-lag", "600", stdout=StringIO())  # within the limit
    assert audit_chain_state().unchained == 0


@pytest.mark.postgres
def test_the_trigger_lets_the_sequencer_chain_once_and_refuses_everything_else(moderator):
    event = audit_record(actor=moderator, action="a", payload={"x": 1})
    for sql in (
        "UPDATE antifraud_auditevent SET payload = '{}' WHERE id = %s",
        # chaining while changing the content too
        "UPDATE antifraud_auditevent SET seq = 1, prev_hash = 'p', hash = 'h', action = 'b'"
        " WHERE id = %s",
        "DELETE FROM antifraud_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    audit_chain_extend()
    with (
        pytest.raises(DatabaseError, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE antifraud_auditevent SET seq = 7 WHERE id = %s", [event.pk])
    assert audit_chain_verify() == 1


@pytest.mark.postgres
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_transactions_writing_audit_events_do_not_wait_for_each_other(moderator):
    """One transaction records an event and stays open; another records its own and
    commits meanwhile, under a lock timeout that would fire if it had to wait."""
    first_wrote = threading.Event()
    second_done = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                audit_record(actor=moderator, action="slow.transaction")
                first_wrote.set()
                # Held open until the second transaction has committed, or 10 s.
                outcome["second_finished_while_first_open"] = second_done.wait(timeout=10)
        except BaseException as exc:
            outcome["first_error"] = exc
        finally:
            connection.close()

    def second() -> None:
        try:
            first_wrote.wait(timeout=10)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                audit_record(actor=moderator, action="fast.transaction")
            second_done.set()
        except BaseException as exc:
            outcome["second_error"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert "first_error" not in outcome and "second_error" not in outcome, outcome
    assert outcome["second_finished_while_first_open"] is True
    assert audit_chain_extend() == 2
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "slow.transaction",
        "fast.transaction",
    }
    assert audit_chain_verify() == 2


@pytest.mark.postgres
@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_event_committed_late_is_chained_after_those_committed_before_it(moderator):
    """Ids are taken at insert, chain places at commit: a long transaction's event with a
    low id joins the chain after events that committed while it was open."""
    inserted = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def slow() -> None:
        try:
            with transaction.atomic():
                audit_record(actor=moderator, action="slow")
                inserted.set()
                release.wait(timeout=10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=slow)
    thread.start()
    inserted.wait(timeout=10)
    audit_record(actor=moderator, action="fast")
    assert audit_chain_extend() == 1  # the slow one is not visible yet
    release.set()
    thread.join(timeout=30)
    assert not errors, errors
    assert audit_chain_extend() == 1
    slow_event = AuditEvent.objects.get(action="slow")
    fast_event = AuditEvent.objects.get(action="fast")
    assert slow_event.pk < fast_event.pk
    assert (fast_event.seq, slow_event.seq) == (1, 2)
    assert audit_chain_verify() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_trail_chained_before_the_sequencer_existed_still_verifies(moderator):
    """Upgrading: events chained by the old scheme (under a lock, in id order) get their
    sequence numbers in id order and keep their hashes."""
    from django.db.migrations.executor import MigrationExecutor

    from antifraud.audit import GENESIS_HASH, _event_hash

    executor = MigrationExecutor(connection)
    executor.migrate([("antifraud", "0004_delivery_feed")])
    try:
        prev_hash = GENESIS_HASH
        now = timezone.now()
        with connection.cursor() as cursor:
            for n in range(3):
                digest = _event_hash(
                    prev_hash=prev_hash,
                    created_at=now,
                    actor_label="kolesa.mod",
                    action=f"old.{n}",
                    target_label="",
                    target_id="",
                    payload={"n": n},
                )
                cursor.execute(
                    "INSERT INTO antifraud_auditevent (created_at, actor_label, action, target_id,"
                    " target_repr, payload, prev_hash, hash) VALUES (%s, %s, %s, '', '', %s, %s, %s)",
                    [now, "kolesa.mod", f"old.{n}", f'{{"n": {n}}}', prev_hash, digest],
                )
                prev_hash = digest
            cursor.execute(
                "UPDATE antifraud_auditchain SET last_hash = %s WHERE id = 1", [prev_hash]
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    audit_record(actor=moderator, action="new.0")
    assert audit_chain_extend() == 1
    assert audit_chain_verify() == 4
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "old.0",
        "old.1",
        "old.2",
        "new.0",
    ]
