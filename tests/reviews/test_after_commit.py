"""What has committed succeeds: nothing that runs after the commit — enqueueing with the
broker down, the next case failing to load — turns a recorded decision into an error; what
was not enqueued is enqueued again by the sweeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from antifraud.celery import app as celery_app
from antifraud.models import Delivery
from antifraud.queueing import ProjectTask
from reviews import services
from reviews.models import Appeal, Decision, Policy
from tests.factories import PartnerFactory, listing_case


@pytest.fixture
def broker_down(monkeypatch) -> list[str]:
    """The broker refusing every message, as a stopped Redis does after kombu's retries."""
    refused: list[str] = []

    def refuse(self, *args, **kwargs):
        refused.append(self.name)
        raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(ProjectTask, "delay", refuse)
    return refused


def form(case) -> dict[str, str]:
    return {
        "action": "remove_listing",
        "policy": str(Policy.objects.get(code="fake-photos", is_current=True).pk),
        "statement_of_reasons": "Фотографии из чужого объявления.",
        "language": "ru",
        "queue": "all",
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_decision_recorded_while_the_broker_is_down_is_a_success(
    client, moderator, kolesa, broker_down
):
    PartnerFactory(slug="krisha", webhook_url="https://hooks.krisha.example/in")
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    client.force_login(moderator)
    response = client.post(reverse("case-decide", args=[case.pk]), form(case))
    assert response.status_code == 302  # decided: on to the queue, not a 500
    assert Decision.objects.filter(case=case).count() == 1
    assert broker_down == ["antifraud.tasks.delivery_send"]
    # The row waits, due, for the redelivery sweep.
    pending = Delivery.objects.get(partner__slug="krisha")
    assert pending.status == "pending" and pending.next_attempt_at <= timezone.now()


def test_enqueueing_reports_a_broker_that_refuses(broker_down):
    from antifraud.tasks import delivery_send

    assert delivery_send.delay_or_log(1) is False
    assert broker_down == ["antifraud.tasks.delivery_send"]


@pytest.mark.django_db
def test_sending_the_same_decision_again_says_it_was_already_decided(client, moderator, kolesa):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    client.force_login(moderator)
    client.post(reverse("case-decide", args=[case.pk]), form(case))
    again = client.post(reverse("case-decide", args=[case.pk]), form(case))
    assert again.status_code == 409
    assert f"already decided by {moderator.username}" in again.content.decode()
    assert Decision.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_appeal_emails_that_were_never_enqueued_are_sent_by_the_sweep(blocked, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    appeal = services.appeal_file(
        decision_id=blocked.pk,
        statement="Я честный продавец, это мой номер уже 10 лет.",
        contact_email="erlan@mail.kz",
        consent=True,
    )
    now = timezone.now()
    assert services.appeal_emails_resend_lost(now=now) == 0  # not due yet
    Appeal.objects.filter(pk=appeal.pk).update(filed_at=now - timedelta(hours=2))
    celery_app.conf.task_always_eager = True
    try:
        assert services.appeal_emails_resend_lost(now=now) == 1
    finally:
        celery_app.conf.task_always_eager = False
    [receipt] = mail.outbox
    assert receipt.to == ["erlan@mail.kz"]
    # Sent: the sweep leaves it alone from now on.
    assert services.appeal_emails_resend_lost(now=now) == 0
