"""The network drops for real (the browser context goes offline): a message written
meanwhile waits, and is sent exactly once when the connection comes back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ANA,
    BEN,
    message,
    messages_in,
    register_cast,
    send,
)
from tests.conftest import LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

OFFLINE_LINE = "Written in a tunnel, sent when the train came out."


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    register_cast(live_server)
    return create_session(live_server, "Working with endings")


def test_a_message_written_offline_is_sent_once_back_online(open_room: Callable) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    send(ben, "Hello, is anyone else here?")
    expect(message(ana, "anyone else here")).to_be_visible()

    ana.context.set_offline(True)
    expect(ana.locator("#connection")).to_contain_text("Connection lost")
    send(ana, OFFLINE_LINE)
    waiting = message(ana, OFFLINE_LINE)
    expect(waiting).to_have_attribute("data-status", "sending")
    expect(waiting.get_by_text("Sending…")).to_be_visible()
    expect(message(ben, OFFLINE_LINE)).to_have_count(0)

    ana.context.set_offline(False)
    expect(ana.locator("#connection")).to_have_text("")
    expect(waiting).to_have_attribute("data-status", "sent")
    # Ben writes after the resend: when his line arrives, anything doubled would be there
    send(ben, "Welcome back, Ana.")
    expected = ["Hello, is anyone else here?", OFFLINE_LINE, "Welcome back, Ana."]
    for page in (ana, ben):
        expect(messages_in(page).locator(".msg-body")).to_have_text(expected)
