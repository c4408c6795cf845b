"""Catching up without being overwhelmed: pausing live updates, the "N new messages" button
when paused or scrolled up, and filters for prompts, mentions and one question."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ANA,
    BEN,
    CAL,
    MAYA,
    add_prompts,
    message,
    messages_in,
    register_cast,
    seed_messages,
    send,
)
from tests.conftest import LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

Q1 = "What first drew you to this work?"
PAUSE = "Pause live updates"
# Whether the chat log shows its newest message (as room.js judges it).
AT_BOTTOM = "el => el.scrollHeight - el.scrollTop - el.clientHeight < 80"


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    register_cast(live_server)
    found = create_session(live_server, "Working with endings", MAYA)
    add_prompts(live_server, found, [Q1])
    return found


def bodies(page: Any) -> Any:
    return messages_in(page).locator(".msg-body")


def jump(page: Any, count: int) -> Any:
    """The "N new messages" button, by its accessible name."""
    noun, them = ("message", "it") if count == 1 else ("messages", "them")
    return page.get_by_role("button", name=f"{count} new {noun} — show {them}", exact=True)


# Whether a message shows inside the chat log's scrolled view (the log itself may be below
# the page's fold, so Playwright's viewport checks do not answer this).
IN_LOG_VIEW = """li => {
  const box = li.getBoundingClientRect();
  const view = document.getElementById("chat-log").getBoundingClientRect();
  return box.bottom > view.top && box.top < view.bottom;
}"""


def wait_in_log_view(item: Any) -> None:
    """Wait until the message is scrolled into the log's view (scrolling may be smooth)."""
    item.page.wait_for_function(IN_LOG_VIEW, arg=item.element_handle())


def status(page: Any) -> Any:
    return page.locator("#chat-status")


def test_paused_messages_wait_until_the_reader_shows_them(open_room: Callable) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    send(ben, "Before the pause.")
    expect(bodies(ana)).to_have_text(["Before the pause."])
    # the tools are there before any prompt is posted
    expect(ana.get_by_label("Show")).to_be_visible()

    toggle = ana.get_by_role("button", name=PAUSE, exact=True)
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(ana.get_by_text("Live updates are paused.")).to_be_visible()
    for n in (1, 2, 3):
        send(ben, f"While paused {n}.")
    expect(jump(ana, 3)).to_be_visible()
    expect(ana.get_by_text("Live updates are paused.")).to_be_hidden()
    expect(bodies(ana)).to_have_text(["Before the pause."])  # received, not shown

    jump(ana, 3).click()
    expected = ["Before the pause.", "While paused 1.", "While paused 2.", "While paused 3."]
    expect(bodies(ana)).to_have_text(expected)
    expect(status(ana)).to_have_text("Showing 3 new messages.")
    expect(ana.locator(".catch-up-jump")).to_be_hidden()
    expect(ana.locator("#chat-log")).to_be_focused()
    wait_in_log_view(message(ana, "While paused 3."))
    # showing them leaves the pause on: the reader sets the pace
    expect(toggle).to_have_attribute("aria-pressed", "true")

    # a held message that is deleted stops counting and never shows
    send(ben, "Later 1.")
    send(ben, "Later 2, regretted.")
    expect(jump(ana, 2)).to_be_visible()
    ben.once("dialog", lambda dialog: dialog.accept())
    message(ben, "Later 2, regretted.").get_by_role("button", name="Delete").click()
    expect(jump(ana, 1)).to_be_visible()
    # a visible message deleted while paused goes at once (it does not move the view)
    ben.once("dialog", lambda dialog: dialog.accept())
    message(ben, "While paused 1.").get_by_role("button", name="Delete").click()
    expect(message(ana, "While paused 1.")).to_have_count(0)

    toggle.click()  # resume
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expected = ["Before the pause.", "While paused 2.", "While paused 3.", "Later 1."]
    expect(bodies(ana)).to_have_text(expected)
    expect(status(ana)).to_have_text("Live updates resumed. Showing 1 new message.")
    expect(ana.locator(".catch-up-bar")).to_be_hidden()

    # live again: the next message simply appears, once
    send(ben, "Back to normal.")
    expect(bodies(ana)).to_have_text([*expected, "Back to normal."])


def test_the_catch_up_controls_work_by_keyboard(open_room: Callable) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    toggle = ana.get_by_role("button", name=PAUSE, exact=True)
    toggle.focus()
    ana.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    send(ben, "Held for the keyboard.")
    expect(jump(ana, 1)).to_be_visible()
    jump(ana, 1).focus()
    ana.keyboard.press("Space")
    expect(bodies(ana)).to_have_text(["Held for the keyboard."])
    expect(ana.locator("#chat-log")).to_be_focused()

    send(ben, "Held again.")
    expect(jump(ana, 1)).to_be_visible()
    jump(ana, 1).focus()
    ana.keyboard.press("Enter")
    expect(bodies(ana)).to_have_text(["Held for the keyboard.", "Held again."])

    toggle.focus()
    ana.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(toggle).to_be_focused()  # a toggle keeps focus


def test_sending_while_paused_resumes_and_shows_what_waited(open_room: Callable) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    toggle = ana.get_by_role("button", name=PAUSE, exact=True)
    toggle.click()
    send(ben, "A thought from Ben.")
    expect(jump(ana, 1)).to_be_visible()

    send(ana, "And one from Ana.")
    expect(bodies(ana)).to_have_text(["A thought from Ben.", "And one from Ana."])
    expect(message(ana, "And one from Ana.")).to_have_attribute("data-status", "sent")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(ana.locator(".catch-up-bar")).to_be_hidden()
    expect(bodies(ben)).to_have_text(["A thought from Ben.", "And one from Ana."])


