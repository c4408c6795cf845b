"""The Content-Security-Policy holds in a real browser: injected inline script never runs,
while the app's own scripts and its WebSocket are allowed (every other browser test fails
on any policy violation, so the app itself must break none)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import conftest
from tests.conftest import LiveServer

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
