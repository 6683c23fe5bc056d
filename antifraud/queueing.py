"""The project's Celery task class: enqueued after the transaction that asks for it commits,
and never able to turn committed work into an error.

With the broker down, enqueueing raises after the commit. Left alone, that exception would
reach the user as a 500 for a decision that was recorded; here it is logged, and the sweeps
that beat runs (deliveries due, appeal e-mails not sent) enqueue the work again once the
broker is back.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import transaction

logger = logging.getLogger(__name__)


class ProjectTask(DjangoTask):
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        transaction.on_commit(lambda: self.delay_or_log(*args, **kwargs))

    def delay_or_log(self, *args: Any, **kwargs: Any) -> bool:
        """Enqueue now; False (and a warning) when the broker cannot take it."""
        try:
            self.delay(*args, **kwargs)
        except Exception:
            logger.warning(
                "could not enqueue %s%r; it is left to the sweeps", self.name, args, exc_info=True
            )
            return False
        return True
