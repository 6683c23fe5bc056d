"""The one path into the audit trail. Every service of every app records its events here.

Writing and chaining are two steps, so that no business transaction ever waits for another
one to append to the trail:

1. A service *records* its events inside its own transaction: plain inserts, no lock. The
   event is unchained (no `seq`, no hash) until the transaction commits.
2. The *sequencer* (`audit_chain_extend`, run by beat every few seconds and by
   `verify_audit`) chains committed events in the order it finds them committed: each gets
   the next sequence number and a hash over the previous event's hash and its own content.
   Only the sequencer takes the chain's head row, with SKIP LOCKED, so a second sequencer
   steps aside instead of waiting.

The chain is tamper-evident: `audit_chain_verify` recomputes every hash from the genesis in
sequence order, so an edited, removed or reordered chained event breaks it. On PostgreSQL a
trigger refuses DELETE and every UPDATE except the one that chains an event (which may set
`seq`, `prev_hash` and `hash` once, and nothing else).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import Partner, User
from antifraud import access
from antifraud.models import AuditChain, AuditEvent
from antifraud.sequencing import in_batches, sequencer_head

GENESIS_HASH = "0" * 64
CHAIN_BATCH = 2000


class AuditChainBroken(Exception):
    def __init__(
        self, event_id: int, reason: str, *, seq: int | None = None, held: int = 0
    ) -> None:
        where = f"audit event {event_id}" + (f" (seq {seq})" if seq is not None else "")
        super().__init__(f"{where}: {reason}")
        self.event_id = event_id
        self.seq = seq
        self.reason = reason
        # How many events, from the genesis, held before this one.
        self.held = held


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
    plain: dict[str, Any] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return plain


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


def _build(entry: AuditEntry, partner_id: int | None) -> AuditEvent:
    target = entry.target
    content_type = ContentType.objects.get_for_model(target) if target is not None else None
    return AuditEvent(
        created_at=entry.at or timezone.now(),
        actor=entry.actor,
        actor_partner=entry.partner,
        actor_label=_actor_label(entry.actor, entry.partner),
        action=entry.action,
        target_type=content_type,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        payload=_plain(entry.payload),
        partner_id=partner_id,
    )


# --- whose trail ------------------------------------------------------------------------

_UNKNOWN = object()


def _owner_loaded(obj: models.Model, path: str) -> Any:
    """The partner id at the end of `path` when every hop to it is already loaded, else
    _UNKNOWN (the caller asks the database)."""
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    current: Any = obj
    for hop in hops:
        field = type(current)._meta.get_field(hop)
        is_cached = getattr(field, "is_cached", None)
        if is_cached is None or not is_cached(current):
            return _UNKNOWN
        current = getattr(current, hop)
        if current is None:
            return None
    return getattr(current, f"{last}_id")


def trail_partner_ids(entries: Sequence[AuditEntry]) -> list[int | None]:
    """The partner whose trail holds each event (None: the hub's alone).

    1. An event about an object only the hub's staff see stays the hub's.
    2. What a partner's staff or system did is in that partner's trail; so is their dispute
       of a list entry another partner proposed, which that partner does not learn of here.
    3. Anything else — the hub's staff, the system, an appellant — is in the trail of the
       partner that owns the object (the access policy's path), or the hub's when none does.

    At most one query per model whose path is not loaded already."""
    found: list[Any] = []
    unknown: dict[type[models.Model], dict[Any, list[int]]] = {}
    for index, entry in enumerate(entries):
        target = entry.target
        scope = access.scope_of(type(target)) if target is not None else None
        staff_partner = entry.actor.partner_id if entry.actor is not None else None
        if scope is not None and scope.hub_only:
            found.append(None)
        elif staff_partner is not None:
            found.append(staff_partner)
        elif entry.partner is not None:
            found.append(entry.partner.pk)
        elif target is None or scope is None or scope.partner is None:
            found.append(None)
        else:
            owner = _owner_loaded(target, scope.partner)
            if owner is _UNKNOWN:
                unknown.setdefault(type(target), {}).setdefault(target.pk, []).append(index)
            found.append(owner)
    for model, indexes in unknown.items():
        path = access.scope_of(model).partner
        assert path is not None  # only models with a path are asked about
        owners = dict(
            model._default_manager.filter(pk__in=list(indexes)).values_list("pk", f"{path}_id")
        )
        for pk, where in indexes.items():
            for index in where:
                found[index] = owners.get(pk)
    return [None if value is None else int(value) for value in found]


def audit_record_many(entries: Iterable[AuditEntry]) -> list[AuditEvent]:
    """Record several events in the caller's transaction (bulk operations, seeding). Plain
    inserts: nothing here waits for another transaction."""
    entries = list(entries)
    if not entries:
        return []
    partners = trail_partner_ids(entries)
    events = [_build(entry, partner) for entry, partner in zip(entries, partners, strict=True)]
    return AuditEvent.objects.bulk_create(events, batch_size=1000)


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    payload: dict[str, Any] | None = None,
    partner: Partner | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Record one event in the caller's transaction; it is chained once that commits."""
    entry = AuditEntry(
        action=action, actor=actor, partner=partner, target=target, payload=payload or {}, at=at
    )
    return audit_record_many([entry])[0]


# --- the sequencer ----------------------------------------------------------------------


def _labels() -> dict[int, str]:
    return {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}


def _content_hash(event: AuditEvent, prev_hash: str, labels: dict[int, str]) -> str:
    return _event_hash(
        prev_hash=prev_hash,
        created_at=event.created_at,
        actor_label=event.actor_label,
        action=event.action,
        target_label=labels.get(event.target_type_id, "") if event.target_type_id else "",
        target_id=event.target_id,
        payload=event.payload,
    )


def _chain_batch(batch: int) -> int:
    with transaction.atomic():
        head = sequencer_head(AuditChain, last_hash=GENESIS_HASH, last_seq=0)
        if head is None:
            return 0  # another sequencer is at work
        pending = list(AuditEvent.objects.filter(seq__isnull=True).order_by("pk")[:batch])
        if not pending:
            return 0
        labels = _labels()
        prev_hash, seq = head.last_hash, head.last_seq
        rows = []
        for event in pending:
            seq += 1
            digest = _content_hash(event, prev_hash, labels)
            rows.append((seq, prev_hash, digest, event.pk))
            prev_hash = digest
        table = AuditEvent._meta.db_table
        with connection.cursor() as cursor:
            # The one UPDATE the immutability guard allows: unchained to chained, once.
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s "  # noqa: S608 - fixed name
                "WHERE id = %s AND seq IS NULL",
                rows,
            )
        AuditChain.objects.filter(pk=1).update(
            last_hash=prev_hash, last_seq=seq, last_event_id=pending[-1].pk
        )
        return len(rows)


def audit_chain_extend(*, batch: int = CHAIN_BATCH, max_events: int | None = None) -> int:
    """Chain the committed, unchained events, oldest first, in batches (one transaction
    each). Returns how many were chained. Safe to run concurrently and repeatedly."""
    return in_batches(_chain_batch, batch, max_events)


# --- verification -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChainState:
    chained: int
    unchained: int
    oldest_unchained_at: datetime | None
    head_seq: int

    def lag(self, now: datetime | None = None) -> timedelta:
        """How long the oldest event has waited to be chained (zero when none waits)."""
        if self.oldest_unchained_at is None:
            return timedelta(0)
        return max(timedelta(0), (now or timezone.now()) - self.oldest_unchained_at)


def audit_chain_state() -> ChainState:
    """How far the sequencer has come: chained events, and the events still waiting."""
    waiting = AuditEvent.objects.filter(seq__isnull=True).aggregate(
        oldest=Min("created_at"), count=models.Count("pk")
    )
    head = AuditChain.objects.filter(pk=1).first()
    chained = AuditEvent.objects.filter(seq__isnull=False).aggregate(last=Max("seq"))["last"]
    return ChainState(
        chained=chained or 0,
        unchained=waiting["count"],
        oldest_unchained_at=waiting["oldest"],
        head_seq=head.last_seq if head else 0,
    )


def _chained_in_order() -> Iterator[AuditEvent]:
    return AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000)


