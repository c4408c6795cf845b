"""Flood control as a member meets it: a message past the burst waits and goes by itself;
the same text twice is held back for the writer to edit or discard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import message, send, sign_in
from tests.conftest import LiveServer
from tests.live_setup import create_session, register_users

pytestmark = pytest.mark.browser

ANA = "ana@example.org"


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The server with the default flood limits (5 messages, one back every 2 seconds)."""
    server = LiveServer(tmp_path, {"CHAT_MESSAGE_BURST": "5"}).start()
    yield server
    server.stop()


@pytest.fixture
def ana(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    register_users(live_server, ("olu@example.org", "Olu", "", True), (ANA, "Ana", "", False))
    session_id = create_session(live_server, "Working with endings")
    context = browser.new_context(timezone_id="Europe/London", locale="en-GB")
    page = sign_in(context, live_server, ANA)
    page.goto(f"{live_server.url}/sessions/{session_id}")
    expect(page.locator("#connection")).to_have_text("")
    yield page
    context.close()


def test_a_message_past_the_burst_waits_then_goes_by_itself(ana: Any) -> None:
    for n in range(1, 6):
        send(ana, f"Quick thought {n}.")
        expect(message(ana, f"Quick thought {n}.")).to_have_attribute("data-status", "sent")
    send(ana, "One thought too many.")
    held = message(ana, "One thought too many.")
    expect(held.locator(".msg-status")).to_contain_text(
        "Waiting a moment; it will be sent automatically."
    )
    expect(ana.locator("#composer-wait")).to_contain_text(
        "You are sending messages very quickly; please slow down."
    )
    expect(held).to_have_attribute("data-status", "sent", timeout=15_000)  # a bound, not a timing
    expect(ana.locator("#composer-wait")).to_be_hidden()


def test_the_same_text_twice_is_held_for_the_writer_to_decide(ana: Any) -> None:
    send(ana, "Same here!")
    expect(message(ana, "Same here!")).to_have_attribute("data-status", "sent")
    send(ana, "Same here!")
    repeat = message(ana, "Same here!").nth(1)
    expect(repeat).to_have_attribute("data-status", "failed")
    expect(repeat.locator(".msg-status")).to_contain_text("Not sent: You sent exactly this")
    ana.once("dialog", lambda dialog: dialog.accept())  # "Discard this unsent message?"
    repeat.get_by_role("button", name="Discard").click()
    expect(message(ana, "Same here!")).to_have_count(1)
