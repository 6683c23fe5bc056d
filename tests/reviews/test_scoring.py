"""The risk formula and the reporting partner's weight."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reviews.scoring import case_risk, report_weight, signal_contribution


@dataclass
class S:
    score: int
    weight: float = 1.0
    shadow: bool = False


def test_one_signal_is_its_score():
    assert case_risk([S(90)]) == 90 and case_risk([]) == 0


def test_corroborating_signals_raise_the_risk_but_never_past_100():
    assert case_risk([S(60), S(60)]) == 84
    assert case_risk([S(100), S(50)]) == 100
    assert case_risk([S(99)] * 10) == 100


def test_shadow_signals_never_count():
    assert case_risk([S(60), S(95, shadow=True)]) == 60
    assert signal_contribution(S(95, shadow=True)) == 0


def test_weight_scales_a_signal():
    assert case_risk([S(50, weight=1.5)]) == 75
    assert case_risk([S(80, weight=2.0)]) == 100


@pytest.mark.parametrize(
    ("decided", "upheld", "expected"),
    [
        (0, 0, 1.0),  # a new partner starts neutral
        (10, 10, 1.333),
        (40, 40, 1.667),
        (100, 0, 0.25),  # floor
        (1000, 1000, 1.75),  # ceiling
        (20, 10, 1.0),
    ],
)
def test_a_partners_weight_follows_its_upheld_reports(decided, upheld, expected):
    assert report_weight(decided=decided, upheld=upheld) == pytest.approx(expected, abs=0.001)
