from __future__ import annotations

import pytest
from django.db.utils import OperationalError

from antifraud import views
from antifraud.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_broker_down_is_503(client):
    original = celery_app.conf.broker_url
    # Nothing listens on port 1: the connection is refused at once.
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "unreachable"}


def test_database_down_is_503(client, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(views, "connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable"


def test_healthz_does_not_cache(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]
