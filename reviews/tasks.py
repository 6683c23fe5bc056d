"""Celery tasks of reviews: plain values in, one service call, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from reviews import services


@shared_task
def case_leases_sweep() -> int:
    return services.case_leases_sweep()


@shared_task
def appeal_leases_sweep() -> int:
    return services.appeal_leases_sweep()


@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def appeal_email_send(appeal_id: int, kind: str) -> bool:
    return services.appeal_email_send(appeal_id=appeal_id, kind=kind)
