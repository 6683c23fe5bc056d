"""Fixtures of the partner API tests: partners with keys, clients that send them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey
from antifraud.services.keys import api_key_create


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def kolesa_key(kolesa) -> tuple[ApiKey, str]:
    return api_key_create(actor=None, partner=kolesa, name="kolesa backend")


@pytest.fixture
def krisha_key(krisha) -> tuple[ApiKey, str]:
    return api_key_create(actor=None, partner=krisha, name="krisha backend")


@pytest.fixture
def api(kolesa_key) -> APIClient:
    """Kolesa's system calling the API."""
    return client_for(kolesa_key[1])


@pytest.fixture
def krisha_api(krisha_key) -> APIClient:
    return client_for(krisha_key[1])
