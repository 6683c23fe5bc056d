"""One slow partner among fast ones: how long the fast partners wait for their webhooks, next
to the same traffic when every partner is fast.

Four worker threads run the delivery attempts (as `make run`'s worker does), fed by the
enqueueing the project does itself, with beat's sweep every second; three stand-in partners
verify every signature. The slow one answers each request `--slow-seconds` late. Prints one
JSON object. Run by benchmarks/run.py against its scratch database.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import sys
import threading
import time
from typing import Any


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _round(tag: str, slow_seconds: float, events: int, seconds: float) -> list[float]:
    """The fast partners' delivery latencies (s) for `events` events over `seconds`."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Partner
    from antifraud.delivery import deliveries_redeliver_due, delivery_attempt
    from antifraud.models import Delivery
    from antifraud.partner_stub import PartnerStub
    from antifraud.services import outbox_write
    from antifraud.services.partners import (
        partner_create,
        partner_update,
        partner_webhook_secret_rotate,
    )
    from antifraud.tasks import delivery_send

    # Only this round's partners receive its events.
    for active in Partner.objects.filter(is_active=True):
        partner_update(actor=None, partner_id=active.pk, changes={"is_active": False})
    stubs = {}
    fast_ids = []
    for name, delay in (("slow", slow_seconds), ("fast1", 0.0), ("fast2", 0.0)):
        partner = partner_create(
            actor=None, name=f"{tag}-{name}", slug=f"{tag}-{name}", kind="bank"
        )
        partner, secret = partner_webhook_secret_rotate(actor=None, partner_id=partner.pk)
        stub = PartnerStub(secret=secret, delay=delay).start()
        partner_update(actor=None, partner_id=partner.pk, changes={"webhook_url": stub.url})
        stubs[name] = stub
        if name != "slow":
            fast_ids.append(partner.pk)

    work: queue.Queue[int | None] = queue.Queue()
    # The broker, in-process: what the project enqueues goes to these threads.
    delivery_send.delay = work.put  # type: ignore[method-assign, assignment]
    stop = threading.Event()

    def worker() -> None:
        while (delivery_id := work.get()) is not None:
            delivery_attempt(delivery_id=delivery_id)
        connection.close()

    def sweeper() -> None:
        while not stop.wait(1.0):
            deliveries_redeliver_due()
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    threads.append(threading.Thread(target=sweeper))
    for thread in threads:
        thread.start()
    try:
        for _ in range(events):
            outbox_write(event_type="indicator.listed", at=timezone.now(), extra={"bench": tag})
            time.sleep(seconds / events)
        deadline = time.monotonic() + 120
        fast = Delivery.objects.filter(partner_id__in=fast_ids)
        while fast.exclude(status="delivered").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        return [
            (delivered - created).total_seconds()
            for created, delivered in fast.values_list("created_at", "delivered_at")
            if delivered is not None
        ]
    finally:
        stop.set()
        for _ in range(4):
            work.put(None)
        for thread in threads:
            thread.join(timeout=slow_seconds + 30)
        for stub in stubs.values():
            stub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow-seconds", type=float, default=20.0)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    _setup_django()
    healthy = _round("healthy", 0.0, args.events, args.seconds)
    slowed = _round("slowed", args.slow_seconds, args.events, args.seconds)
    result: dict[str, Any] = {
        "webhooks, all partners fast: p50 (s)": round(statistics.median(healthy), 3),
        "webhooks, all partners fast: p95 (s)": round(_percentile(healthy, 0.95), 3),
        f"webhooks, one partner {args.slow_seconds:g} s slow: others' p50 (s)": round(
            statistics.median(slowed), 3
        ),
        f"webhooks, one partner {args.slow_seconds:g} s slow: others' p95 (s)": round(
            _percentile(slowed, 0.95), 3
        ),
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
