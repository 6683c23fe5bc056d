"""The Celery application: configured from Django settings (keys prefixed `CELERY_`)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antifraud.settings")

app = Celery("antifraud")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
