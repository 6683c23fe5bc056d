"""A feed reader racing a transaction held open far past any settling delay: the event that
commits late is still read, after the events that committed before it."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from antifraud.models import Delivery
from antifraud.services import feed_extend, outbox_write
from antifraud.services.keys import api_key_create

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

URL = "/api/v1/events/"


def test_an_event_committed_late_is_not_skipped(kolesa):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Api-Key {api_key_create(actor=None, partner=kolesa, name='x')[1]}"
    )
    written = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def long_transaction() -> None:
        try:
            with transaction.atomic():
                outbox_write(event_type="indicator.listed", at=timezone.now(), extra={"n": "slow"})
                written.set()
                release.wait(timeout=30)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    slow = threading.Thread(target=long_transaction)
    slow.start()
    assert written.wait(timeout=10)
    outbox_write(event_type="indicator.listed", at=timezone.now(), extra={"n": "fast"})
    # The fast event commits, is placed and read while the slow one's transaction is open —
    # longer than the five seconds the feed once waited.
    time.sleep(6)
    feed_extend()
    page = client.get(URL).json()
    assert [e["data"]["n"] for e in page["events"]] == ["fast"]
    release.set()
    slow.join(timeout=30)
    assert not errors, errors
    feed_extend()
    later = client.get(URL, {"after": page["next"]}).json()
    assert [e["data"]["n"] for e in later["events"]] == ["slow"]
    # The slow row has the lower id, and the later place.
    slow_row = Delivery.objects.get(payload__data__n="slow")
    fast_row = Delivery.objects.get(payload__data__n="fast")
    assert slow_row.pk < fast_row.pk and slow_row.feed_seq > fast_row.feed_seq
