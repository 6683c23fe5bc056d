"""How signals become a case's risk score and its place in the queue."""

from __future__ import annotations

from collections.abc import Iterable


def case_risk(scores: Iterable[int]) -> int:
    """The strongest signal, raised a little by each corroborating one, at most 100."""
    ordered = sorted(scores, reverse=True)
    if not ordered:
        return 0
    return min(100, ordered[0] + 5 * (len(ordered) - 1))


def case_priority(*, risk_score: int, signal_count: int, list_match: bool = False) -> int:
    """Queue order: risk first; a black-list match jumps ahead of equal risks."""
    return risk_score * 10 + min(signal_count, 9) + (5 if list_match else 0)
