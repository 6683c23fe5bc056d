"""Verifications of the whole chain: asked for by a hub supervisor or by beat, run by the
worker, each outcome kept; safe to run twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.roles import Role
from antifraud import tasks
from antifraud.audit import audit_chain_extend, audit_record
from antifraud.audit_checks import (
    STALE_AFTER,
    audit_chain_check_daily,
    audit_chain_check_request,
    audit_chain_check_run,
    chain_overview,
)
from antifraud.celery import app as celery_app
from antifraud.errors import NotAllowed
from antifraud.models import AuditChainCheck, AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub_supervisor(db):
    return UserFactory(username="hub.supervisor", partner=None, role=Role.SUPERVISOR)


def _force(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_a_request_is_recorded_audited_and_enqueued_after_commit(
    hub_supervisor, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.audit_chain_check_run, "delay", lambda *a: sent.append(a))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        check, new = audit_chain_check_request(actor=hub_supervisor)
    assert new and check.requested_by == hub_supervisor and check.finished_at is None
    assert AuditEvent.objects.filter(action="audit.verification_requested").count() == 1
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sent == [(check.pk,)]


def test_only_the_hubs_supervisors_and_administrators_ask(kolesa, moderator):
    supervisor = UserFactory(username="k.sup", partner=kolesa, role=Role.SUPERVISOR)
    hub_moderator = UserFactory(username="h.mod", partner=None, role=Role.MODERATOR)
    hub_admin = UserFactory(username="h.adm", partner=None, role=Role.ADMIN)
    for refused in (supervisor, moderator, hub_moderator):
        with pytest.raises(NotAllowed):
            audit_chain_check_request(actor=refused)
    assert audit_chain_check_request(actor=hub_admin)[1] is True


def test_a_stale_request_is_replaced(hub_supervisor):
    check, _new = audit_chain_check_request(actor=hub_supervisor)
    assert audit_chain_check_request(actor=hub_supervisor) == (check, False)
    AuditChainCheck.objects.filter(pk=check.pk).update(
        requested_at=timezone.now() - STALE_AFTER - timedelta(minutes=1)
    )
    again, new = audit_chain_check_request(actor=hub_supervisor)
    assert new and again.pk != check.pk


def test_a_run_chains_what_waits_verifies_and_records(moderator, hub_supervisor):
    for n in range(5):
        audit_record(actor=moderator, action="case.released", payload={"n": n})
    check, _new = audit_chain_check_request(actor=hub_supervisor)
    done = audit_chain_check_run(check_id=check.pk)
    assert done is not None
    assert done.ok is True and done.events_checked == 6  # five, and the request itself
    assert done.started_at is not None and done.finished_at >= done.started_at
    assert done.first_broken_event_id is None
    outcome = AuditEvent.objects.get(action="audit.chain_intact")
    assert outcome.payload["events_checked"] == 6 and outcome.partner_id is None
    assert chain_overview().last == done


def test_running_twice_changes_nothing(moderator):
    audit_record(actor=moderator, action="a")
    check = AuditChainCheck.objects.create()
    first = audit_chain_check_run(check_id=check.pk)
    assert first is not None
    second = audit_chain_check_run(check_id=check.pk)
    assert second is not None and second.finished_at == first.finished_at
    assert AuditEvent.objects.filter(action="audit.chain_intact").count() == 1
    assert audit_chain_check_run(check_id=10**9) is None


def test_a_check_another_worker_runs_is_left_to_it_unless_it_died(moderator):
    check = AuditChainCheck.objects.create(started_at=timezone.now())
    assert audit_chain_check_run(check_id=check.pk).finished_at is None  # type: ignore[union-attr]
    AuditChainCheck.objects.filter(pk=check.pk).update(
        started_at=timezone.now() - STALE_AFTER - timedelta(minutes=1)
    )
    assert audit_chain_check_run(check_id=check.pk).ok is True  # type: ignore[union-attr]


def test_a_tampered_event_is_where_the_check_finds_the_chain_broken(moderator):
    audit_record(actor=moderator, action="decision.recorded", payload={"action": "block_account"})
    victim = audit_record(actor=moderator, action="decision.recorded", payload={"action": "clear"})
    audit_record(actor=moderator, action="case.released")
    audit_chain_extend()
    _force(
        "UPDATE antifraud_auditevent SET actor_label = %s WHERE id = %s",
        ["someone.else", victim.pk],
    )
    check = audit_chain_check_daily()
    assert check is not None and check.requested_by is None
    assert (check.ok, check.first_broken_event_id, check.first_broken_seq) == (
        False,
        victim.pk,
        2,
    )
    assert check.events_checked == 1
    assert check.reason == "content does not match its hash"
    broken = AuditEvent.objects.get(action="audit.chain_broken")
    assert broken.payload["first_broken_event"] == victim.pk


def test_the_daily_task_is_on_beats_schedule_and_runs(moderator):
    entry = settings.CELERY_BEAT_SCHEDULE["audit-chain-check-daily"]
    assert entry["task"] == "antifraud.tasks.audit_chain_check_daily"
    assert entry["task"] in celery_app.tasks
    audit_record(actor=moderator, action="a")
    assert tasks.audit_chain_check_daily() is True
    assert AuditChainCheck.objects.get().events_checked == 1


def test_the_run_task_takes_an_id(moderator):
    check = AuditChainCheck.objects.create()
    assert tasks.audit_chain_check_run(check.pk) is True
    assert tasks.audit_chain_check_run(10**9) is None


def test_a_finished_check_has_an_outcome_and_a_broken_one_names_its_event():
    from django.db import IntegrityError

    now = timezone.now()
    for fields in (
        {"finished_at": now},  # finished, no outcome
        {"ok": True},  # an outcome, not finished
        {"finished_at": now, "ok": False},  # broken, naming no event
        {"finished_at": now, "ok": True, "first_broken_event_id": 3},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            AuditChainCheck.objects.create(**fields)
