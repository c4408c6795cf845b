"""One clear room page, on a 360 px phone and on a desktop: the current prompt at the top,
the chat in the middle, the composer at the bottom; the questions, who is here and the
facilitator panel beside the chat, or one at a time under tabs on a phone; facilitator-only
controls that look like what they are; targets big enough to hit; focus never under the
sticky tabs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from chat.services import accounts, prompts, schedule
from tests.browser.helpers import (
    ANA,
    LOBBY_MINUTES,
    MAYA,
    add_prompts,
    message,
    register_cast,
    seed_messages,
)
from tests.conftest import LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

Q1 = "What first drew you to this work, and has that changed during your training?"
Q2 = "What does an ending stir up in you?"
HELLO = "Hello from Leeds, early as ever."
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
SIZES = {"phone": PHONE, "desktop": DESKTOP}

# Everything a person can press, type in or choose, as it is visible right now. Links in
# the middle of a sentence are exempt from the target size (WCAG 2.5.8, "inline").
TARGETS = """() => [...document.querySelectorAll(
    '#lobby :is(button, a[href], input:not([type="hidden"]), select, textarea, summary)'
  )].filter((el) => el.checkVisibility())
    .filter((el) => el.tagName !== 'A'
      || el.parentElement.textContent.trim() === el.textContent.trim())
    .map((el) => {
      const box = el.getBoundingClientRect();
      return { what: el.id || el.textContent.trim().slice(0, 30) || el.className,
               width: box.width, height: box.height };
    })
    .filter((t) => t.width < 24 || t.height < 24)"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module: every test here only looks, or uses its own session."""
    server = LiveServer(Path(tmp_path_factory.mktemp("layout"))).start()
    register_cast(server)
    yield server
    server.stop()


def live_room(server: LiveServer) -> int:
    """A session in its lobby with Q1 posted and a few messages from Ana; Q2 waits."""
    found = create_session(server, "Working with endings", MAYA)
    add_prompts(server, found, [Q1, Q2])
    with server.database() as db:
        session = schedule.get_session(db, found)
        maya = accounts.user_by_email(db, MAYA)
        prompts.post_prompt(db, maya, session, None, datetime.now(UTC), LOBBY_MINUTES)
    seed_messages(server, found, ANA, [f"Answer number {n}, a line or two." for n in range(8)])
    seed_messages(server, found, ANA, [HELLO])
    return found


@pytest.fixture(scope="module")
def session_id(live_server: LiveServer) -> int:
    return live_room(live_server)


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def tab(page: Any, name: str) -> Any:
    return page.get_by_role("tablist", name="Room").get_by_role("tab", name=name)


def show_chat(page: Any) -> None:
    """Scroll as a reader does to the chat: on a phone the header goes, the tabs stick."""
    page.locator("#pane-chat").evaluate("(pane) => pane.scrollIntoView()")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("email", [MAYA, ANA])
def test_prompt_at_the_top_composer_at_the_bottom_all_in_view(
    open_room: Callable, email: str, size: str
) -> None:
    page = open_room(email, **SIZES[size])
    banner = page.get_by_role("region", name=re.compile(r"^Current question"))
    expect(banner).to_contain_text(Q1)
    expect(message(page, HELLO)).to_be_visible()
    if size == "phone":
        show_chat(page)  # a desktop shows the whole room as it opens

    log = box(page.get_by_role("log", name="Chat"))
    top = box(banner)
    box_ = box(page.get_by_label("Your message"))
    send = box(page.get_by_role("button", name="Send", exact=True))
    height = SIZES[size]["viewport"]["height"]
    above = box(page.locator("#room-tabs"))["height"] if size == "phone" else 0
    assert above <= top["y"]  # not under the sticky tabs
    assert top["y"] + top["height"] <= log["y"]  # the prompt above the log
    assert log["y"] + log["height"] <= box_["y"]  # the composer below it
    assert log["height"] >= 96  # room to read
    assert send["y"] + send["height"] <= height  # all of it in view
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    if size == "phone" and email == MAYA:  # staff find their tab in view, not scrolled off
        staff_tab = box(page.get_by_role("tab", name="Facilitator"))
        assert staff_tab["x"] + staff_tab["width"] <= SIZES[size]["viewport"]["width"]
    # the chat's short times ("20:03") are in the reader's zone, named once
    zone = page.locator("#chat-tools").get_by_text("Times in GMT")
    expect(zone).to_be_visible()
    expect(zone).to_have_attribute("title", "Europe/London")


