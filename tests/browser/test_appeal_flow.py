"""An appeal from end to end in a real browser: a moderator blocks, the blocked user opens
the appeal link anonymously and files an appeal with a photo, a different senior moderator
overturns it, and the appellant's page shows the outcome."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from antifraud.models import Subject
from reviews.models import Appeal, Case, Decision
from tests.appeal_fixtures import jpeg_bytes
from tests.browser.pages import claim_first_case, key_for, wait_for_next_case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

STATEMENT = "Это мой телефон уже десять лет, я продаю свою машину и никогда не просил задаток."
REPLY = "Номер принадлежит заявителю, нарушения нет. Аккаунт восстановлен."
DEMO_PASSWORD = "antifraud-demo-2026"


def sign_in_as(page: Page, live_server, username: str) -> None:
    # The staff pages speak the user's language (the demo's staff read Russian): English here.
    User.objects.filter(username=username).update(language="en")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/(\?.*)?$"))


def test_block_appeal_overturn(
    page: Page, browser: Browser, live_server, sign_in, console, tmp_path
):
    # A moderator decides the first case of the queue with the keyboard.
    sign_in("krisha.moderator1")
    moderator = User.objects.get(username="krisha.moderator1")
    case_id = claim_first_case(page, live_server, moderator)
    page.keyboard.press(key_for(Case.objects.get(pk=case_id)))
    page.keyboard.press("Enter")
    wait_for_next_case(page, live_server, case_id)
    decision = Decision.objects.get(case_id=case_id)
    subject = Subject.objects.get(pk=decision.subject_id)
    assert subject.status == "removed"

    # The decided case's page carries the appeal link.
    page.goto(f"{live_server.url}/cases/{case_id}/")
    link = page.locator("a.appeal-link").first.get_attribute("href")
    assert "/appeal/" in link
    appeal_path = link[link.index("/appeal/") :]

    # The blocked user, not signed in, opens it in Kazakh, then files in Russian.
    appellant_context = browser.new_context()
    appellant = appellant_context.new_page()
    appellant.goto(f"{live_server.url}{appeal_path}?lang=kk")
    expect(appellant.locator("h1").first).to_have_text("Шешім")
    expect(appellant.locator(".statement").first).to_contain_text(
        decision.statement_of_reasons[:40]
    )
    appellant.get_by_role("link", name="Русский").click()
    photo = tmp_path / "car.jpg"
    photo.write_bytes(jpeg_bytes(gps=True))
    appellant.fill("#id_statement", STATEMENT)
    appellant.fill("#id_contact_email", "appellant@mail.kz")
    appellant.set_input_files("#id_attachments", str(photo))
    appellant.check("#id_consent")
    appellant.get_by_role("button", name="Отправить жалобу").click()
    expect(appellant.locator(".appeal-status")).to_contain_text("Ваша жалоба получена.")
    appeal = Appeal.objects.get(decision=decision)
    assert appeal.status == "submitted" and appeal.language == "ru"
    assert appeal.attachments.count() == 1

    # A different senior moderator claims and overturns it.
    senior_context = browser.new_context()
    senior_page = senior_context.new_page()
    sign_in_as(senior_page, live_server, "krisha.senior1")
    senior_page.goto(f"{live_server.url}/appeals/")
    senior_page.get_by_role("link", name=f"#{appeal.pk}", exact=True).click()
    expect(senior_page.locator(".statement").first).to_contain_text(STATEMENT[:30])
    senior_page.get_by_role("button", name="Claim this appeal").click()
    senior_page.get_by_label("Overturn it").check()
    senior_page.fill("#id_reply", REPLY)
    senior_page.get_by_role("button", name="Resolve the appeal").click()
    expect(senior_page.locator(".messages")).to_contain_text(f"Appeal {appeal.pk} resolved.")
    senior_context.close()

    appeal.refresh_from_db()
    assert appeal.status == "overturned" and appeal.reviewer.username == "krisha.senior1"
    assert appeal.reversal.reverses_id == decision.pk
    assert Subject.objects.get(pk=subject.pk).status == "active"

    # The appellant's page shows the outcome.
    appellant.reload()
    expect(appellant.locator(".appeal-status")).to_contain_text("удовлетворена: решение отменено")
    expect(appellant.locator(".appeal-status")).to_contain_text(REPLY)
    appellant_context.close()
    assert console.errors == []
