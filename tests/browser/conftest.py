"""Playwright driving Debian's Chromium; skipped on a laptop without it, failed in CI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import missing_service

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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
