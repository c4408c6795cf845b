"""@mentions: names suggested as someone types "@", picked by keyboard or pointer without
sending the message, and the message marked on the page of the person it mentions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ANA,
    BEN,
    CAL,
    MAYA,
    message,
    messages_in,
    register_cast,
    seed_messages,
)
from tests.conftest import LiveServer
from tests.live_setup import create_session, register_users

pytestmark = pytest.mark.browser

BEA = "bea@example.org"
MENTIONS_ME = re.compile(r"\bmsg-mentions-me\b")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module: every test here only adds messages to one session."""
    server = LiveServer(Path(tmp_path_factory.mktemp("mentions"))).start()
    register_cast(server)
    register_users(server, (BEA, "Bea Rowe", "", False))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def session_id(live_server: LiveServer) -> int:
    """Open for chat all module long (its lobby opened, it is not live yet); Ben wrote,
    then Bea, so Bea is the latest voice in the room."""
    found = create_session(
        live_server, "Working with endings", MAYA, starts_in=timedelta(minutes=10)
    )
    seed_messages(live_server, found, BEN, ["Evening all, Ben from Bristol."])
    seed_messages(live_server, found, BEA, ["Hello, Bea here."])
    return found


def composer(page: Any) -> Any:
    return page.get_by_label("Your message")


def suggestions(page: Any) -> Any:
    return page.get_by_role("listbox", name="People to mention")


def test_arrow_keys_and_enter_pick_a_name_without_sending(open_room: Callable) -> None:
    ana = open_room(ANA)
    box = composer(ana)
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_attribute("aria-autocomplete", "list")
    expect(box).to_have_attribute("aria-controls", "composer-input-mentions")
    expect(message(ana, "Hello, Bea here.")).to_have_count(1)
    before = messages_in(ana).count()

    box.press_sequentially("Thank you @b")
    options = suggestions(ana).get_by_role("option")
    expect(options).to_have_text(["Bea Rowe", "Ben"])  # the latest to speak first
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(ana.get_by_role("status").filter(has_text="2 suggestions")).to_have_count(1)
    first, second = options.nth(0), options.nth(1)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id") or "")

    box.press("ArrowDown")
    expect(second).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    expect(box).to_have_attribute("aria-activedescendant", second.get_attribute("id") or "")
    box.press("Enter")
    expect(box).to_have_value("Thank you @Ben ")  # picked, and the caret after it
    expect(suggestions(ana)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))
    expect(messages_in(ana)).to_have_count(before)  # Enter picked the name, sent nothing

    box.press_sequentially("for the welcome.")
    box.press("Enter")
    expect(box).to_have_value("")
    expect(message(ana, "Thank you @Ben for the welcome.")).to_have_count(1)


def test_a_mention_is_marked_for_the_person_mentioned_only(open_room: Callable) -> None:
    ben = open_room(BEN)
    cal = open_room(CAL)
    ana = open_room(ANA)
    expect(message(ana, "Hello, Bea here.")).to_have_count(1)  # names come with the talk
    box = composer(ana)
    box.press_sequentially("@ben")
    expect(suggestions(ana).get_by_role("option")).to_have_text(["Ben"])
    box.press("Tab")  # Tab picks too
    expect(box).to_have_value("@Ben ")
    box.press_sequentially("how was the placement?")
    box.press("Enter")

    for_ben = message(ben, "@Ben how was the placement?")
    expect(for_ben).to_have_class(MENTIONS_ME)
    expect(for_ben.locator(".msg-meta")).to_contain_text("Mentions you")
    for_cal = message(cal, "@Ben how was the placement?")
    expect(for_cal).to_have_count(1)
    expect(for_cal).not_to_have_class(MENTIONS_ME)
    expect(message(ana, "@Ben how was the placement?")).not_to_have_class(MENTIONS_ME)


def test_escape_closes_and_a_click_picks(open_room: Callable) -> None:
    ana = open_room(ANA)
    expect(message(ana, "Hello, Bea here.")).to_have_count(1)
    box = composer(ana)
    box.press_sequentially("Over to @ma")  # Maya facilitates: named before she speaks
    expect(suggestions(ana).get_by_role("option")).to_have_text(["Maya"])
    box.press("Escape")
    expect(suggestions(ana)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("Over to @ma")

    box.fill("")
    box.press_sequentially("Thanks @ro")  # any word of a name: Bea Rowe
    suggestions(ana).get_by_role("option", name="Bea Rowe").click()
    expect(box).to_have_value("Thanks @Bea Rowe ")
    expect(box).to_be_focused()
    expect(suggestions(ana)).to_be_hidden()

    box.press_sequentially("and @bea r")  # a name with a space, typed in full
    expect(suggestions(ana).get_by_role("option")).to_have_text(["Bea Rowe"])
    box.press("Enter")
    expect(box).to_have_value("Thanks @Bea Rowe and @Bea Rowe ")
    box.fill("")

    box.press_sequentially("@an")  # Ana herself is never suggested
    expect(suggestions(ana)).to_be_hidden()
    box.fill("")
