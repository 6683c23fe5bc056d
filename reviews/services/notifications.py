"""E-mails to appellants, in their language, sent once each."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from antifraud.audit import audit_record
from reviews.links import appeal_url
from reviews.models import Appeal

KINDS = {"received": "receipt_sent_at", "resolved": "outcome_sent_at"}
FAILED = {"received": "receipt_failed_at", "resolved": "outcome_failed_at"}
ERROR_MAX = 300


def appeal_email_send(*, appeal_id: int, kind: str) -> bool:
    """Send the receipt or the outcome. Returns False when there is nothing to send (no
    address, already sent). The row stays locked while the mail goes out, so two workers
    never both send it."""
    field = KINDS[kind]
    with transaction.atomic():
        appeal = (
            Appeal.objects.select_for_update()
            .select_related("decision__policy")
            .filter(pk=appeal_id)
            .first()
        )
        if appeal is None or not appeal.contact_email or getattr(appeal, field) is not None:
            return False
        if kind == "resolved" and not appeal.is_resolved:
            return False
        context = {
            "appeal": appeal,
            "policy_title": appeal.decision.policy.localized("title", appeal.language),
            "link": appeal_url(
                decision_id=appeal.decision_id, decided_at=appeal.decision.decided_at
            ),
        }
        with translation.override(appeal.language):
            subject = render_to_string(f"emails/appeal_{kind}_subject.txt", context).strip()
            body = render_to_string(f"emails/appeal_{kind}.txt", context)
        send_mail(subject, body, None, [appeal.contact_email])
        setattr(appeal, field, timezone.now())
        appeal.save(update_fields=[field])
        audit_record(actor=None, action="appeal.email_sent", target=appeal, payload={"kind": kind})
    return True


@transaction.atomic
def appeal_email_failed(*, appeal_id: int, kind: str, error: str) -> bool:
    """The e-mail failed its last attempt: keep when and why, for the reviewers to see and
    to reach the appellant another way. Returns False when there is nothing to record (no
    such appeal, or the e-mail went out after all)."""
    appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
    if appeal is None or getattr(appeal, KINDS[kind]) is not None:
        return False
    setattr(appeal, FAILED[kind], timezone.now())
    appeal.email_error = error[:ERROR_MAX]
    appeal.save(update_fields=[FAILED[kind], "email_error"])
    audit_record(
        actor=None,
        action="appeal.email_failed",
        target=appeal,
        payload={"kind": kind, "error": appeal.email_error},
    )
    return True


# An e-mail whose task has neither sent it nor recorded its failure this long after it was
# due was never enqueued (the broker was down at the time): the sweep sends it again. Longer
# than all of the task's retries (about half an hour), so a retrying task is never doubled.
EMAIL_LOST_AFTER = timedelta(hours=1)
EMAIL_LOOK_BACK = timedelta(days=7)


def appeal_emails_resend_lost(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue again the receipts and outcomes that were never enqueued. Safe to run twice:
    sending locks the appeal and sends each e-mail once."""
    from reviews.tasks import appeal_email_send

    now = now or timezone.now()
    due = now - EMAIL_LOST_AFTER
    with_address = Appeal.objects.exclude(contact_email="")
    receipts = with_address.filter(
        receipt_sent_at__isnull=True,
        receipt_failed_at__isnull=True,
        filed_at__lte=due,
        filed_at__gte=now - EMAIL_LOOK_BACK,
    ).values_list("pk", flat=True)[:limit]
    outcomes = with_address.filter(
        status__in=Appeal.RESOLVED,
        outcome_sent_at__isnull=True,
        outcome_failed_at__isnull=True,
        resolved_at__lte=due,
        resolved_at__gte=now - EMAIL_LOOK_BACK,
    ).values_list("pk", flat=True)[:limit]
    sent = 0
    for kind, ids in (("received", receipts), ("resolved", outcomes)):
        for appeal_id in ids:
            sent += appeal_email_send.delay_or_log(appeal_id, kind)
    return sent
