"""Writing events to the outbox, for webhooks and the partners' feed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accounts.models import Partner
from antifraud.models import Delivery, Indicator, Subject
from antifraud.outbox import event_payload, webhook_id_new


def outbox_write(
    *,
    event_type: str,
    at: datetime,
    subject: Subject | None = None,
    decision: dict[str, Any] | None = None,
    indicators: Sequence[Indicator] = (),
    extra: dict[str, Any] | None = None,
) -> list[Delivery]:
    """One outbox row per active partner, in the caller's transaction. After commit, rows
    for partners with a webhook URL are sent by Celery; every row is also in the partner's
    event feed."""
    partners = list(Partner.objects.filter(is_active=True).order_by("pk"))
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
    from antifraud.tasks import delivery_send

    for delivery_id in delivery_ids:
        delivery_send.delay_on_commit(delivery_id)
