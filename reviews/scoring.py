"""How signals become a case's risk score and its place in the queue.

Risk: each counted signal is a chance that the subject is fraudulent — its score (0–100)
times its weight — and the case's risk is the chance that at least one of them is right:

    risk = 100 × (1 − Π (1 − min(1, score × weight / 100)))

Shadow signals (rules on trial) are shown but never counted. A partner report weighs by how
often that partner's past reports were upheld, smoothed toward a neutral prior so that a new
partner starts at weight 1:

    weight = (upheld + PRIOR_REPORTS × PRIOR_RATE) / (decided + PRIOR_REPORTS) / PRIOR_RATE

clamped to [WEIGHT_MIN, WEIGHT_MAX]; detection rules, list matches and complaints weigh 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

PRIOR_REPORTS = 20
PRIOR_RATE = 0.5
WEIGHT_MIN = 0.25
WEIGHT_MAX = 1.75


class Scored(Protocol):
    score: int
    weight: float
    shadow: bool


def signal_contribution(signal: Scored) -> float:
    """The chance (0–1) this signal alone stands for; 0 for a shadow signal."""
    if signal.shadow:
        return 0.0
    return max(0.0, min(1.0, signal.score * signal.weight / 100))


def case_risk(signals: Iterable[Scored]) -> int:
    clean = 1.0
    for signal in signals:
        clean *= 1 - signal_contribution(signal)
    return round(100 * (1 - clean))


def report_weight(*, decided: int, upheld: int) -> float:
    """A reporting partner's weight from its track record (see the module's text)."""
    rate = (upheld + PRIOR_REPORTS * PRIOR_RATE) / (decided + PRIOR_REPORTS)
    return round(max(WEIGHT_MIN, min(WEIGHT_MAX, rate / PRIOR_RATE)), 3)


def case_priority(*, risk_score: int, signal_count: int, list_match: bool = False) -> int:
    """Queue order: risk first; a black-list match jumps ahead of equal risks."""
    return risk_score * 10 + min(signal_count, 9) + (5 if list_match else 0)
