"""Every staff page is usable from 1,024 px wide: no page-level horizontal scroll (wide
tables scroll or wrap inside their own box), in English and in the longer Russian and
Kazakh words."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from antifraud.models import Indicator
from reviews.models import Case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTH = 1024
DEMO_PASSWORD = "antifraud-demo-2026"


# The innermost elements that stick out of the window, to say what to fix.
STICKING_OUT = """(width) => Array.from(document.querySelectorAll("body *"))
  .filter((e) => e.getBoundingClientRect().right > width + 1)
  .filter((e) => !Array.from(e.children).some((c) => c.getBoundingClientRect().right > width + 1))
  .slice(0, 3)
  .map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${Math.round(e.getBoundingClientRect().right)}`)"""


def overflow(page: Page, url: str) -> str:
    """Empty when the page fits the window; else by how much it does not, and what sticks out."""
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    expect(page.locator("main.page")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= WIDTH:
        return ""
    return f"{width - WIDTH} px: {page.evaluate(STICKING_OUT, WIDTH)}"


def wider_than_the_window(page: Page, base: str, paths: list[str]) -> dict[str, str]:
    found = {path: overflow(page, base + path) for path in paths}
    return {path: why for path, why in found.items() if why}


@pytest.mark.parametrize("language", ["en", "kk"])
def test_senior_moderator_pages_fit_1024_px(
    page: Page, live_server, sign_in, console, artifacts, language
):
    page.set_viewport_size({"width": WIDTH, "height": 768})
    sign_in("kolesa.senior1", language)
    senior = User.objects.get(username="kolesa.senior1")
    case = Case.objects.visible_to(senior).filter(status=Case.Status.OPEN).first()
    entry = Indicator.objects.visible_to(senior).first()
    assert case is not None and entry is not None
    paths = [
        "/?queue=all",
        "/?queue=escalated",
        f"/cases/{case.pk}/?queue=all",
        "/appeals/",
        "/approvals/",
        "/lists/",
        f"/lists/{entry.pk}/",
        f"/subjects/{case.subject_id}/story/",
    ]
    assert wider_than_the_window(page, live_server.url, paths) == {}
    page.goto(f"{live_server.url}/?queue=all")
    page.screenshot(path=str(artifacts / f"queue-1024-{language}.png"), full_page=False)
    assert console.errors == []


def test_supervisor_pages_fit_1024_px(page: Page, live_server, demo, console, artifacts):
    page.set_viewport_size({"width": WIDTH, "height": 768})
    User.objects.filter(username="hub.supervisor").update(language="ru")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "hub.supervisor")
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    paths = [
        "/?queue=all",
        "/oversight/",
        "/oversight/decisions/",
        "/oversight/appeals/",
        "/oversight/audit/",
        "/oversight/samples/",
        "/deliveries/",
        "/detection/rules/",
        "/appeals/",
        "/lists/",
    ]
    assert wider_than_the_window(page, live_server.url, paths) == {}
    page.goto(f"{live_server.url}/oversight/")
    page.screenshot(path=str(artifacts / "oversight-1024-ru.png"), full_page=False)
    assert console.errors == []
