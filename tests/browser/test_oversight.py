"""A hub supervisor in a real browser: the dashboard with its charts and tables, the
decision log and its export, and the audit trail with the chain's state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from reviews.models import Decision

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DEMO_PASSWORD = "antifraud-demo-2026"


def test_a_supervisor_reads_the_dashboard_logs_and_trail(
    page: Page, live_server, demo, console, artifacts
):
    # The staff pages speak the user's language (the demo's staff read Russian): English here.
    User.objects.filter(username="hub.supervisor").update(language="en")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "hub.supervisor")
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/(\?.*)?$"))

    page.goto(f"{live_server.url}/oversight/?since=2020-01-01&until=2021-12-31")
    # A range wider than a year is refused on the form, not with an error page.
    expect(page.locator(".form-error")).to_be_visible()
    page.goto(f"{live_server.url}/oversight/")
    expect(page.locator("h1")).to_have_text("Oversight")
    expect(page.locator("#queues-heading")).to_be_visible()
    assert page.locator("svg").count() >= 1, "charts are drawn"
    assert page.locator("table").count() >= 3, "every chart has its table"
    page.screenshot(path=str(artifacts / "oversight-dashboard.png"), full_page=True)

    page.goto(f"{live_server.url}/oversight/decisions/")
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    assert Decision.objects.exists()
    with page.expect_download() as download:
        page.locator("a[download]").click()
    path = download.value.path()
    lines = path.read_text(encoding="utf-8").splitlines()
    # A header, then at least the rows the page shows (the page shows one page of them).
    assert "decided_at" in lines[0] or "decided" in lines[0], lines[0]
    assert len(lines) - 1 >= rows.count() > 0

    page.goto(f"{live_server.url}/oversight/audit/")
    expect(page.locator("h1")).to_have_text("Audit trail")
    expect(page.locator("table tbody tr").first).to_be_visible()
    page.screenshot(path=str(artifacts / "oversight-audit.png"), full_page=True)
    assert console.errors == []