def test_scrolling_up_counts_new_messages_without_moving_the_view(
    open_room: Callable, live_server: LiveServer, session_id: int
) -> None:
    seed_messages(live_server, session_id, CAL, [f"Earlier thought {n}" for n in range(1, 41)])
    # reduced motion: the jump is instant, so it is at the bottom in the same moment
    ana = open_room(ANA, reduced_motion="reduce")
    ben = open_room(BEN)
    log = ana.locator("#chat-log")
    expect(bodies(ana)).to_have_count(40)
    assert log.evaluate(AT_BOTTOM)
    log.evaluate("el => { el.scrollTop = 0; }")

    send(ben, "New while Ana reads back.")
    expect(jump(ana, 1)).to_be_visible()
    assert log.evaluate("el => el.scrollTop") == 0  # the view did not move
    assert not message(ana, "New while Ana reads back.").evaluate(IN_LOG_VIEW)

    assert jump(ana, 1).evaluate(
        f"b => {{ b.click(); return ({AT_BOTTOM})(document.getElementById('chat-log')); }}"
    )
    assert message(ana, "New while Ana reads back.").evaluate(IN_LOG_VIEW)
    expect(ana.locator(".catch-up-bar")).to_be_hidden()

    # scrolling back down by hand clears the count too
    log.evaluate("el => { el.scrollTop = 0; }")
    send(ben, "One more.")
    send(ben, "And another.")
    expect(jump(ana, 2)).to_be_visible()
    log.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(ana.locator(".catch-up-bar")).to_be_hidden()
    # at the bottom, new messages keep the view at the newest, with no button
    send(ben, "Following along.")
    expect(message(ana, "Following along.")).to_be_visible()
    wait_in_log_view(message(ana, "Following along."))
    expect(ana.locator(".catch-up-bar")).to_be_hidden()


def test_filters_show_prompts_and_announcements_or_mentions_of_me(
    open_room: Callable, live_server: LiveServer, session_id: int
) -> None:
    # an early mention, then more than a page of history after it
    seed_messages(live_server, session_id, BEN, ["@Ana an early hello."])
    seed_messages(live_server, session_id, CAL, [f"Chatter {n}" for n in range(1, 106)])
    maya = open_room(MAYA)
    panel = maya.get_by_role("region", name="Facilitator panel")
    panel.get_by_role("button", name=f"Post next: {Q1}").click()
    expect(message(maya, Q1)).to_be_visible()
    panel.get_by_label("Announcement").fill("Please keep client details out of the chat.")
    panel.get_by_role("button", name="Post announcement").click()
    expect(message(maya, "keep client details out")).to_be_visible()

    ana = open_room(ANA)
    ben = open_room(BEN)
    send(ben, "@Ana what do you think?")
    send(ben, "Hello @Anabel, not Ana.")
    send(ben, "@ana, lower case works too.")
    expect(message(ana, "lower case works")).to_be_visible()
    show = ana.get_by_label("Show")
    expect(show.locator("option")).to_have_text(
        ["All messages", "Prompts and announcements", "Mentions of me", "Q1 and its answers"]
    )

    show.select_option(label="Mentions of me")
    mentioned = ["@Ana an early hello.", "@Ana what do you think?", "@ana, lower case works too."]
    expect(bodies(ana)).to_have_text(mentioned)
    expect(status(ana)).to_have_text("Showing mentions of you: 3 messages.")
    send(ben, "Thanks @Ana!")  # arrives while the filter is on
    send(ben, "Not a mention at all.")
    expect(message(ben, "Not a mention at all.")).to_have_attribute("data-status", "sent")
    expect(bodies(ana)).to_have_text([*mentioned, "Thanks @Ana!"])

    show.select_option(label="Prompts and announcements")
    expect(bodies(ana)).to_have_text([Q1, "Please keep client details out of the chat."])
    expect(status(ana)).to_have_text("Showing prompts and announcements: 2 messages.")

    show.select_option(label="All messages")
    expect(bodies(ana)).to_have_count(1 + 105 + 2 + 5)
    expect(status(ana)).to_have_text("Showing all messages.")

    # nobody has mentioned Ben: the filter says so
    ben.get_by_label("Show").select_option(label="Mentions of me")
    expect(ben.locator("#filter-empty")).to_have_text("No mentions of you yet.")
    expect(status(ben)).to_have_text("Showing mentions of you: 0 messages.")
    expect(messages_in(ben)).to_have_count(0)


def test_a_pause_across_a_reconnect_loses_and_repeats_nothing(open_room: Callable) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    send(ben, "Before.")
    expect(bodies(ana)).to_have_text(["Before."])
    toggle = ana.get_by_role("button", name=PAUSE, exact=True)
    toggle.click()
    send(ben, "Live while paused.")
    expect(jump(ana, 1)).to_be_visible()

    ana.evaluate("() => window.chatSocket.disconnect()")
    expect(ana.locator("#connection")).to_contain_text("Connection lost")
    send(ben, "Missed 1.")
    send(ben, "Missed 2.")
    ana.evaluate("() => window.chatSocket.connect()")
    expect(ana.locator("#connection")).to_have_text("")
    expect(jump(ana, 3)).to_be_visible()  # what the rejoin caught up waits too
    expect(bodies(ana)).to_have_text(["Before."])
    send(ben, "After the reconnect.")
    expect(jump(ana, 4)).to_be_visible()

    toggle.click()
    expected = ["Before.", "Live while paused.", "Missed 1.", "Missed 2.", "After the reconnect."]
    expect(bodies(ana)).to_have_text(expected)
    send(ben, "Last one.")
    expect(bodies(ana)).to_have_text([*expected, "Last one."])
    expect(ana.locator("li.msg")).to_have_count(len(expected) + 1)
