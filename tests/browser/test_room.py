"""Chatting in a session's room, as people do it: two browsers, a flaky connection, an end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.live_setup import create_session, register_users

pytestmark = pytest.mark.browser

ANA = "ana@example.org"
BEN = "ben@example.org"
OLU = "olu@example.org"


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    """A session starting in a minute: its lobby is open, so people can already chat."""
    register_users(
        live_server,
        (OLU, "Olu", "", True),
        (ANA, "Ana", "she/her", False),
        (BEN, "Ben", "", False),
    )
    return create_session(live_server, "Working with endings")


def messages(page: Any) -> Any:
    return page.get_by_role("log", name="Chat").get_by_role("listitem")


def message(page: Any, text: str) -> Any:
    return messages(page).filter(has=page.locator(".msg-body", has_text=text))


def send(page: Any, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def test_members_chat_in_plain_text_with_clickable_links(open_room: Callable) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    expect(ana.locator("#presence-count")).to_have_text("2")

    box = ana.get_by_label("Your message")
    box.fill("Notes from today: https://example.org/endings?part=2.")
    box.press("Shift+Enter")  # a new line, not a send
    box.press_sequentially("Second line <b>not bold</b>")
    expect(ana.locator("#composer-counter")).to_have_text("81 / 2,000")
    box.press("Enter")
    expect(box).to_have_value("")

    seen = message(ben, "Notes from today")
    expect(seen).to_have_count(1)
    expect(seen.locator(".msg-author")).to_have_text("Ana")
    expect(seen.locator(".msg-pronouns")).to_have_text("(she/her)")
    expect(seen.locator(".role-badge")).to_have_count(0)  # members carry no badge
    link = seen.get_by_role("link", name="https://example.org/endings?part=2")
    expect(link).to_have_attribute("href", "https://example.org/endings?part=2")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow ugc")
    # the markup is shown as the characters that were typed, never interpreted
    expect(seen.get_by_text("<b>not bold</b>")).to_be_visible()
    expect(seen.locator("b")).to_have_count(0)
    # the line break survives into what is rendered
    assert seen.locator(".msg-body").inner_text() == (
        "Notes from today: https://example.org/endings?part=2.\nSecond line <b>not bold</b>"
    )

    mine = message(ana, "Notes from today")
    expect(mine).to_have_attribute("data-status", "sent")
    expect(mine.get_by_text("Sending…")).to_have_count(0)

    # a later message arrives after it: neither side ever shows the first one twice
    send(ben, "Thanks, Ana.")
    for page in (ana, ben):
        expect(messages(page).locator(".msg-body")).to_have_text(
            [
                "Notes from today: https://example.org/endings?part=2. Second line <b>not bold</b>",
                "Thanks, Ana.",
            ]
        )


def test_replying_and_reacting(open_room: Callable) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    send(ana, "Endings stir up my own losses.")

    original = message(ben, "Endings stir up my own losses.")
    original.get_by_role("button", name="Reply").click()
    expect(ben.get_by_text("Replying to Ana: Endings stir up my own losses.")).to_be_visible()
    send(ben, "Same for me, especially with long-term clients.")

    reply = message(ana, "Same for me")
    expect(reply.locator(".msg-reply")).to_have_text(
        "In reply to Ana: Endings stir up my own losses."
    )
    expect(reply.locator(".msg-author")).to_have_text("Ben")

    heart = reply.get_by_role("button", name="Heart")
    expect(heart).to_have_attribute("aria-pressed", "false")
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "true")
    bens_heart = message(ben, "Same for me").get_by_role("button", name="Heart")
    expect(bens_heart).to_have_accessible_name("Heart 1")
    expect(bens_heart).to_have_attribute("aria-pressed", "false")  # it is Ana's reaction
    ana.reload()  # a first join again: each message comes with its counts
    heart = message(ana, "Same for me").get_by_role("button", name="Heart")
    expect(heart).to_have_accessible_name("Heart 1")
    expect(heart).to_have_attribute("aria-pressed", "true")

    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "false")
    expect(bens_heart).to_have_attribute("data-count", "0")
    expect(bens_heart).to_have_accessible_name("Heart")


def test_messages_written_offline_are_sent_once_in_order(open_room: Callable) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    expect(ana.locator("#presence-count")).to_have_text("2")

    ana.evaluate("() => window.chatSocket.disconnect()")
    expect(ana.locator("#connection")).to_contain_text("Connection lost")
    expect(ben.locator("#presence-count")).to_have_text("1")
    send(ana, "First thought, on a train.")
    send(ana, "Second thought, still in the tunnel.")
    pending = messages(ana)
    expect(pending).to_have_count(2)
    for item in (pending.nth(0), pending.nth(1)):
        expect(item).to_have_attribute("data-status", "sending")
        expect(item.get_by_text("Sending…")).to_be_visible()
    send(ben, "Meanwhile, welcome everyone.")

    ana.evaluate("() => window.chatSocket.connect()")
    expected = [
        "Meanwhile, welcome everyone.",
        "First thought, on a train.",
        "Second thought, still in the tunnel.",
    ]
    expect(messages(ana).locator(".msg-body")).to_have_text(expected)
    for item in messages(ana).all():
        expect(item).to_have_attribute("data-status", "sent")
    expect(ana.locator("#connection")).to_have_text("")

    # a message after the resends shows that nothing was duplicated on either side
    send(ben, "Good to have you back.")
    for page in (ana, ben):
        expect(messages(page).locator(".msg-body")).to_have_text(
            [*expected, "Good to have you back."]
        )


def test_ending_the_session_makes_the_room_read_only(open_room: Callable) -> None:
    ben = open_room(BEN)
    olu = open_room(OLU)
    send(olu, "Welcome, the room is open.")
    welcome = message(ben, "Welcome, the room is open.")
    expect(welcome.locator(".role-badge")).to_have_text("Organiser")
    expect(ben.get_by_label("Your message")).to_be_editable()
    ben.evaluate("() => (window.__notReloaded = true)")

    olu.once("dialog", lambda dialog: dialog.accept())  # "End the session for everyone now?"
    olu.get_by_role("button", name="End session").click()

    expect(ben.get_by_text("This session has ended. The room is read-only.")).to_be_visible()
    expect(ben.get_by_label("Your message")).to_be_hidden()
    expect(welcome.get_by_role("button", name="Reply")).to_be_disabled()
    expect(welcome.get_by_role("button", name="Heart")).to_be_disabled()
    expect(welcome).to_be_visible()  # the conversation stays readable
    assert ben.evaluate("() => window.__notReloaded") is True


def test_members_delete_their_own_messages_for_everyone(open_room: Callable) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    send(ana, "Oops, wrong room.")
    send(ana, "Hello everyone!")
    oops = message(ben, "Oops, wrong room.")
    expect(oops).to_be_visible()
    # members cannot delete what others wrote
    expect(oops.get_by_role("button", name="Delete")).to_be_hidden()

    ana.once("dialog", lambda dialog: dialog.accept())
    message(ana, "Oops, wrong room.").get_by_role("button", name="Delete").click()

    expect(messages(ben).locator(".msg-body")).to_have_text(["Hello everyone!"])
    expect(messages(ana).locator(".msg-body")).to_have_text(["Hello everyone!"])
