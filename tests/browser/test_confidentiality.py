"""The confidentiality guard as a writer meets it: a calm question before something that
may identify a client is sent, the choice to edit or send anyway, and a note afterwards
when the check could not run (offline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from chat.models import Message
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

IDENTIFYING = "My client Sarah, a 34-year-old teacher from Leeds"


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    register_cast(live_server)
    return create_session(live_server, "Confidentiality in supervision", MAYA)


@pytest.fixture
def open_room(rooms: Callable, session_id: int) -> Callable:
    """Open the room as someone once it has joined (the check needs the connection)."""

    def open_as(email: str) -> Any:
        page = rooms(email, session_id)
        expect(page.locator("#chat-empty")).to_be_visible()
        return page

    return open_as


def stored_messages(server: LiveServer) -> int:
    with server.database() as db:
        return db.scalar(select(func.count()).select_from(Message)) or 0


def selected_text(page: Any) -> str:
    return page.get_by_label("Your message").evaluate(
        "(box) => box.value.substring(box.selectionStart, box.selectionEnd)"
    )


def test_the_writer_is_asked_first_and_chooses_to_edit_or_send_anyway(
    open_room: Callable, live_server: LiveServer
) -> None:
    ana, ben = open_room(ANA), open_room(BEN)
    box = ana.get_by_label("Your message")
    box.fill(IDENTIFYING)
    box.press("Enter")

    prompt = ana.get_by_role("alertdialog", name="This may identify a client")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("an age ('34-year-old')")
    expect(prompt).to_contain_text("Edit it, or send anyway?")
    expect(prompt.get_by_role("button", name="Edit message")).to_be_focused()

    prompt.get_by_role("button", name="Edit message").click()
    expect(prompt).to_be_hidden()
    expect(box).to_be_focused()
    expect(box).to_have_value(IDENTIFYING)
    assert selected_text(ana) == "Sarah"  # the first words found, ready to change
    assert stored_messages(live_server) == 0
    expect(message(ana, IDENTIFYING)).to_have_count(0)

    box.press("Enter")  # unchanged: asked again
    expect(prompt).to_be_visible()
    prompt.get_by_role("button", name="Send anyway").click()
    expect(box).to_have_value("")
    expect(message(ben, IDENTIFYING)).to_have_count(1)
    send(ana, "Thanks for holding that.")
    expect(message(ben, "Thanks for holding that.")).to_be_visible()
    for page in (ana, ben):
        expect(message(page, IDENTIFYING)).to_have_count(1)
    # Sent after the check: no warning afterwards.
    expect(ana.locator("#composer .guard-note-text")).to_have_text("")
    assert stored_messages(live_server) == 2


def test_clean_text_is_sent_without_a_question(open_room: Callable) -> None:
    ana, ben = open_room(ANA), open_room(BEN)
    send(ana, "A client once told me it helped to write letters.")
    expect(message(ben, "A client once told me it helped to write letters.")).to_be_visible()
    expect(ana.get_by_role("alertdialog")).to_have_count(0)


def test_typing_on_while_asked_drops_the_question_and_sends_nothing(
    open_room: Callable, live_server: LiveServer
) -> None:
    ana = open_room(ANA)
    box = ana.get_by_label("Your message")
    box.fill(IDENTIFYING)
    box.press("Enter")
    prompt = ana.get_by_role("alertdialog", name="This may identify a client")
    expect(prompt).to_be_visible()
    box.press_sequentially(" (details changed)")
    expect(prompt).to_be_hidden()
    expect(box).to_have_value(f"{IDENTIFYING} (details changed)")
    assert stored_messages(live_server) == 0


def test_written_offline_it_is_sent_unchecked_and_the_server_warns(
    open_room: Callable,
) -> None:
    ana, ben = open_room(ANA), open_room(BEN)
    ana.evaluate("() => window.chatSocket.disconnect()")
    expect(ana.locator("#connection")).to_contain_text("Connection lost")
    send(ana, IDENTIFYING)  # no check possible: it waits in the outbox
    expect(ana.get_by_role("alertdialog")).to_have_count(0)
    ana.evaluate("() => window.chatSocket.connect()")
    expect(message(ben, IDENTIFYING)).to_have_count(1)
    note = ana.get_by_role("status").filter(has_text="may identify a client")
    expect(note).to_contain_text("Your message was sent, but it may identify a client")
    expect(note).to_contain_text("what looks like a name ('Sarah')")
    ana.get_by_role("button", name="Dismiss").click()
    expect(ana.locator("#composer .guard-note-text")).to_have_text("")


def test_a_question_is_checked_the_same_way(open_room: Callable) -> None:
    ana, maya = open_room(ANA), open_room(MAYA)
    form = ana.get_by_role("region", name="Questions from the room")
    asked = "How do I work with my client Priya who is a nurse?"
    form.get_by_label("Your question").fill(asked)
    form.get_by_role("button", name="Ask", exact=True).click()
    prompt = form.get_by_role("alertdialog", name="This may identify a client")
    expect(prompt).to_contain_text("an occupation ('nurse')")
    prompt.get_by_role("button", name="Send anyway").click()
    expect(form.get_by_label("Your question")).to_have_value("")
    expect(maya.locator(".qa-item", has_text=asked)).to_have_count(1)
