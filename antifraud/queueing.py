"""The project's Celery task class: enqueued after the transaction that asks for it commits,
and never able to turn committed work into an error.

With the broker down, enqueueing raises after the commit. Left alone, that exception would
reach the user as a 500 for a decision that was recorded; here it is logged, and the sweeps
that beat runs (deliveries due, appeal e-mails not sent) enqueue the work again once the
broker is back.

After the broker refuses a message, this process sends it nothing for BROKER_PAUSE_SECONDS:
with Redis down, each attempt costs time, and a decision writing one outbox row per partner
would otherwise wait on every one of them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import transaction

logger = logging.getLogger(__name__)

BROKER_PAUSE_SECONDS = 5.0
_paused_until = 0.0


def broker_pause_reset() -> None:
    """Forget a refusal: the next message is offered to the broker again."""
    global _paused_until
    _paused_until = 0.0


class ProjectTask(DjangoTask):
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        transaction.on_commit(lambda: self.delay_or_log(*args, **kwargs))

    def delay_or_log(self, *args: Any, **kwargs: Any) -> bool:
        """Enqueue now; False (and a warning) when the broker cannot take it, or refused a
        message moments ago."""
        global _paused_until
        if time.monotonic() < _paused_until:
            logger.info(
                "the broker refused a message moments ago: %s%r is left to the sweeps",
                self.name,
                args,
            )
            return False
        try:
            self.delay(*args, **kwargs)
        except Exception:
            _paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
            logger.warning(
                "could not enqueue %s%r; it is left to the sweeps", self.name, args, exc_info=True
            )
            return False
        return True
