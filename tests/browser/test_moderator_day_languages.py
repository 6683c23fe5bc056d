"""A moderator's day in Russian and in Kazakh, in a real browser: the queue, a case, a decision
with the keyboard, a skip, an escalation; then a senior moderator's escalations queue and an
appeal with its reply template. Every page on the way is read whole and must hold none of
the interface's English (tests/browser/english.py); a screenshot of each is kept in
tests/browser/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from reviews.models import Appeal, Case, Decision
from tests.browser.english import english_on
from tests.browser.pages import case_on_page, key_for, wait_for_next_case, waiting_cases

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A word of the interface in each language, to tell that the page is in it at all.
IN_LANGUAGE = {
    "ru": re.compile(r"Очереди|Кейс"),
    "kk": re.compile(r"Кезектер|Кейс"),
}


def read(page: Page, language: str, name: str, artifacts: Path) -> None:
    """The page is in `language`, with no English of the interface left on it."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / f"day-{language}-{name}.png"), full_page=True)
    text = page.locator("body").inner_text()
    assert IN_LANGUAGE[language].search(text), f"{name}: not in {language}"
    left = english_on(text, language)
    assert left == [], f"{name} in {language} shows English: {left}"


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_a_moderators_day_without_an_english_word(
    page: Page, live_server, sign_in, console, artifacts, language
):
    sign_in("kolesa.moderator1", language)
    moderator = User.objects.get(username="kolesa.moderator1")
    read(page, language, "queue", artifacts)

    # Claim, read the case, decide it with one key and Enter.
    expected = waiting_cases(moderator).first()
    assert expected is not None, "the demo has no open case for this moderator"
    page.keyboard.press("n")
    first = case_on_page(page, live_server)
    assert first == expected.pk
    assert Case.objects.get(pk=first).claimed_by == moderator
    read(page, language, "case", artifacts)
    key = key_for(Case.objects.get(pk=first))
    page.keyboard.press(key)
    expect(page.locator("#decide-submit")).to_be_focused()
    read(page, language, "deciding", artifacts)
    page.keyboard.press("Enter")
    second = wait_for_next_case(page, live_server, first)
    assert Decision.objects.filter(case_id=first, decided_by=moderator).count() == 1
    read(page, language, "decided", artifacts)

    # Skip the next one, then escalate the one after with a note and Enter.
    page.keyboard.press("s")
    third = wait_for_next_case(page, live_server, second)
    read(page, language, "skipped", artifacts)
    page.keyboard.press("e")
    expect(page.locator("#id_internal_note")).to_be_focused()
    page.keyboard.type("Карта уже в чёрном списке банка, нужен старший модератор.")
    page.keyboard.press("Enter")
    wait_for_next_case(page, live_server, third)
    escalated = Case.objects.get(pk=third)
    assert escalated.is_escalated and escalated.status == Case.Status.ESCALATED
    read(page, language, "escalated", artifacts)

    # The shortcuts help, the appeal of the decision, the approvals: in the same language.
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_visible()
    read(page, language, "shortcuts", artifacts)
    page.keyboard.press("Escape")
    page.goto(f"{live_server.url}/cases/{first}/")
    read(page, language, "decided-case", artifacts)
    assert console.errors == [], "\n".join(console.errors)


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_a_senior_moderators_escalations_and_appeals_without_an_english_word(
    page: Page, live_server, sign_in, console, artifacts, language
):
    sign_in("kolesa.senior1", language)
    senior = User.objects.get(username="kolesa.senior1")
    page.goto(f"{live_server.url}/?queue=escalated")
    read(page, language, "escalations", artifacts)
    waiting = waiting_cases(senior)
    assert waiting.exists()

    page.goto(f"{live_server.url}/appeals/")
    read(page, language, "appeals", artifacts)
    appeal = (
        Appeal.objects.visible_to(senior)
        .filter(status=Appeal.Status.SUBMITTED)
        .exclude(decision__decided_by=senior)
        .exclude(decision__approved_by=senior)
        .order_by("deadline")
        .first()
    )
    assert appeal is not None, "the demo has no appeal for this senior moderator"
    page.goto(f"{live_server.url}/appeals/{appeal.pk}/")
    read(page, language, "appeal", artifacts)
    page.locator("form[action$='/claim/'] button[type=submit]").click()
    expect(page.locator("#id_reply")).to_be_visible()
    page.locator("input[name='outcome'][value='uphold']").check()
    # The reply starts from the template in the appellant's language (the demo's appellants
    # write Russian or Kazakh), editable before it is sent.
    expect(page.locator("#id_reply")).not_to_have_value("")
    read(page, language, "appeal-claimed", artifacts)
    assert console.errors == [], "\n".join(console.errors)
