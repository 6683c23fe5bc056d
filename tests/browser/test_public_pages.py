"""The three open pages in a real browser, in Russian and in Kazakh, with JavaScript off as a
visitor might have it: the policy catalogue (and one policy's history), the transparency
report, the scam-awareness page and its printable version. Each is read whole and must hold
none of the interface's English (tests/browser/english.py); a screenshot of each is kept in
tests/browser/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from reviews.models import MonthlyFigure, Policy
from tests.browser.english import english_on

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A heading word of each page in each language, to tell that the page is in it at all.
IN_LANGUAGE = {
    ("ru", "policies"): re.compile(r"Правила"),
    ("kk", "policies"): re.compile(r"Ережелер"),
    ("ru", "transparency"): re.compile(r"Отчёт|прозрачност", re.IGNORECASE),
    ("kk", "transparency"): re.compile(r"ашықтық|Есеп", re.IGNORECASE),
    ("ru", "scams"): re.compile(r"мошенни", re.IGNORECASE),
    ("kk", "scams"): re.compile(r"алаяқ", re.IGNORECASE),
}


def read(page: Page, language: str, section: str, name: str, artifacts: Path) -> str:
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.screenshot(path=str(artifacts / f"public-{language}-{name}.png"), full_page=True)
    text = page.locator("body").inner_text()
    assert IN_LANGUAGE[(language, section)].search(text), f"{name}: not in {language}"
    left = english_on(text, language)
    assert left == [], f"{name} in {language} shows English: {left}"
    return text


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_public_pages_in_russian_and_kazakh_without_javascript(
    browser: Browser, live_server, demo, artifacts, language
):
    assert MonthlyFigure.objects.exists(), "the demo left no monthly figures"
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1100, "height": 900}
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/policies/?lang={language}")
        text = read(page, language, "policies", "policies", artifacts)
        rental = Policy.objects.get(code="fake-rental", is_current=True)
        assert rental.localized("title", language) in text

        # The language chosen once is kept: the next pages come without ?lang=.
        page.goto(f"{live_server.url}/policies/fake-rental/")
        text = read(page, language, "policies", "policy-history", artifacts)
        assert rental.localized("text", language)[:60] in " ".join(text.split())

        page.goto(f"{live_server.url}/transparency/")
        text = read(page, language, "transparency", "transparency", artifacts)
        # Its charts are drawn without a script, and each has its table.
        assert page.locator("svg").count() >= 2
        assert page.locator("table").count() >= 2

        page.goto(f"{live_server.url}/scams/")
        read(page, language, "scams", "scams", artifacts)
        page.goto(f"{live_server.url}/scams/print/")
        read(page, language, "scams", "scams-print", artifacts)
        # The printable version has no site navigation.
        assert page.locator("nav.public-nav").count() == 0
    finally:
        context.close()
