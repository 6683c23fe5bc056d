"""Changes to subjects that other services make as part of their own transaction."""

from __future__ import annotations

from datetime import datetime

from antifraud.models import Subject


def subject_status_set(*, subject: Subject, status: str, now: datetime) -> None:
    """Caller holds the transaction; the audit event is the caller's (the decision's)."""
    subject.status = status
    subject.status_changed_at = now
    subject.updated_at = now
    subject.save(update_fields=["status", "status_changed_at", "updated_at"])
