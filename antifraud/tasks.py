"""Celery tasks of the core: they take plain values, call one service, and are safe to run
twice."""

from __future__ import annotations

from celery import shared_task

from antifraud import services


@shared_task
def indicators_expire() -> int:
    return services.indicators_expire()


@shared_task
def market_prices_refresh() -> int:
    return services.market_prices_refresh()
