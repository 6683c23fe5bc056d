"""Whose trail each audit event is in: filed under one partner when it is written (or none:
the hub's alone), outside the hash; and the events written before, filled in by the
migration that added the column."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from accounts.roles import Role
from antifraud.audit import (
    AuditEntry,
    audit_chain_extend,
    audit_chain_verify,
    audit_record,
    audit_record_many,
)
from antifraud.models import AuditEvent, LookupAlert
from antifraud.services.indicators import indicator_propose
from antifraud.services.registry import dispute_open
from reviews.models import Appeal, Decision
from tests.factories import UserFactory, listing_case

pytestmark = pytest.mark.django_db


def test_what_a_partners_staff_did_is_in_that_partners_trail(moderator, kolesa, krisha):
    event = audit_record(actor=moderator, action="case.released", target=listing_case(kolesa))
    assert event.partner_id == kolesa.pk
    # Also on another partner's shared list entry: Krisha does not learn who disputed it.
    entry = indicator_propose(
        partner=krisha, kind="phone", value="+77015550999", display="+7 701 555 0999", reason="x"
    ).indicator
    dispute_open(actor=moderator, indicator_id=entry.pk, reason="Номер нашего продавца.")
    disputed = AuditEvent.objects.get(action="indicator.disputed")
    assert disputed.partner_id == kolesa.pk
    proposed = AuditEvent.objects.get(action="indicator.proposed")
    assert proposed.partner_id == krisha.pk  # Krisha's system proposed it


def test_what_the_hub_or_the_system_did_is_in_the_objects_partners_trail(
    hub_moderator, kolesa, blocked, django_assert_num_queries
):
    case = listing_case(kolesa)
    assert audit_record(actor=hub_moderator, action="case.claimed", target=case).partner_id == (
        kolesa.pk
    )
    # An appeal's partner is its decision's subject's: one query when not loaded, none when.
    appeal = Appeal.objects.create(
        decision=blocked, statement="x" * 30, deadline=timezone.now() + timedelta(days=3)
    )
    fresh = Appeal.objects.get(pk=appeal.pk)
    ContentType.objects.get_for_model(Appeal)  # cached from here on, as in a running process
    with django_assert_num_queries(2):  # the owner, then the insert
        assert audit_record(actor=None, action="appeal.x", target=fresh).partner_id == kolesa.pk
    loaded = Appeal.objects.select_related("decision__subject").get(pk=appeal.pk)
    with django_assert_num_queries(1):
        assert audit_record(actor=None, action="appeal.y", target=loaded).partner_id == kolesa.pk


def test_many_events_ask_once_per_kind_of_object(hub_moderator, kolesa, krisha, moderator):
    decisions = []
    for partner in (kolesa, krisha, kolesa):
        case = listing_case(partner)
        decisions.append(
            Decision.objects.create(
                case=case,
                subject=case.subject,
                action="clear",
                policy_id=1,
                statement_of_reasons="Нарушений нет.",
                decided_by=moderator,
            )
        )
    fresh = list(Decision.objects.filter(pk__in=[d.pk for d in decisions]).order_by("pk"))
    entries = [AuditEntry(action="decision.seen", actor=hub_moderator, target=d) for d in fresh]
    events = audit_record_many(entries)
    assert [e.partner_id for e in events] == [kolesa.pk, krisha.pk, kolesa.pk]


def test_a_partner_system_and_nothing_at_all(kolesa, hub_moderator):
    assert audit_record(actor=None, partner=kolesa, action="report.ingested").partner_id == (
        kolesa.pk
    )
    assert audit_record(actor=hub_moderator, action="partner.updated").partner_id is None
    assert audit_record(actor=None, action="indicator.expired").partner_id is None


def test_an_event_about_what_only_the_hub_sees_stays_the_hubs(kolesa):
    alert = LookupAlert.objects.create(
        partner=kolesa, reason="walk", slowed_until=timezone.now() + timedelta(hours=1)
    )
    event = audit_record(
        actor=None, partner=kolesa, action="lookup.enumeration_suspected", target=alert
    )
    assert event.partner_id is None


def test_the_partner_is_outside_the_hash(moderator, kolesa, krisha):
    audit_record(actor=moderator, action="a", target=listing_case(kolesa))
    audit_record(actor=None, partner=krisha, action="b")
    audit_chain_extend()
    assert audit_chain_verify() == 2


def test_a_partners_supervisor_sees_their_partners_events_and_the_hub_all(
    moderator, kolesa, krisha
):
    audit_record(actor=moderator, action="mine")
    audit_record(actor=None, partner=krisha, action="theirs")
    audit_record(actor=None, action="the_hubs")
    supervisor = UserFactory(username="k.sup", partner=kolesa, role=Role.SUPERVISOR)
    hub = UserFactory(username="h.sup", partner=None, role=Role.SUPERVISOR)
    assert [e.action for e in AuditEvent.objects.visible_to(supervisor)] == ["mine"]
    assert AuditEvent.objects.visible_to(hub).count() == 3
    assert not AuditEvent.objects.visible_to(moderator).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_files_the_events_written_before_it(kolesa, krisha, hub_moderator):
    """Upgrading: each event already written is filed by the same rule, from what it kept
    (its actor, the acting partner system, its object), and every hash still holds."""
    from django.db.migrations.executor import MigrationExecutor

    from antifraud.audit import GENESIS_HASH, _event_hash

    moderator = UserFactory(username="kolesa.mod", partner=kolesa, role=Role.MODERATOR)
    case = listing_case(krisha)
    case_type = ContentType.objects.get_for_model(case)
    alert = LookupAlert.objects.create(
        partner=kolesa, reason="walk", slowed_until=timezone.now() + timedelta(hours=1)
    )
    alert_type = ContentType.objects.get_for_model(alert)
    executor = MigrationExecutor(connection)
    executor.migrate([("antifraud", "0009_registry")])
    written = [
        # actor, acting partner, target type, target id: the partner expected
        (moderator.pk, None, None, "", kolesa.pk),
        (hub_moderator.pk, None, case_type.pk, str(case.pk), krisha.pk),
        (None, krisha.pk, None, "", krisha.pk),
        (None, kolesa.pk, alert_type.pk, str(alert.pk), None),
        (None, None, case_type.pk, "999999", None),  # its object is gone
        (hub_moderator.pk, None, None, "", None),
    ]
    try:
        now = timezone.now()
        prev_hash = GENESIS_HASH
        with connection.cursor() as cursor:
            for n, (actor, partner, target_type, target_id, _expected) in enumerate(written):
                label = "kolesa.mod" if actor == moderator.pk else "someone"
                target_label = "reviews.case" if target_type == case_type.pk else ""
                if target_type == alert_type.pk:
                    target_label = "antifraud.lookupalert"
                digest = _event_hash(
                    prev_hash=prev_hash,
                    created_at=now,
                    actor_label=label,
                    action=f"old.{n}",
                    target_label=target_label,
                    target_id=target_id,
                    payload={},
                )
                cursor.execute(
                    "INSERT INTO antifraud_auditevent (created_at, actor_id, actor_partner_id,"
                    " actor_label, action, target_type_id, target_id, target_repr, payload, seq,"
                    " prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, '', '{}', %s, %s, %s)",
                    [
                        now,
                        actor,
                        partner,
                        label,
                        f"old.{n}",
                        target_type,
                        target_id,
                        n + 1,
                        prev_hash,
                        digest,
                    ],
                )
                prev_hash = digest
            cursor.execute(
                "UPDATE antifraud_auditchain SET last_hash = %s, last_seq = %s WHERE id = 1",
                [prev_hash, len(written)],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    filed = list(AuditEvent.objects.order_by("seq").values_list("action", "partner_id"))
    assert filed == [(f"old.{n}", row[-1]) for n, row in enumerate(written)]
    assert audit_chain_verify() == len(written)
