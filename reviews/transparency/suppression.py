"""Which figures may not be published, so that no one can be singled out.

Primary suppression: a count from 1 to `min_count − 1`, and a median resting on that few
records, are withheld. Secondary suppression: figures published with a total (a table's
rows and their sum; the partners' figures and the all-partners one) form a group in which
the total is the sum of the parts. Were exactly one figure of a group withheld, it would
be the total minus the others: so the smallest other non-zero figure of the group is
withheld too, and this is repeated over every group until nothing changes.

A group may hold figures that are never published but that a reader could work out all the
same (the decisions not raised by detection: all decisions minus those raised by it). They
take part as any other figure; withholding one of them as the second figure of a group costs
the reader nothing, so on equal values they are chosen first.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


class Kind(StrEnum):
    COUNT = "count"
    MEDIAN = "median"
    # A count that is not published but follows from published ones.
    IMPLIED = "implied"


@dataclass
class Cell:
    value: float
    basis: int
    kind: Kind = Kind.COUNT
    suppressed: bool = False

    def too_few(self, min_count: int) -> bool:
        if self.kind == Kind.MEDIAN:
            return 0 < self.basis < min_count
        return 0 < self.value < min_count


def suppress(cells: dict[K, Cell], groups: Iterable[Sequence[K]], min_count: int) -> set[K]:
    """Mark the cells to withhold (`Cell.suppressed`) and return their keys. A key of a
    group without a cell stands for a zero."""
    for cell in cells.values():
        cell.suppressed = cell.too_few(min_count)
    members = [[key for key in group if key in cells] for group in groups]
    changed = True
    while changed:
        changed = False
        for group in members:
            withheld = [key for key in group if cells[key].suppressed]
            if len(withheld) != 1:
                continue
            others = [
                (cells[key].value, cells[key].kind != Kind.IMPLIED, position, key)
                for position, key in enumerate(group)
                if not cells[key].suppressed and cells[key].value > 0
            ]
            if not others:
                continue  # every other figure is zero: the total is withheld as well
            cells[min(others)[3]].suppressed = True
            changed = True
    return {key for key, cell in cells.items() if cell.suppressed}
