"""State changes of the fraud-intelligence core. Each is one transaction and writes its
audit event through antifraud.audit."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from antifraud.audit import audit_record
from antifraud.models import Indicator


@transaction.atomic
def indicators_expire(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Take gray-list entries past their expiry out of force. Returns how many."""
    now = now or timezone.now()
    due = list(
        Indicator.objects.select_for_update(skip_locked=True)
        .filter(list=Indicator.List.GRAY, revoked_at__isnull=True, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:batch]
    )
    if not due:
        return 0
    Indicator.objects.filter(pk__in=due).update(revoked_at=now, revoked_reason="expired")
    audit_record(
        actor=None, action="indicator.expired", payload={"indicators": due, "count": len(due)}
    )
    return len(due)
