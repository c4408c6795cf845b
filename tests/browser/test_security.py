"""The Content-Security-Policy holds in a real browser: injected inline script never runs,
while the app's own scripts and its WebSocket are allowed (every other browser test fails
on any policy violation, so the app itself must break none)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import conftest, helpers
from tests.conftest import LiveServer
from tests.live_setup import create_session, register_users

pytestmark = pytest.mark.browser


def test_injected_inline_script_is_refused_and_reported(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.injected = true";
                document.body.append(script);
                const link = document.createElement("a");
                link.href = "javascript:window.clicked = true";
                link.textContent = "bait";
                document.body.append(link);
                link.click();
            }"""
        )
        expect(page.get_by_text("bait")).to_be_visible()
        assert page.evaluate("() => [window.injected, window.clicked]") == [None, None]
        for _ in range(100):  # the console reports arrive as events: wait for them
            if len(conftest.CSP_VIOLATIONS) >= 2:
                break
            page.wait_for_timeout(50)
    finally:
        context.close()
    refused = list(conftest.CSP_VIOLATIONS)
    conftest.CSP_VIOLATIONS.clear()  # expected here; any other test fails on one
    assert len(refused) >= 2 and all("script-src" in text for text in refused), refused


def test_hostile_messages_show_as_text_and_never_run(browser: Any, live_server: LiveServer) -> None:
    hostile = (
        '<script>window.pwned=1</script> <img src=x onerror="window.pwned=1"> '
        '<a href="javascript:window.pwned=1">click me</a>'
    )
    register_users(
        live_server,
        ("olu@example.org", "Olu", "", True),
        ("ana@example.org", "Ana", "", False),
        ("ben@example.org", '<b onmouseover="window.pwned=1">Ben</b>', "", False),
    )
    session_id = create_session(live_server, "Safe text")
    pages = []
    try:
        for email in ("ana@example.org", "ben@example.org"):
            context = browser.new_context()
            page = helpers.sign_in(context, live_server, email)
            page.goto(f"{live_server.url}/sessions/{session_id}")
            pages.append(page)
        ana, ben = pages
        helpers.send(ben, hostile)
        shown = helpers.message(ana, "click me")
        expect(shown).to_contain_text(hostile)
        expect(shown).to_contain_text('<b onmouseover="window.pwned=1">Ben</b>')
        assert shown.locator("img, a[href^='javascript'], b, script").count() == 0
        shown.hover()
        assert ana.evaluate("() => window.pwned") is None
    finally:
        for page in pages:
            page.context.close()
