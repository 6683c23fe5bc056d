"""The audit trail's page: who reads which partner's trail, its filters, its links, the
chain's state and "Verify now"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import OperationalError
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from antifraud import tasks
from antifraud.audit import audit_chain_extend, audit_record
from antifraud.audit_checks import audit_chain_check_run
from antifraud.celery import app as celery_app
from antifraud.models import AuditChainCheck, AuditEvent
from reviews.models import Appeal, Decision
from tests.factories import listing_case
from tests.oversight.logs_world import decide, signed_in

pytestmark = pytest.mark.django_db

URL = reverse("audit-trail")
VERIFY = reverse("audit-chain-verify")


def shown(user, query: str = "") -> list[AuditEvent]:
    response = signed_in(user).get(URL + query)
    assert response.status_code == 200, response.status_code
    return [row.event for row in response.context["rows"]]


@pytest.fixture
def eager():
    """Tasks run in this process when enqueued."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def _force(sql: str, params: list) -> None:
    """Edit the trail behind the application's back, as an intruder with SQL access would."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("kolesa.moderator", 403),
        ("kolesa.senior", 403),
        ("hub.moderator", 403),
        ("hub.senior", 403),
        ("kolesa.supervisor", 200),
        ("kolesa.admin", 200),
        ("krisha.supervisor", 200),
        ("hub.supervisor", 200),
    ],
)
def test_supervisors_and_administrators_read_it(logs, name, status):
    assert signed_in(logs.staff[name]).get(URL).status_code == status


def test_a_partners_supervisor_reads_their_partners_trail(logs, kolesa, krisha):
    kolesa_events = shown(logs.staff["kolesa.supervisor"], "?action=decision.recorded")
    assert {e.target_id for e in kolesa_events} == {
        str(logs.decisions[name].pk)
        for name in ("blocked", "removed", "cleared", "automated", "reversal")
    }
    # The hub's moderator and reviewer worked on Kolesa's objects: Kolesa's trail.
    assert {e.actor_label for e in kolesa_events} == {
        "kolesa.moderator",
        "hub.moderator",
        "hub.senior",
    }
    every = shown(logs.staff["kolesa.supervisor"])
    assert every and all(e.partner_id == kolesa.pk for e in every)
    krisha_events = shown(logs.staff["krisha.supervisor"])
    assert krisha_events and all(e.partner_id == krisha.pk for e in krisha_events)
    actions = {e.action for e in krisha_events}
    assert {"decision.recorded", "appeal.filed", "appeal.withdrawn"} <= actions
    everything = shown(logs.staff["hub.supervisor"], "?action=decision.recorded")
    assert len(everything) == 6


def test_the_hubs_own_events_are_the_hubs_alone(logs):
    hub = logs.staff["hub.supervisor"]
    audit_record(actor=hub, action="partner.updated", payload={"changes": {}})
    assert "partner.updated" in {e.action for e in shown(hub)}
    for name in ("kolesa.supervisor", "krisha.supervisor"):
        assert "partner.updated" not in {e.action for e in shown(logs.staff[name])}


def test_an_event_of_another_partner_is_never_shown_whatever_the_filter(logs):
    foreign = logs.decisions["foreign"]
    query = f"?object_type=reviews.decision&object_id={foreign.pk}"
    assert shown(logs.staff["kolesa.supervisor"], query) == []
    assert {e.action for e in shown(logs.staff["krisha.supervisor"], query)} == {
        "decision.recorded",
        "appeal.link_issued",
    }
    # The partner filter is the hub's: Kolesa's supervisor asking for Krisha's gets Kolesa's.
    response = signed_in(logs.staff["kolesa.supervisor"]).get(URL + "?partner=krisha")
    assert "partner" not in response.context["filter"].form.fields


@pytest.mark.parametrize(
    ("query", "actions"),
    [
        ("?actor=hub.senior", {"appeal.claimed", "appeal.overturned", "decision.recorded"}),
        ("?actor=HUB.SENIOR&action=appeal.", {"appeal.claimed", "appeal.overturned"}),
        ("?action=appeal.withdrawn", {"appeal.withdrawn"}),
        ("?object_type=reviews.appeal&partner=krisha", {"appeal.filed", "appeal.withdrawn"}),
    ],
)
def test_filters(logs, query, actions):
    found = {e.action for e in shown(logs.staff["hub.supervisor"], query)}
    assert found == actions


def test_filter_by_one_object(logs):
    appeal = logs.appeals["upheld"]
    events = shown(
        logs.staff["hub.supervisor"], f"?object_type=reviews.appeal&object_id={appeal.pk}"
    )
    assert [e.action for e in events] == ["appeal.upheld", "appeal.claimed", "appeal.filed"]


def test_date_range(logs):
    supervisor = logs.staff["hub.supervisor"]
    old = timezone.now() - timedelta(days=40)
    audit_record(actor=supervisor, action="old.event", at=old)
    day = timezone.localdate(old)
    assert [e.action for e in shown(supervisor, f"?date_from={day}&date_to={day}")] == ["old.event"]
    later = day + timedelta(days=1)
    assert "old.event" not in {e.action for e in shown(supervisor, f"?date_from={later}")}


def test_rows_link_to_the_objects_pages(logs):
    response = signed_in(logs.staff["kolesa.supervisor"]).get(URL)
    links = {row.event.action: row.link for row in response.context["rows"]}
    upheld = logs.appeals["upheld"]
    assert links["appeal.upheld"] == reverse("appeal-review", args=[upheld.pk])
    # A decision is read on its case's page.
    assert links["decision.recorded"].startswith("/cases/")
    events = {(row.event.action, row.event.target_id): row.link for row in response.context["rows"]}
    decision = logs.decisions["removed"]
    assert events[("decision.recorded", str(decision.pk))] == reverse(
        "case", args=[decision.case_id]
    )
    assert events[("case.claimed", str(decision.case_id))] == reverse(
        "case", args=[decision.case_id]
    )


def test_payloads_are_escaped(logs):
    supervisor = logs.staff["hub.supervisor"]
    audit_record(
        actor=supervisor,
        action="case.escalated",
        target=logs.decisions["cleared"].case,
        payload={"note": '<script>alert("x")</script><img src=x onerror=alert(1)>'},
    )
    text = signed_in(supervisor).get(URL).content.decode()
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;" in text


def test_queries_do_not_grow_with_the_page(logs, kolesa, django_assert_max_num_queries):
    client = signed_in(logs.staff["hub.supervisor"])
    client.get(URL)
    with django_assert_max_num_queries(25) as few:
        client.get(URL)
    moderator = logs.staff["kolesa.moderator"]
    for n in range(10):
        decide(moderator, listing_case(kolesa).pk, "clear", "no-violation", f"Нарушений нет {n}.")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert len(response.context["rows"]) == 50
    assert len([row for row in response.context["rows"] if row.link]) > 25


# --- the chain ----------------------------------------------------------------------------


def test_the_chain_unverified_then_verified_by_a_hub_supervisor(
    logs, eager, django_capture_on_commit_callbacks
):
    client = signed_in(logs.staff["hub.supervisor"])
    text = client.get(URL).content.decode()
    assert "The chain has not been verified yet." in text and "Verify now" in text
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(VERIFY)
    assert response.status_code == 302 and response["Location"] == URL
    assert len(callbacks) == 1
    check = AuditChainCheck.objects.get()
    assert check.ok is True and check.requested_by == logs.staff["hub.supervisor"]
    assert check.events_checked == AuditEvent.objects.filter(seq__isnull=False).count()
    text = client.get(URL).content.decode()
    assert "Intact" in text and "asked for by hub.supervisor" in text
    assert AuditEvent.objects.filter(action="audit.verification_requested").count() == 1
    assert AuditEvent.objects.filter(action="audit.chain_intact").count() == 1


def test_partners_supervisors_see_the_state_but_do_not_verify(logs):
    check = AuditChainCheck.objects.create()
    audit_chain_check_run(check_id=check.pk)
    client = signed_in(logs.staff["kolesa.supervisor"])
    text = client.get(URL).content.decode()
    assert "Intact" in text and "by the nightly check" in text
    # The whole trail's figures are the hub's.
    assert "events held" not in text and "events are chained" not in text
    assert "Verify now" not in text
    assert client.post(VERIFY).status_code == 403
    assert AuditChainCheck.objects.count() == 1  # the nightly one only
    assert signed_in(logs.staff["kolesa.moderator"]).post(VERIFY).status_code == 403


def test_asking_again_while_a_check_waits_does_not_start_another(logs, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.audit_chain_check_run, "delay", lambda *args: sent.append(args))
    client = signed_in(logs.staff["hub.supervisor"])
    client.post(VERIFY)
    response = client.post(VERIFY, follow=True)
    assert AuditChainCheck.objects.count() == 1
    assert "is still under way" in response.content.decode()


def test_with_the_broker_down_the_request_is_kept_and_shown_waiting(
    logs, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(tasks.audit_chain_check_run, "delay", down)
    client = signed_in(logs.staff["hub.supervisor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY)
    assert response.status_code == 302  # not a 500: the request is recorded
    check = AuditChainCheck.objects.get()
    assert check.finished_at is None
    assert "waits for the worker" in client.get(URL).content.decode()


def test_a_tampered_event_shows_the_chain_broken_at_it(logs, kolesa):
    audit_chain_extend()
    victim = AuditEvent.objects.filter(action="appeal.upheld").get()
    _force(
        "UPDATE antifraud_auditevent SET payload = %s WHERE id = %s",
        ['{"reply": "nothing to see"}', victim.pk],
    )
    check = AuditChainCheck.objects.create(requested_by=logs.staff["hub.supervisor"])
    check = audit_chain_check_run(check_id=check.pk)
    assert check is not None and check.ok is False
    assert check.first_broken_event_id == victim.pk
    assert check.events_checked == victim.seq - 1
    assert check.reason == "content does not match its hash"
    hub_text = signed_in(logs.staff["hub.supervisor"]).get(URL).content.decode()
    assert "Broken" in hub_text
    assert f"The first link that does not hold is audit event {victim.pk}." in hub_text
    # The event is in Kolesa's trail: Kolesa's supervisor is told which it is; Krisha's is not.
    assert victim.partner_id == kolesa.pk
    kolesa_text = signed_in(logs.staff["kolesa.supervisor"]).get(URL).content.decode()
    assert f"audit event {victim.pk}." in kolesa_text
    krisha_text = signed_in(logs.staff["krisha.supervisor"]).get(URL).content.decode()
    assert "Broken" in krisha_text and f"audit event {victim.pk}" not in krisha_text
    assert "an event outside your trail" in krisha_text


@pytest.mark.postgres
def test_on_postgresql_the_trigger_refuses_the_tamper_and_the_chain_holds(logs):
    from django.db import DatabaseError

    audit_chain_extend()
    victim = AuditEvent.objects.filter(action="appeal.upheld").get()
    for sql, params in (
        ("UPDATE antifraud_auditevent SET payload = '{}' WHERE id = %s", [victim.pk]),
        # The partner column is not hashed, and refused all the same.
        ("UPDATE antifraud_auditevent SET partner_id = NULL WHERE id = %s", [victim.pk]),
    ):
        with (
            pytest.raises(DatabaseError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    check = AuditChainCheck.objects.create()
    check = audit_chain_check_run(check_id=check.pk)
    assert check is not None and check.ok is True


def test_the_decision_and_appeal_models_are_what_the_world_says(logs):
    # Guards the world the tests above read: one overturn, one reversal.
    assert Appeal.objects.filter(status="overturned").count() == 1
    assert Decision.objects.filter(action="reverse").count() == 1
    assert ContentType.objects.get_for_model(Decision).model == "decision"