def audit_chain_verify() -> int:
    """Recompute every hash from the genesis in sequence order; return how many chained
    events hold. Raises `AuditChainBroken` at the first event that is missing, out of
    order, or whose content or link does not match."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    last_id = 0
    labels = _labels()
    for event in _chained_in_order():
        seq = event.seq or 0  # chained events have one
        if seq != expected_seq:
            raise AuditChainBroken(
                event.pk,
                f"events {expected_seq} to {seq - 1} of the chain are missing",
                seq=seq,
                held=expected_seq - 1,
            )
        if event.prev_hash != prev_hash:
            raise AuditChainBroken(
                event.pk,
                "does not follow the event before it",
                seq=event.seq,
                held=expected_seq - 1,
            )
        if _content_hash(event, prev_hash, labels) != event.hash:
            raise AuditChainBroken(
                event.pk,
                "content does not match its hash",
                seq=event.seq,
                held=expected_seq - 1,
            )
        prev_hash = event.hash
        expected_seq += 1
        last_id = event.pk
    count = expected_seq - 1
    head = AuditChain.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != count or head.last_hash != prev_hash):
        raise AuditChainBroken(
            head.last_event_id or last_id,
            f"the chain's head names event {head.last_seq}, but the chain ends at {count}",
            seq=head.last_seq,
            held=count,
        )
    return count