def test_phone_tabs_show_one_part_of_the_room_at_a_time(
    live_server: LiveServer, rooms: Callable
) -> None:
    found = live_room(live_server)
    ana = rooms(ANA, found, **PHONE)
    maya = rooms(MAYA, found, **PHONE)
    names = ["Chat", "Questions", "Resources", "People"]
    row = ana.get_by_role("tablist", name="Room").get_by_role("tab")
    expect(row).to_have_text(names, use_inner_text=True)
    expect(tab(maya, "Facilitator")).to_be_visible()  # staff only
    expect(tab(ana, "Chat")).to_have_attribute("aria-selected", "true")
    expect(ana.get_by_role("tabpanel")).to_have_count(1)
    expect(ana.get_by_role("tabpanel", name="Chat")).to_contain_text(Q1)

    tab(ana, "Questions").click()
    expect(tab(ana, "Questions")).to_have_attribute("aria-selected", "true")
    expect(tab(ana, "Chat")).to_have_attribute("aria-selected", "false")
    expect(ana.get_by_role("tabpanel")).to_have_count(1)
    expect(ana.get_by_role("log", name="Chat")).to_be_hidden()
    expect(tab(ana, "Chat")).to_have_accessible_name("Chat")  # Q1 was there on arrival
    ana.get_by_label("Your question").fill("How do you end with a client who keeps cancelling?")
    ana.get_by_role("button", name="Ask", exact=True).click()
    for page in (ana, maya):
        expect(tab(page, "Questions")).to_have_accessible_name(re.compile(r"^Questions\W+1 open$"))

    # a new prompt while Ana reads the questions: a dot on Chat says so
    tab(maya, "Facilitator").click()
    expect(maya.get_by_role("log", name="Chat")).to_be_hidden()
    panel = maya.get_by_role("region", name="Facilitator panel")
    panel.get_by_role("button", name=f"Post next: {Q2}").click()
    expect(tab(ana, "Chat")).to_have_accessible_name("Chat (new question)")
    expect(tab(maya, "Chat")).to_have_accessible_name("Chat (new question)")

    # arrow keys, Home and End move between the tabs, and each shows its panel
    tab(ana, "Questions").focus()
    ana.keyboard.press("ArrowRight")
    expect(tab(ana, "Resources")).to_be_focused()
    expect(ana.get_by_role("tabpanel", name="Resources")).to_contain_text("No resources shared")
    ana.keyboard.press("ArrowRight")
    expect(tab(ana, "People")).to_be_focused()
    expect(ana.get_by_role("tabpanel", name="People")).to_contain_text("in the room")
    ana.keyboard.press("ArrowRight")  # wraps round
    expect(tab(ana, "Chat")).to_be_focused()
    expect(ana.get_by_role("tabpanel", name="Chat")).to_contain_text(Q2)
    expect(tab(ana, "Chat")).to_have_accessible_name("Chat")  # seen
    ana.keyboard.press("End")
    expect(tab(ana, "People")).to_be_focused()
    ana.keyboard.press("Home")
    expect(tab(ana, "Chat")).to_be_focused()
    ana.keyboard.press("ArrowLeft")
    expect(tab(ana, "People")).to_have_attribute("aria-selected", "true")
    # one tab stop: Tab leaves the row for the panel
    ana.keyboard.press("Tab")
    expect(ana.locator(":focus")).not_to_have_attribute("role", "tab")

    # widening the window drops the tabs and shows everything
    maya.set_viewport_size(DESKTOP["viewport"])
    expect(maya.get_by_role("tablist")).to_have_count(0)
    expect(maya.get_by_role("tabpanel")).to_have_count(0)
    for part in ("log", "region"):
        name = "Chat" if part == "log" else "Facilitator panel"
        expect(maya.get_by_role(part, name=name)).to_be_visible()


