"""The one path into the audit trail. Every service of every app records its events here.

Each event's hash covers the previous event's hash and the event's own content, so the
trail is tamper-evident: `audit_chain_verify` recomputes it from the start. Writers lock the
chain's head row, so events form one line even when many transactions write at once; the
lock is held to the end of the caller's transaction, so services record their event last.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Partner, User
from antifraud.models import AuditChain, AuditEvent

GENESIS_HASH = "0" * 64


class AuditChainBroken(Exception):
    def __init__(self, event_id: int, reason: str) -> None:
        super().__init__(f"audit event {event_id}: {reason}")
        self.event_id = event_id


@dataclass
class AuditEntry:
    action: str
    actor: User | None = None
    partner: Partner | None = None
    target: models.Model | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None


def _plain(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload exactly as the JSON column will give it back."""
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def _event_hash(
    *,
    prev_hash: str,
    created_at: datetime,
    actor_label: str,
    action: str,
    target_label: str,
    target_id: str,
    payload: dict[str, Any],
) -> str:
    body = json.dumps(
        [
            prev_hash,
            created_at.astimezone(UTC).isoformat(),
            actor_label,
            action,
            target_label,
            target_id,
            payload,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _actor_label(actor: User | None, partner: Partner | None) -> str:
    if actor is not None:
        return actor.get_username()
    if partner is not None:
        return f"partner:{partner.slug}"
    return "system"


def _build(entry: AuditEntry, prev_hash: str) -> AuditEvent:
    target = entry.target
    content_type = ContentType.objects.get_for_model(target) if target is not None else None
    target_label = f"{content_type.app_label}.{content_type.model}" if content_type else ""
    target_id = str(target.pk) if target is not None else ""
    created_at = entry.at or timezone.now()
    actor_label = _actor_label(entry.actor, entry.partner)
    payload = _plain(entry.payload)
    digest = _event_hash(
        prev_hash=prev_hash,
        created_at=created_at,
        actor_label=actor_label,
        action=entry.action,
        target_label=target_label,
        target_id=target_id,
        payload=payload,
    )
    return AuditEvent(
        created_at=created_at,
        actor=entry.actor,
        actor_partner=entry.partner,
        actor_label=actor_label,
        action=entry.action,
        target_type=content_type,
        target_id=target_id,
        target_repr=str(target)[:200] if target is not None else "",
        payload=payload,
        prev_hash=prev_hash,
        hash=digest,
    )


def _locked_head() -> AuditChain:
    head = AuditChain.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChain.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
        head = AuditChain.objects.select_for_update().get(pk=1)
    return head


@transaction.atomic
def audit_record_many(entries: Iterable[AuditEntry]) -> list[AuditEvent]:
    """Append several events under one lock of the chain (bulk operations, seeding)."""
    head = _locked_head()
    events: list[AuditEvent] = []
    prev_hash = head.last_hash
    for entry in entries:
        event = _build(entry, prev_hash)
        events.append(event)
        prev_hash = event.hash
    if not events:
        return events
    created = AuditEvent.objects.bulk_create(events, batch_size=1000)
    last_id = created[-1].pk
    if last_id is None:  # a backend that does not return ids from bulk inserts
        last_id = AuditEvent.objects.values_list("pk", flat=True).get(hash=prev_hash)
    AuditChain.objects.filter(pk=1).update(last_hash=prev_hash, last_event_id=last_id)
    return created


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    payload: dict[str, Any] | None = None,
    partner: Partner | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the service's transaction, as its last write."""
    entry = AuditEntry(
        action=action, actor=actor, partner=partner, target=target, payload=payload or {}, at=at
    )
    return audit_record_many([entry])[0]


def audit_chain_verify() -> int:
    """Recompute every hash from the genesis; return how many events hold. Raises
    `AuditChainBroken` at the first event whose content or link does not match."""
    prev_hash = GENESIS_HASH
    count = 0
    labels = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        if event.prev_hash != prev_hash:
            raise AuditChainBroken(event.pk, "does not follow the event before it")
        expected = _event_hash(
            prev_hash=prev_hash,
            created_at=event.created_at,
            actor_label=event.actor_label,
            action=event.action,
            target_label=labels.get(event.target_type_id, "") if event.target_type_id else "",
            target_id=event.target_id,
            payload=event.payload,
        )
        if expected != event.hash:
            raise AuditChainBroken(event.pk, "content does not match its hash")
        prev_hash = event.hash
        count += 1
    head = AuditChain.objects.filter(pk=1).first()
    if head is not None and count and head.last_hash != prev_hash:
        raise AuditChainBroken(head.last_event_id or 0, "the chain's head points elsewhere")
    return count
