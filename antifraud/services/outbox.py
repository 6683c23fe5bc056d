"""Writing events to the outbox, for webhooks and the partners' feed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from accounts.models import Partner
from antifraud.models import Delivery, FeedHead, Indicator, Subject
from antifraud.outbox import event_payload, webhook_id_new
from antifraud.sequencing import in_batches, sequencer_head


def outbox_write(
    *,
    event_type: str,
    at: datetime,
    subject: Subject | None = None,
    decision: dict[str, Any] | None = None,
    indicators: Sequence[Indicator] = (),
    extra: dict[str, Any] | None = None,
    partners: Iterable[Partner] | None = None,
) -> list[Delivery]:
    """One outbox row per active partner (or per active partner of `partners`, for an event
    meant for some only), in the caller's transaction. After commit, rows for partners with
    a webhook URL are sent by Celery; every row is also in the partner's event feed."""
    recipients = Partner.objects.filter(is_active=True)
    if partners is not None:
        recipients = recipients.filter(pk__in=[p.pk for p in partners])
    partners = list(recipients.order_by("pk"))
    rows = [
        Delivery(
            partner=partner,
            event_type=event_type,
            webhook_id=webhook_id_new(),
            payload=event_payload(
                event_type=event_type,
                at=at,
                recipient_id=partner.pk,
                subject=subject,
                decision=decision,
                indicators=indicators,
                extra=extra,
            ),
            subject=subject,
            status=Delivery.Status.PENDING if partner.webhook_url else Delivery.Status.FEED,
            next_attempt_at=at if partner.webhook_url else None,
            created_at=at,
        )
        for partner in partners
    ]
    created = Delivery.objects.bulk_create(rows)
    _send_after_commit([d.pk for d in created if d.status == Delivery.Status.PENDING])
    return created


def _send_after_commit(delivery_ids: list[int]) -> None:
    if not delivery_ids:
        return
    from antifraud.delivery import deliveries_enqueue_safely

    transaction.on_commit(lambda: deliveries_enqueue_safely(delivery_ids))


FEED_BATCH = 2000


def _feed_batch(batch: int) -> int:
    with transaction.atomic():
        head = sequencer_head(FeedHead, last_seq=0)
        if head is None:
            return 0  # another sequencer is at work
        ids = list(
            Delivery.objects.filter(feed_seq__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return 0
        places = [(head.last_seq + n, pk) for n, pk in enumerate(ids, start=1)]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {Delivery._meta.db_table} SET feed_seq = %s "  # noqa: S608 - fixed name
                "WHERE id = %s AND feed_seq IS NULL",
                places,
            )
        FeedHead.objects.filter(pk=1).update(last_seq=head.last_seq + len(ids))
        return len(ids)


def feed_extend(*, batch: int = FEED_BATCH) -> int:
    """Give the committed outbox rows that have none their place in the partners' feed, in
    the order found, in batches (one transaction each). Run by beat every few seconds; safe
    to run concurrently and repeatedly. Returns how many rows got a place."""
    return in_batches(_feed_batch, batch)
