"""The supervisors' daily digest: what it says to whom, in which language, once a day."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone, translation

from accounts.roles import Role
from antifraud.audit_checks import audit_chain_check_daily
from antifraud.celery import app as celery_app
from antifraud.models import AuditEvent, Delivery, Subject
from antifraud.normalize import normalize
from antifraud.services.indicators import indicator_propose
from antifraud.services.registry import indicator_quarantine
from reviews import services
from reviews.digest import ROWS_PER_SECTION, digest_for
from reviews.models import Appeal, Case, DigestSent
from reviews.services.digests import supervisor_digest_send, supervisor_digests_send
from tests.factories import UserFactory, listing_case

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
TITLE = "<b>Camry</b> за полцены"


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def supervisors(kolesa, krisha):
    made = {
        "kolesa": UserFactory(
            username="kolesa.sup", partner=kolesa, role=Role.SUPERVISOR, language="kk"
        ),
        "krisha": UserFactory(
            username="krisha.sup", partner=krisha, role=Role.SUPERVISOR, language="en"
        ),
        "hub": UserFactory(username="hub.sup", partner=None, role=Role.SUPERVISOR, language="ru"),
    }
    for user in made.values():
        user.email = f"{user.username}@antifraud.kz"
        user.save(update_fields=["email"])
    # Not recipients: no address, no longer active, not a supervisor.
    UserFactory(username="kolesa.sup2", partner=kolesa, role=Role.SUPERVISOR)
    gone = UserFactory(username="kolesa.gone", partner=kolesa, role=Role.SUPERVISOR)
    gone.email, gone.is_active = "gone@antifraud.kz", False
    gone.save(update_fields=["email", "is_active"])
    moderator = UserFactory(username="kolesa.m", partner=kolesa, role=Role.MODERATOR)
    moderator.email = "m@antifraud.kz"
    moderator.save(update_fields=["email"])
    return made


@pytest.fixture
def world(kolesa, krisha, blocked, settings):
    """Deadlines breached in the last day and earlier, due soon and later, on Kolesa and
    Krisha; a breached appeal, a dead delivery, a quarantined entry, a verified chain."""
    settings.CASE_DEADLINE_WARN_HOURS = 4
    settings.APPEAL_DEADLINE_WARN_HOURS = 12
    now = timezone.now()
    cases = {
        "breached": listing_case(kolesa, deadline=now - timedelta(hours=2)),
        "long_ago": listing_case(kolesa, deadline=now - timedelta(days=3)),
        "due": listing_case(kolesa, deadline=now + timedelta(hours=1)),
        "later": listing_case(kolesa, deadline=now + timedelta(hours=10)),
        "krisha": listing_case(krisha, deadline=now - timedelta(hours=3)),
    }
    Subject.objects.filter(pk=cases["breached"].subject_id).update(title=TITLE)
    # Decided in time, though its deadline is in the last day: not a breach.
    Case.objects.filter(pk=blocked.case_id).update(
        deadline=now - timedelta(hours=1), decided_at=now - timedelta(hours=5)
    )
    appeal = services.appeal_file(
        decision_id=blocked.pk,
        statement="Я честный продавец, это мой номер уже десять лет.",
        consent=True,
    )
    Appeal.objects.filter(pk=appeal.pk).update(deadline=now - timedelta(hours=6))
    dead = Delivery.objects.filter(partner=kolesa).order_by("pk").first()
    Delivery.objects.filter(pk=dead.pk).update(status=Delivery.Status.DEAD, last_error="HTTP 500")
    phone = normalize("phone", "+77015550404")
    entry = indicator_propose(
        partner=krisha, kind=phone.kind, value=phone.value, display=phone.display, reason="x"
    ).indicator
    with transaction.atomic():
        indicator_quarantine(indicator_id=entry.pk, hits=400, now=now)
    check = audit_chain_check_daily()
    assert check is not None and check.ok
    return {"now": now, "cases": cases, "appeal": appeal, "entry": entry, "check": check}


def case_link(case: Case) -> str:
    return f"http://127.0.0.1:8000/cases/{case.pk}/"


def sent_to(address: str) -> mail.EmailMultiAlternatives:
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


def test_each_supervisor_gets_their_partners_digest(world, supervisors, settings, eager):
    settings.EMAIL_BACKEND = LOCMEM
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    assert supervisor_digests_send(now=world["now"]) == 3
    assert sorted(m.to[0] for m in mail.outbox) == [
        "hub.sup@antifraud.kz",
        "kolesa.sup@antifraud.kz",
        "krisha.sup@antifraud.kz",
    ]
    cases = world["cases"]
    kolesa = sent_to("kolesa.sup@antifraud.kz").body
    assert case_link(cases["breached"]) in kolesa
    assert TITLE in kolesa  # plain text, as written
    assert case_link(cases["due"]) in kolesa
    for absent in ("long_ago", "later", "krisha"):
        assert case_link(cases[absent]) not in kolesa, absent
    assert f"/appeals/{world['appeal'].pk}/" in kolesa
    assert "Kolesa.kz: 1" in kolesa and "/deliveries/" in kolesa
    assert f"/lists/{world['entry'].pk}/" in kolesa and world["entry"].display in kolesa
    assert f"{world['check'].events_checked}" in kolesa

    hub = sent_to("hub.sup@antifraud.kz").body
    assert case_link(cases["breached"]) in hub and case_link(cases["krisha"]) in hub
    krisha = sent_to("krisha.sup@antifraud.kz")
    assert case_link(cases["krisha"]) in krisha.body
    assert case_link(cases["breached"]) not in krisha.body
    assert "Kolesa.kz" not in krisha.body.split("Quarantined")[0].split("Dead deliveries")[1]
    assert "Krisha.kz" in krisha.subject
    # The hub's supervisor reads Russian: the all-partners digest comes in it.
    assert "по всем партнёрам" in sent_to("hub.sup@antifraud.kz").subject


def test_the_digest_speaks_the_supervisors_language(world, supervisors, settings, eager):
    settings.EMAIL_BACKEND = LOCMEM
    supervisor_digests_send(now=world["now"])
    for key, language in (("kolesa", "kk"), ("hub", "ru"), ("krisha", "en")):
        with translation.override(language):
            hello = translation.gettext("Hello,")
            status = str(Case.Status.OPEN.label)
        body = sent_to(supervisors[key].email).body
        assert body.startswith(hello), key
        assert status in body, key
    assert "Сәлеметсіз бе!" in sent_to("kolesa.sup@antifraud.kz").body


def test_the_html_part_escapes_what_partners_wrote(world, supervisors, settings, eager):
    settings.EMAIL_BACKEND = LOCMEM
    supervisor_digests_send(now=world["now"])
    [(html, mimetype)] = sent_to("kolesa.sup@antifraud.kz").alternatives
    assert mimetype == "text/html"
    assert "&lt;b&gt;Camry&lt;/b&gt;" in html and "<b>Camry" not in html
    assert f'href="http://127.0.0.1:8000/cases/{world["cases"]["breached"].pk}/"' in html


def test_a_second_run_the_same_day_sends_nothing(world, supervisors, settings, eager):
    settings.EMAIL_BACKEND = LOCMEM
    now = world["now"]
    assert supervisor_digests_send(now=now) == 3
    assert supervisor_digests_send(now=now + timedelta(minutes=5)) == 0
    assert len(mail.outbox) == 3
    # The task itself, sent again (a message delivered twice), sends nothing either.
    day = timezone.localdate(now)
    assert supervisor_digest_send(user_id=supervisors["hub"].pk, day=day) is False
    assert len(mail.outbox) == 3
    assert DigestSent.objects.filter(day=day).count() == 3
    assert AuditEvent.objects.filter(action="digest.sent").count() == 3
    # The next day, the next digest.
    assert supervisor_digests_send(now=now + timedelta(days=1)) == 3
    assert len(mail.outbox) == 6


class UnreachableMailServer(BaseEmailBackend):
    attempts = 0

    def send_messages(self, email_messages):
        type(self).attempts += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_digest_that_fails_every_retry_is_audited_and_not_marked_sent(
    world, supervisors, settings
):
    from reviews.tasks import supervisor_digest_send as task

    settings.EMAIL_BACKEND = f"{__name__}.UnreachableMailServer"
    UnreachableMailServer.attempts = 0
    user = supervisors["kolesa"]
    day = timezone.localdate().isoformat()
    result = task.apply(args=(user.pk, day))
    assert result.failed()
    assert UnreachableMailServer.attempts == 1 + task.max_retries
    assert not DigestSent.objects.exists()
    [event] = AuditEvent.objects.filter(action="digest.email_failed")
    assert event.payload == {
        "day": day,
        "error": "SMTPServerDisconnected: Connection unexpectedly closed",
    }
    # Not marked sent: a later run sends it.
    settings.EMAIL_BACKEND = LOCMEM
    assert task.apply(args=(user.pk, day)).get() is True
    assert len(mail.outbox) == 1


def test_beat_sends_the_digests_every_morning(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["supervisor-digests-send"]
    assert entry["task"] == "reviews.tasks.supervisor_digests_send"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == crontab(hour=8, minute=0)
    assert settings.CELERY_TIMEZONE == "Asia/Almaty"


def test_the_digest_reads_a_bounded_number_of_queries(
    world, supervisors, kolesa, django_assert_max_num_queries
):
    now = world["now"]
    for _ in range(ROWS_PER_SECTION + 5):
        listing_case(kolesa, deadline=now - timedelta(hours=1))
        listing_case(kolesa, deadline=now + timedelta(hours=2))
    # One query per section, one more to count a section longer than it shows.
    with django_assert_max_num_queries(12):
        digest = digest_for(user=supervisors["hub"], now=now)
    assert len(digest.breached_cases.rows) == ROWS_PER_SECTION
    assert digest.breached_cases.total == ROWS_PER_SECTION + 5 + 2
    assert digest.breached_cases.more == 7
    assert digest.due_cases.total == ROWS_PER_SECTION + 5 + 1
    assert digest.dead_total == 1
    assert digest.chain_check == world["check"]
