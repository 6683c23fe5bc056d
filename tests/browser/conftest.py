"""Browser tests: Debian's Chromium, driven by Playwright against pytest-django's live server.

Each test seeds the demo (`seed_demo --scale 0.01 --seed 5`) into a transactional test
database, signs in as a demo moderator and works the queue with the keyboard.

Playwright's sync API leaves its asyncio loop marked as running in the main thread from its
start to the end of the session (between its calls too). Django reacts to that three ways,
all handled here:

- every query from the test thread raises `SynchronousOnlyOperation` unless
  `DJANGO_ALLOW_ASYNC_UNSAFE` is set: it is set while a browser test runs, and only then
  (a process-wide setting would leak into other tests' subprocesses: `check --deploy`
  refuses it);
- for the same reason, database tests that run after the browser tests in the same session
  would fail: the browser tests are moved to the end of the session;
- Django keeps connections in an asgiref `Local(thread_critical=True)`: thread-local while no
  loop runs, a context variable while one does. The test thread would get a second connection
  once Playwright started, one without the serialized migration data that
  `serialized_rollback` restores (and on PostgreSQL a second session left open).
  `_browser_database` makes both lookups return the same connection.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import ConsoleMessage, Page, expect

CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "antifraud-demo-2026"
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def _is_browser_test(item: pytest.Item) -> bool:
    return HERE in Path(item.path).resolve().parents


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last (after pytest-django's own reordering, hence trylast)."""
    items.sort(key=_is_browser_test)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    if not _is_browser_test(item):
        return (yield)
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        return (yield)
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (make browser)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def playwright(django_db_setup, playwright):
    """Playwright starts after the test databases exist and stops before they are dropped,
    so creating and dropping them never happens under its running loop."""
    return playwright


@contextmanager
def _no_running_loop() -> Iterator[None]:
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(loop)


@pytest.fixture(scope="session")
def _browser_database(django_db_setup, django_db_blocker, browser) -> None:
    """One connection per database for the test thread, and the database as migrations left
    it, from the contents serialized when it was created (`serialized_rollback`)."""
    with django_db_blocker.unblock():
        with _no_running_loop():
            outside = {c.alias: c for c in connections.all(initialized_only=True)}
        inside = {c.alias: c for c in connections.all(initialized_only=True)}
        for alias in outside.keys() | inside.keys():
            candidates = [c for c in (outside.get(alias), inside.get(alias)) if c is not None]
            keep = next(
                (c for c in candidates if hasattr(c, "_test_serialized_contents")), candidates[0]
            )
            for other in candidates:
                if other is not keep:
                    other.close()
            connections[alias] = keep
            with _no_running_loop():
                connections[alias] = keep
        # A transactional test without serialized_rollback that ran earlier ended with a
        # flush that re-created content types under new ids, and serialized_rollback would
        # then fail on their unique names: start from the serialized contents instead.
        for connection in connections.all(initialized_only=True):
            contents = getattr(connection, "_test_serialized_contents", None)
            if contents:
                call_command(
                    "flush",
                    database=connection.alias,
                    interactive=False,
                    inhibit_post_migrate=True,
                    verbosity=0,
                )
                connection.creation.deserialize_db_from_string(contents)


@pytest.fixture(scope="session")
def live_server(_browser_database, live_server):
    """The live server shares the test thread's (single) connection for in-memory SQLite."""
    return live_server


@pytest.fixture
def demo(transactional_db) -> None:
    """The demo data, seeded after the (transactional) test database is ready."""
    call_command("seed_demo", "--scale", "0.01", "--seed", "5", stdout=StringIO())


@dataclass
class ConsoleLog:
    """Every console error and uncaught exception of the page, CSP violations included."""

    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error: Exception) -> None:
        self.errors.append(f"pageerror: {error}")


@pytest.fixture
def console(page: Page) -> ConsoleLog:
    log = ConsoleLog()
    page.on("console", log.on_console)
    page.on("pageerror", log.on_page_error)
    return log


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def sign_in(page: Page, live_server, demo) -> Callable[[str], None]:
    """Sign in as a demo user through the login form; lands on the queue page. The staff
    pages speak the user's language: the demo's staff read Russian, and the tests read the
    pages in English unless they ask for another language."""

    def _sign_in(username: str, language: str = "en") -> None:
        from accounts.models import User

        User.objects.filter(username=username).update(language=language)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/(\?.*)?$"))
        expect(page.locator('[data-shortcut="next"]')).to_be_visible()

    return _sign_in
