"""Celery tasks of the core: they take plain values, call one service, and are safe to run
twice."""

from __future__ import annotations

from celery import shared_task

from antifraud import services
from antifraud.queueing import ProjectTask


@shared_task(base=ProjectTask)
def indicators_expire() -> int:
    return services.indicators_expire()


@shared_task(base=ProjectTask)
def audit_chain_extend() -> int:
    from antifraud.audit import audit_chain_extend as extend

    return extend()


@shared_task(base=ProjectTask)
def audit_chain_check_run(check_id: int) -> bool | None:
    """Verify the whole chain for a check asked for on the audit trail's page."""
    from antifraud.audit_checks import audit_chain_check_run as run

    check = run(check_id=check_id)
    return check.ok if check is not None else None


@shared_task(base=ProjectTask)
def audit_chain_check_daily() -> bool | None:
    from antifraud.audit_checks import audit_chain_check_daily as run

    check = run()
    return check.ok if check is not None else None


@shared_task(base=ProjectTask)
def feed_extend() -> int:
    return services.feed_extend()


@shared_task(base=ProjectTask)
def market_prices_refresh() -> int:
    return services.market_prices_refresh()


# acks_late (set for every task in settings) makes a killed worker's delivery run again; the
# delivery itself refuses to send a row that is delivered or already in flight.
@shared_task(base=ProjectTask)
def delivery_send(delivery_id: int) -> str:
    from antifraud.delivery import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)


@shared_task(base=ProjectTask)
def deliveries_redeliver_due() -> int:
    from antifraud.delivery import deliveries_redeliver_due as redeliver

    return redeliver()


@shared_task(base=ProjectTask)
def photo_fetch(photo_id: int) -> str:
    """Download a reported photo by its URL (size and time limited), hash it — also mirrored
    and rotated — and run detection again on its subject with what was learnt."""
    from antifraud import detection
    from antifraud.detection.rings import rings_update
    from antifraud.models import Photo
    from antifraud.photo_fetch import photo_fetch_and_hash

    status = photo_fetch_and_hash(photo_id)
    photo = Photo.objects.select_related("subject").filter(pk=photo_id).first()
    if photo is not None and photo.pdq_hash:
        from django.db import transaction
        from django.utils import timezone

        with transaction.atomic():
            detection.run(subject=photo.subject, now=timezone.now())
            rings_update([photo.subject_id])
    return status
