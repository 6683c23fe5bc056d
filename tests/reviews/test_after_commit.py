"""What has committed succeeds: nothing that runs after the commit — enqueueing with the
broker down, the next case failing to load — turns a recorded decision into an error; what
was not enqueued is enqueued again by the sweeps."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import OperationalError
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


# --- the database failing during a decision ----------------------------------------------

LOST = "server closed the connection unexpectedly"


def marked(case, attempt: uuid.UUID) -> dict[str, str]:
    return {**form(case), "attempt": str(attempt)}


@pytest.fixture
def decide_then_lose_the_answer(monkeypatch):
    """The decision commits, then the connection breaks before the answer: what a
    PostgreSQL restart at the wrong moment does."""
    real = services.decision_record

    def decide(**kwargs):
        real(**kwargs)
        raise OperationalError(LOST)

    monkeypatch.setattr(services, "decision_record", decide)


@pytest.fixture
def fail_before_deciding(monkeypatch):
    def decide(**kwargs):
        raise OperationalError(LOST)

    monkeypatch.setattr(services, "decision_record", decide)


@pytest.fixture
def database_still_away(monkeypatch):
    def away(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(services, "decision_attempt_outcome", away)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_decision_whose_answer_was_lost_is_found_by_its_mark_and_is_a_success(
    client, moderator, kolesa, decide_then_lose_the_answer
):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    client.force_login(moderator)
    attempt = uuid.uuid4()
    response = client.post(
        reverse("case-decide", args=[case.pk]), marked(case, attempt), follow=True
    )
    assert response.redirect_chain, response.content.decode()[:300]
    assert "the database failed after your decision, and it was recorded" in (
        response.content.decode()
    )
    [decision] = Decision.objects.filter(case=case)
    assert decision.attempt == attempt


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_decision_the_database_dropped_says_so_and_the_same_form_records_it(
    client, moderator, kolesa, monkeypatch
):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    client.force_login(moderator)
    real = services.decision_record
    monkeypatch.setattr(
        services, "decision_record", lambda **kw: (_ for _ in ()).throw(OperationalError(LOST))
    )
    attempt = uuid.uuid4()
    response = client.post(reverse("case-decide", args=[case.pk]), marked(case, attempt))
    body = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "your decision was not recorded" in body
    assert f'name="attempt" value="{attempt}"' in body  # the same form, ready to send again
    assert 'value="Фотографии из чужого объявления."' in body
    assert not Decision.objects.filter(case=case).exists()
    monkeypatch.setattr(services, "decision_record", real)
    again = client.post(reverse("case-decide", args=[case.pk]), marked(case, attempt))
    assert again.status_code == 302
    assert Decision.objects.filter(case=case, attempt=attempt).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_unknown_outcome_is_said_and_sending_the_form_again_records_once(
    client, moderator, kolesa, decide_then_lose_the_answer, database_still_away, monkeypatch
):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    client.force_login(moderator)
    attempt = uuid.uuid4()
    response = client.post(
        reverse("case-decide", args=[case.pk]), marked(case, attempt), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 503
    assert "it is not known whether your decision was recorded" in response.content.decode()
    assert 'id="workspace"' in response.content.decode()  # swapped in place of the case
    monkeypatch.undo()
    again = client.post(reverse("case-decide", args=[case.pk]), marked(case, attempt), follow=True)
    assert "this decision had already been recorded" in again.content.decode()
    assert Decision.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_a_form_mark_used_on_another_case_is_refused(client, moderator, kolesa):
    first, second = listing_case(kolesa), listing_case(kolesa)
    attempt = uuid.uuid4()
    client.force_login(moderator)
    for case in (first, second):
        services.case_claim(actor=moderator, case_id=case.pk)
    assert (
        client.post(reverse("case-decide", args=[first.pk]), marked(first, attempt)).status_code
        == 302
    )
    refused = client.post(reverse("case-decide", args=[second.pk]), marked(second, attempt))
    assert refused.status_code == 409
    assert "This form was already used for another decision" in refused.content.decode()
    assert not Decision.objects.filter(case=second).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_page_asked_for_while_the_database_is_away_is_a_plain_503(client, moderator, kolesa):
    from django.db import connection

    from tests.api.test_auth_and_errors import closed_port

    case = listing_case(kolesa)
    client.force_login(moderator)
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(closed_port())
    try:
        page = client.get(reverse("case", args=[case.pk]))
        fragment = client.get(reverse("case", args=[case.pk]), HTTP_HX_REQUEST="true")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "cannot reach its database" in page.content.decode()
    assert fragment.status_code == 503 and fragment["HX-Reswap"] == "afterbegin"
    assert fragment.content.decode().startswith('<div class="message error" role="alert">')


def test_after_one_refusal_the_broker_is_left_alone_for_a_moment(broker_down, monkeypatch):
    """With Redis down each attempt costs time; a decision writes a row per partner."""
    from antifraud import queueing
    from antifraud.tasks import delivery_send

    assert delivery_send.delay_or_log(1) is False
    assert delivery_send.delay_or_log(2) is False
    assert broker_down == ["antifraud.tasks.delivery_send"]  # offered once, not twice
    monkeypatch.setattr(queueing, "BROKER_PAUSE_SECONDS", 0.0)
    queueing.broker_pause_reset()
    assert delivery_send.delay_or_log(3) is False
    assert delivery_send.delay_or_log(4) is False
    assert len(broker_down) == 3  # no pause: each one offered
