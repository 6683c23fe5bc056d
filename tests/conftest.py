"""Shared fixtures. Tests build their data through services or factories, as users would."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from accounts.roles import Role
from antifraud.queueing import broker_pause_reset
from tests import factories

# Fixtures shared by several test modules.
pytest_plugins = [
    "tests.appeal_fixtures",
    "tests.oversight.logs_world",
    "tests.reviews.policy_fixtures",
]

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # A transactional test ends with a flush that empties every table, the rows the data
        # migrations wrote (policies, role groups) included; serialized_rollback puts them
        # back for the tests that follow.
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: transactional tests need serialized_rollback=True"
            )
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_state(settings, tmp_path: Path) -> None:
    """Files in a fresh folder, a fresh local cache (rate limits), fast password hashing.
    Tests that need the shared Redis cache ask for the `redis_cache` fixture."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }
    # A broker refusal in one test must not keep the next from enqueueing.
    broker_pause_reset()
    # Reported photos' URLs name hosts that do not exist here; tests that fetch turn it on.
    settings.PHOTO_FETCH_ENABLED = False


@pytest.fixture
def kolesa(db):
    return factories.PartnerFactory(
        slug="kolesa", name="Kolesa.kz", categories=["cars", "auto_parts"]
    )


@pytest.fixture
def krisha(db):
    return factories.PartnerFactory(slug="krisha", name="Krisha.kz", categories=["apartments"])


@pytest.fixture
def moderator(kolesa):
    return factories.UserFactory(username="kolesa.mod", partner=kolesa, role=Role.MODERATOR)


@pytest.fixture
def hub_moderator(db):
    return factories.UserFactory(username="hub.mod", partner=None, role=Role.MODERATOR)


@pytest.fixture
def shared_data() -> Path:
    """The reference data beside the checkout (../shared/data). Missing data fails the
    test: a skip would let CI lose the check unnoticed."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"reference data not found at {SHARED_DATA}: the tests need ../shared/data")
    return SHARED_DATA
