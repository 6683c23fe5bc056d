"""Medians and 90th percentiles: the interpolation, and the database's and Python's paths
giving the same figures on the same rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from antifraud.models import Delivery
from reviews import percentiles
from reviews.percentiles import Spread, percentile, spreads
from tests.oversight.dashboard_world import at

S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7.0], 0.5, 7.0),
        ([7.0], 0.9, 7.0),
        ([1.0, 3.0], 0.5, 2.0),
        ([3.0, 1.0, 2.0], 0.5, 2.0),  # unsorted
        ([1.0, 2.0, 3.0, 10.0, 20.0, 24.0], 0.5, 6.5),
        ([1.0, 2.0, 3.0, 10.0, 20.0, 24.0], 0.9, 22.0),
        ([2.0, 4.0, 10.0], 0.9, 8.8),
        ([0.0, 100.0], 0.0, 0.0),
        ([0.0, 100.0], 1.0, 100.0),
    ],
)
def test_percentile_interpolates_between_the_closest_ranks(values, fraction, expected):
    result = percentile(values, fraction)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@pytest.fixture
def deliveries(kolesa, krisha):
    """Kolesa's delivered after 2, 4 and 10 s; Krisha's after 1 and 5 s; one not yet."""
    for n, (partner, seconds) in enumerate(
        [(kolesa, 2), (kolesa, 4), (kolesa, 10), (krisha, 1), (krisha, 5), (krisha, None)]
    ):
        created = at(3, 10, n)
        Delivery.objects.create(
            partner=partner,
            event_type=Delivery.EventType.SUBJECT_BLOCKED,
            webhook_id=f"msg_{n}",
            payload={},
            status=Delivery.Status.PENDING if seconds is None else Delivery.Status.DELIVERED,
            created_at=created,
            delivered_at=None if seconds is None else created + seconds * S,
        )
    return Delivery.objects.filter(status=Delivery.Status.DELIVERED)


EXPECTED_BY_PARTNER = {
    "kolesa": Spread(3, 4 * S, 8.8 * S),
    "krisha": Spread(2, 3 * S, 4.6 * S),
}


@pytest.mark.django_db
def test_python_path(deliveries, django_assert_num_queries):
    with django_assert_num_queries(1):
        grouped = spreads(
            deliveries, start="created_at", end="delivered_at", group="partner__slug", python=True
        )
    assert grouped == EXPECTED_BY_PARTNER
    whole = spreads(deliveries, start="created_at", end="delivered_at", python=True)
    # 1, 2, 4, 5, 10 s.
    assert whole == {None: Spread(5, 4 * S, 8 * S)}
    assert spreads(deliveries.none(), start="created_at", end="delivered_at", python=True) == {
        None: Spread()
    }


@pytest.mark.django_db
def test_python_path_reads_a_bounded_sample_of_the_newest(deliveries, monkeypatch):
    monkeypatch.setattr(percentiles, "SAMPLE", 2)
    # The two delivered last: Krisha's after 1 s and 5 s (created last).
    assert spreads(deliveries, start="created_at", end="delivered_at", python=True) == {
        None: Spread(2, 3 * S, 4.6 * S)
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_path_agrees_with_python(deliveries, django_assert_num_queries):
    assert percentiles.in_database(deliveries)
    with django_assert_num_queries(1):
        grouped = spreads(
            deliveries, start="created_at", end="delivered_at", group="partner__slug", python=False
        )
    assert grouped == EXPECTED_BY_PARTNER
    for group in (None, "partner__slug"):
        in_db = spreads(deliveries, start="created_at", end="delivered_at", group=group)
        in_python = spreads(
            deliveries, start="created_at", end="delivered_at", group=group, python=True
        )
        assert in_db == in_python
    assert spreads(deliveries.none(), start="created_at", end="delivered_at") == {None: Spread()}
