"""The blocked user reads how long the block lasts — on the appeal page and in the e-mails —
and, once it ended, that it did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from reviews import services
from reviews.links import appeal_token
from reviews.models import Policy
from reviews.services import DecisionRequest
from reviews.services.block_ends import block_ends_lift
from tests.factories import listing_case

pytestmark = pytest.mark.django_db


def block(kolesa, moderator, days: int):
    case = listing_case(kolesa)
    services.case_claim(actor=moderator, case_id=case.pk)
    return services.decision_record(
        actor=moderator,
        case_id=case.pk,
        request=DecisionRequest(
            action="block_account",
            policy_id=Policy.objects.get(code="fake-photos", is_current=True).pk,
            statement_of_reasons="Фотографии из чужого объявления.",
            block_days=days,
        ),
    ).decisions[0]


def page(client, decision, language: str = "en") -> str:
    token = appeal_token(decision_id=decision.pk, decided_at=decision.decided_at)
    response = client.get(reverse("appeal", args=[token]) + f"?lang={language}")
    assert response.status_code == 200
    return response.content.decode()


def local_day(moment) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y")


def test_the_appeal_page_says_how_long(client, kolesa, moderator):
    limited = block(kolesa, moderator, 30)
    html = page(client, limited)
    assert f"Blocked for 30 days, until {local_day(limited.ends_at)}." in html
    assert "Blocked permanently." not in html
    # In Russian the date is the same, written the same way (Asia/Almaty).
    assert local_day(limited.ends_at) in page(client, limited, "ru")
    permanent = block(kolesa, moderator, 0)
    assert "Blocked permanently." in page(client, permanent)


def test_the_date_is_almatys(client, kolesa, moderator, monkeypatch):
    # Decided at 20:30 UTC: in Almaty it is already the next day, and so is the end.
    decided = datetime(2026, 12, 28, 20, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: decided)
    limited = block(kolesa, moderator, 7)
    monkeypatch.undo()
    assert limited.ends_at == datetime(2027, 1, 4, 20, 30, tzinfo=UTC)
    assert "Blocked for 7 days, until 05.01.2027." in page(client, limited)


def test_the_page_says_the_block_ended(client, kolesa, moderator):
    limited = block(kolesa, moderator, 7)
    lifted_at = limited.ends_at + timedelta(minutes=3)
    block_ends_lift(now=lifted_at)
    html = page(client, limited)
    assert f"The block ended on {local_day(lifted_at)}: the account is active again." in html


def test_the_emails_say_how_long(kolesa, moderator, senior):
    limited = block(kolesa, moderator, 7)
    appeal = services.appeal_file(
        decision_id=limited.pk,
        statement="Это мои собственные фотографии, прошу пересмотреть решение.",
        contact_email="user@example.kz",
        consent=True,
        language="en",
    )
    # What the worker sends, sent here.
    assert services.appeal_email_send(appeal_id=appeal.pk, kind="received") is True
    term = f"Blocked for 7 days, until {local_day(limited.ends_at)}."
    assert term in mail.outbox[-1].body
    services.appeal_claim(actor=senior, appeal_id=appeal.pk)
    services.appeal_resolve(
        actor=senior, appeal_id=appeal.pk, overturn=False, reply="Решение в силе."
    )
    assert services.appeal_email_send(appeal_id=appeal.pk, kind="resolved") is True
    assert term in mail.outbox[-1].body
