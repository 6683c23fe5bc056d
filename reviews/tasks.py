"""Celery tasks of reviews: plain values in, one service call, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from reviews import services


@shared_task
def case_leases_sweep() -> int:
    return services.case_leases_sweep()
