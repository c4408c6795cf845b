"""Moderating the room in the browser: a facilitator removes a message with a reason and
restores it, an author edits within the window, sensitive messages collapse for members,
and a mute is lifted from the staff's list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ANA,
    BEN,
    MAYA,
    message,
    register_cast,
    send,
)
from tests.conftest import LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    register_cast(live_server)
    return create_session(live_server, "Working with endings", MAYA)


def in_log(page: Any, text: str) -> Any:
    """The chat message that shows `text` anywhere (its body, or its tombstone)."""
    return page.get_by_role("log", name="Chat").get_by_role("listitem").filter(has_text=text)


def test_a_facilitator_removes_a_message_with_a_reason_and_restores_it(
    open_room: Callable,
) -> None:
    ana, ben, maya = open_room(ANA), open_room(BEN), open_room(MAYA)
    send(ana, "Frankly, supervision is a waste of time")
    expect(message(ben, "Frankly, supervision")).to_be_visible()
    # members have no moderation buttons on others' messages
    expect(
        message(ben, "Frankly, supervision").get_by_role("button", name="Moderate…")
    ).to_have_count(0)

    message(maya, "Frankly, supervision").get_by_role("button", name="Moderate…").click()
    dialog = maya.get_by_role("dialog", name="Moderate Ana's message")
    expect(dialog.get_by_label("Remove this message", exact=False)).to_be_checked()
    dialog.get_by_label("Reason (the member is told it)").fill("Please keep it respectful")
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_be_hidden()

    for page in (ana, ben, maya):
        expect(in_log(page, "Removed by a moderator")).to_have_count(1)
        expect(page.get_by_text("Frankly, supervision")).to_have_count(0)
    expect(
        ana.get_by_role("status").filter(has_text="A moderator removed your message")
    ).to_have_text("A moderator removed your message: Please keep it respectful")
    expect(
        in_log(ben, "Removed by a moderator").get_by_role("button", name="Restore")
    ).to_have_count(0)

    in_log(maya, "Removed by a moderator").get_by_role("button", name="Restore").click()
    for page in (ana, ben):
        expect(message(page, "Frankly, supervision")).to_be_visible()
    expect(ana.locator("#moderation-notice")).to_have_text("A moderator restored your message.")


def test_an_author_edits_within_the_window_and_it_shows_as_edited(open_room: Callable) -> None:
    ana, ben = open_room(ANA), open_room(BEN)
    send(ana, "Endigns stir up my own losses")
    mine = message(ana, "Endigns")
    expect(message(ben, "Endigns").get_by_role("button", name="Edit")).to_have_count(0)

    mine.get_by_role("button", name="Edit").click()
    box = ana.get_by_label("Edit your message")
    box.fill("Changed my mind")
    box.press("Escape")  # cancels: nothing changes
    expect(ana.get_by_label("Edit your message")).to_have_count(0)
    expect(message(ana, "Endigns")).to_be_visible()

    message(ana, "Endigns").get_by_role("button", name="Edit").click()
    ana.get_by_label("Edit your message").fill("Endings stir up my own losses")
    ana.get_by_role("button", name="Save").click()
    for page in (ana, ben):
        edited = message(page, "Endings stir up")
        expect(edited).to_be_visible()
        expect(edited.locator(".edited-mark")).to_have_text("(edited)")


def test_members_collapse_and_open_a_message_marked_sensitive(open_room: Callable) -> None:
    ana, ben, maya = open_room(ANA), open_room(BEN), open_room(MAYA)
    send(ana, "My father died when I was training")
    message(maya, "My father died").get_by_role("button", name="Mark sensitive").click()

    item = in_log(ben, "Sensitive content — marked by the facilitator.")
    show = item.get_by_role("button", name="Show")
    expect(show).to_have_attribute("aria-expanded", "false")
    expect(ben.get_by_text("My father died")).to_be_hidden()
    show.click()
    hide = item.get_by_role("button", name="Hide")
    expect(hide).to_have_attribute("aria-expanded", "true")
    expect(ben.get_by_text("My father died")).to_be_visible()
    hide.click()
    expect(ben.get_by_text("My father died")).to_be_hidden()
    # staff see it open, with a marker; the author is told
    expect(in_log(maya, "Marked sensitive").get_by_text("My father died")).to_be_visible()
    expect(ana.locator("#moderation-notice")).to_contain_text("marked your message as sensitive")
    message(maya, "My father died").get_by_role("button", name="Unmark sensitive").click()
    expect(ben.get_by_text("My father died")).to_be_visible()


def test_a_muted_member_is_told_and_a_facilitator_lifts_the_mute(open_room: Callable) -> None:
    ben, maya = open_room(BEN), open_room(MAYA)
    send(ben, "You are all wrong about this")
    message(maya, "all wrong").get_by_role("button", name="Moderate…").click()
    dialog = maya.get_by_role("dialog", name="Moderate Ben's message")
    dialog.get_by_label("Mute Ben for 10 minutes").check()
    dialog.get_by_label("Reason (the member is told it)").fill("Please take a breather")
    dialog.get_by_role("button", name="Confirm").click()

    notice = ben.locator("#moderation-notice")
    expect(notice).to_contain_text("You are muted in this session until")
    expect(notice).to_contain_text("Please take a breather")
    send(ben, "Let me speak")
    expect(message(ben, "Let me speak")).to_contain_text("Not sent: A moderator muted you")

    listed = maya.get_by_role("region", name="Muted and removed members")
    expect(listed).to_contain_text("Ben muted until")
    listed.get_by_role("button", name="Unmute Ben").click()
    expect(notice).to_have_text("Your mute was lifted: you can write again.")
    expect(listed).to_be_hidden()
    message(ben, "Let me speak").get_by_role("button", name="Retry").click()
    expect(message(maya, "Let me speak")).to_be_visible()