def test_desktop_shows_questions_and_panel_beside_the_chat(open_room: Callable) -> None:
    maya = open_room(MAYA, **DESKTOP)
    ana = open_room(ANA, **DESKTOP)
    for page in (maya, ana):
        expect(page.get_by_role("tablist")).to_have_count(0)
        log = box(page.get_by_role("log", name="Chat"))
        queue = page.get_by_role("region", name="Questions from the room")
        expect(queue).to_be_visible()
        assert box(queue)["x"] >= log["x"] + log["width"]
    panel = maya.get_by_role("region", name="Facilitator panel")
    expect(panel).to_be_in_viewport()
    assert box(panel)["x"] >= box(maya.get_by_role("log", name="Chat"))["x"] + 400
    expect(ana.get_by_role("region", name="Facilitator panel")).to_have_count(0)


def test_facilitator_only_controls_look_different(open_room: Callable) -> None:
    maya = open_room(MAYA, **DESKTOP)
    ana = open_room(ANA, **DESKTOP)
    staff_only = ["Pin", "Make a question", "Edit", "Mark sensitive", "Moderate…"]
    seen_by_maya = message(maya, HELLO).locator(".msg-actions button:visible")
    marked = seen_by_maya.and_(maya.locator(".staff-action"))
    expect(marked).to_have_text(staff_only)
    for name in ("Reply", "Heart", "Same here"):
        member_action = message(maya, HELLO).get_by_role("button", name=name)
        expect(member_action).not_to_have_class(re.compile(r"\bstaff-action\b"))
    # the same look for the queue's staff tools
    premoderate = maya.locator("#qa-staff-tools label")
    assert _colour(premoderate) == _colour(marked.first)
    assert _colour(premoderate) != _colour(maya.get_by_role("button", name="Reply").first)
    # Ana's own message: her Edit and Delete are hers, not staff controls
    ana_actions = message(ana, HELLO).locator(".msg-actions button:visible")
    expect(ana_actions.filter(has_text="Edit")).to_have_count(1)
    expect(ana_actions.and_(ana.locator(".staff-action"))).to_have_count(0)
    expect(ana.locator("#lobby .staff-action:visible")).to_have_count(0)


def _colour(locator: Any) -> str:
    return str(locator.evaluate("(el) => getComputedStyle(el).color"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", SIZES)
def test_every_target_is_at_least_24px(open_room: Callable, size: str, scheme: str) -> None:
    page = open_room(MAYA, color_scheme=scheme, **SIZES[size])
    expect(page.locator("#staff-panel")).to_have_count(1)
    expect(message(page, HELLO)).to_be_visible()
    phone_tabs = ["Chat", "Questions", "Resources", "People", "Facilitator"]
    tabs = phone_tabs if size == "phone" else [None]
    for name in tabs:
        if name:
            tab(page, name).click()
        assert page.evaluate(TARGETS) == [], name


def test_keyboard_reaches_send_and_focus_stays_clear_of_the_tabs(open_room: Callable) -> None:
    maya = open_room(MAYA, **PHONE)
    show_chat(maya)
    maya.get_by_label("Your message").focus()
    maya.keyboard.press("Tab")
    expect(maya.get_by_role("button", name="Send", exact=True)).to_be_focused()

    # up through the long facilitator panel from its end: each control scrolls into view
    # below the sticky tabs, not under them
    tab(maya, "Facilitator").click()
    panel = maya.get_by_role("region", name="Facilitator panel")
    panel.get_by_role("button", name="Extend", exact=True).focus()
    for _ in range(12):
        maya.keyboard.press("Shift+Tab")
        focused = maya.evaluate(
            """() => {
              const tabs = document.getElementById('room-tabs').getBoundingClientRect();
              const el = document.activeElement;
              return { top: el.getBoundingClientRect().top, under: tabs.bottom, id: el.id };
            }"""
        )
        assert focused["top"] >= focused["under"] - 1, focused
