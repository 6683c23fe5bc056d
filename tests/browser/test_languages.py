"""Three languages in a real browser: a moderator switches the staff pages to Kazakh with the
top bar's switcher and keeps it; the public appeal page follows the browser's language, the
address's `?lang=`, then the cookie that remembers it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from antifraud.models import AuditEvent
from reviews.links import appeal_token
from reviews.models import Case, Decision

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The appeal form's button in each language.
SEND = {"en": "Send the appeal", "ru": "Отправить жалобу", "kk": "Шағымды жіберу"}


def test_a_moderator_switches_to_kazakh_and_keeps_it(
    page: Page, live_server, sign_in, console, artifacts
):
    sign_in("kolesa.moderator1")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".topnav")).to_contain_text("Queues")

    switcher = page.locator("form.language-switch")
    expect(switcher.locator("option[value=kk]")).to_have_text("Қазақша")
    switcher.locator("select").select_option("kk")
    switcher.locator("button").click()

    # Back on the queue, in Kazakh.
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator(".topnav")).to_contain_text("Кезектер")
    expect(page.locator('[data-shortcut="next"]')).to_contain_text("Келесі кейсті алу")
    expect(page.locator(".queue-main h1")).to_have_text("Барлық ашық кейстер")
    expect(page.locator(".topnav")).not_to_contain_text("Queues")
    moderator = User.objects.get(username="kolesa.moderator1")
    assert moderator.language == "kk"
    assert AuditEvent.objects.filter(action="user.language_changed", actor=moderator).count() == 1

    # A case page is in Kazakh too.
    case = Case.objects.visible_to(moderator).filter(status=Case.Status.OPEN).first()
    assert case is not None
    page.goto(f"{live_server.url}/cases/{case.pk}/?queue=all")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator("main")).to_contain_text("Сигналдар")
    expect(page.locator("main")).not_to_contain_text("Signals")
    page.screenshot(path=str(artifacts / "case-kk.png"), full_page=True)

    # It is saved on the account: a reload, and a new sign-in, stay in Kazakh.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "kolesa.moderator1")
    page.fill("#id_password", "antifraud-demo-2026")
    page.locator("form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator(".topnav")).to_contain_text("Кезектер")
    assert console.errors == []


def appeal_path(decision: Decision) -> str:
    token = appeal_token(decision_id=decision.pk, decided_at=decision.decided_at)
    return reverse("appeal", args=[token])


def open_in(browser: Browser, live_server, path: str, locale: str) -> Page:
    context = browser.new_context(locale=locale)
    visitor = context.new_page()
    visitor.goto(f"{live_server.url}{path}")
    return visitor


def expect_language(visitor: Page, language: str) -> None:
    expect(visitor.locator("html")).to_have_attribute("lang", language)
    expect(visitor.get_by_role("button", name=SEND[language])).to_be_visible()


def test_the_appeal_page_follows_the_browser_then_the_address_then_the_cookie(
    browser: Browser, live_server, demo
):
    decision = (
        Decision.objects.filter(action=Decision.Action.BLOCK_ACCOUNT, appeal__isnull=True)
        .order_by("-decided_at")
        .first()
    )
    assert decision is not None and decision.language == "ru"
    path = appeal_path(decision)

    # A Kazakh browser reads Kazakh, an English one English: not the decision's Russian.
    kazakh = open_in(browser, live_server, path, "kk-KZ")
    expect_language(kazakh, "kk")
    english = open_in(browser, live_server, path, "en-US")
    expect_language(english, "en")

    # The English reader asks for Russian in the address; the cookie then keeps it.
    english.goto(f"{live_server.url}{path}?lang=ru")
    expect_language(english, "ru")
    english.goto(f"{live_server.url}{path}")
    expect_language(english, "ru")
    cookie = next(c for c in english.context.cookies() if c["name"] == "antifraud_language")
    assert cookie["value"] == "ru" and cookie["sameSite"] == "Lax" and cookie["httpOnly"]
    for visitor in (kazakh, english):
        visitor.context.close()
