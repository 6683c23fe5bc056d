"""The supervisors' daily digest: one e-mail a day to each supervisor, in their language,
sent by the worker the way appeal e-mails are (reviews.services.notifications): retried on
a mail server's failure, each failure that outlives its retries audited, and never sent
twice for one day."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from accounts.roles import Role
from antifraud.audit import audit_record
from reviews.digest import digest_for
from reviews.models import DigestSent

ERROR_MAX = 300


def digest_recipients() -> QuerySet[User]:
    """Active supervisors with an address, of an active partner or of the hub."""
    return (
        User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR)
        .filter(Q(partner__isnull=True) | Q(partner__is_active=True))
        .exclude(email="")
        .select_related("partner")
        .distinct()
        .order_by("pk")
    )


def supervisor_digests_send(*, now: datetime | None = None) -> int:
    """Enqueue the day's digest for each supervisor who has not had it yet (beat runs this
    every morning). Returns how many were enqueued; run again the same day, none."""
    from reviews.tasks import supervisor_digest_send

    day = timezone.localdate(now or timezone.now())
    waiting = (
        digest_recipients()
        .exclude(pk__in=DigestSent.objects.filter(day=day).values("user_id"))
        .values_list("pk", flat=True)
    )
    return sum(supervisor_digest_send.delay_or_log(user_id, day.isoformat()) for user_id in waiting)


def supervisor_digest_send(*, user_id: int, day: date, now: datetime | None = None) -> bool:
    """Send one supervisor the digest of `day`. False when there is nothing to send: they
    already had it, or are no longer a supervisor with an address. The mark that it was
    sent is written first and kept only if the mail goes out; a second worker sending the
    same digest waits for it, then finds the mark and sends nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        user = digest_recipients().filter(pk=user_id).first()
        if user is None:
            return False
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=user, day=day, sent_at=now)
        except IntegrityError:
            return False
        context = {
            "digest": digest_for(user=user, now=now),
            "day": day,
            "base_url": settings.PUBLIC_BASE_URL,
        }
        with translation.override(user.language):
            subject = render_to_string("emails/supervisor_digest_subject.txt", context).strip()
            body = render_to_string("emails/supervisor_digest.txt", context)
            html = render_to_string("emails/supervisor_digest.html", context | {"subject": subject})
        send_mail(subject, body, None, [user.email], html_message=html)
        audit_record(
            actor=None, action="digest.sent", target=user, payload={"day": day.isoformat()}, at=now
        )
    return True


@transaction.atomic
def supervisor_digest_failed(*, user_id: int, day: date, error: str) -> bool:
    """The digest failed its last attempt: audited, so that the failure is seen. False when
    it went out after all."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or DigestSent.objects.filter(user=user, day=day).exists():
        return False
    audit_record(
        actor=None,
        action="digest.email_failed",
        target=user,
        payload={"day": day.isoformat(), "error": error[:ERROR_MAX]},
    )
    return True
