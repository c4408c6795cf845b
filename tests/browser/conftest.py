"""Playwright driving Debian's Chromium; skipped on a laptop without it, failed in CI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.conftest import LiveServer
from tests.helpers import missing_service

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# A bound on waiting, not a timing assertion: a loaded 2-core CI machine signing in with
# production-strength password hashing can take longer than Playwright's default 5 s.
expect.set_options(timeout=15_000)

# What Chromium refused under the Content-Security-Policy during the current test.
CSP_VIOLATIONS: list[str] = []


def _record_csp_violations(context: Any) -> Any:
    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(message.text)

    context.on("console", on_console)
    return context


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """Every browser test also checks that the pages broke none of their own policy."""
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == []


def chromium_path() -> str | None:
    return (
        os.environ.get("CHAT_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        missing_service("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_service("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        new_context = browser.new_context
        browser.new_context = lambda *args, **kwargs: _record_csp_violations(
            new_context(*args, **kwargs)
        )
        yield browser
        browser.close()


@pytest.fixture
def rooms(browser: Any, live_server: LiveServer) -> Iterator[Callable]:
    """Open a session's room as someone, in their own browser context (London time,
    British English); the test fails on any script error in any of the pages."""
    contexts = []
    errors: list[str] = []

    def open_as(email: str, session: int, **options: Any) -> Any:
        context = browser.new_context(timezone_id="Europe/London", locale="en-GB", **options)
        contexts.append(context)
        page = sign_in(context, live_server, email)
        page.on("pageerror", lambda exc: errors.append(f"{email}: {exc}"))
        page.goto(f"{live_server.url}/sessions/{session}")
        expect(page.get_by_role("log", name="Chat")).to_be_visible()
        expect(page.locator("#connection")).to_have_text("")
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert errors == []


@pytest.fixture
def open_room(rooms: Callable, session_id: int) -> Callable:
    """Open the room of the test module's `session_id` fixture as someone."""
    return lambda email, **options: rooms(email, session_id, **options)
