"""What the two sequencers share — the audit chain's (antifraud.audit) and the event feed's
(antifraud.services.outbox): one head row, taken only by a sequencer and skipped by a
second one rather than waited for, and work done in batches of one transaction each.

A sequencer numbers rows in the order it finds them committed: its transaction cannot see
rows that other transactions have not committed yet, so a row committed later always gets
a later number, whatever id it was given at insert.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models

Head = TypeVar("Head", bound=models.Model)


def sequencer_head(model: type[Head], **first: Any) -> Head | None:
    """The head row (pk 1), locked for this sequencer; None when another sequencer holds
    it. Caller holds the transaction. `first` are the values of a head not made yet."""
    manager = model._default_manager
    head = manager.select_for_update(skip_locked=True).filter(pk=1).first()
    if head is None:
        if manager.filter(pk=1).exists():
            return None
        head = manager.create(pk=1, **first)
    return head


def in_batches(step: Callable[[int], int], batch: int, most: int | None = None) -> int:
    """Run `step(size)` (which does up to `size` rows and says how many) until a batch comes
    back short, or `most` rows are done. Returns how many rows were done."""
    total = 0
    while most is None or total < most:
        size = batch if most is None else min(batch, most - total)
        done = step(size)
        total += done
        if done < size:
            break
    return total
