"""Screenshots the suite keeps: the lobby before the start, the live room as a member and
as a facilitator (desktop and phone, light, and one dark), and a published recap. Each test
first checks what makes its picture worth looking at.

They go to $CHAT_SCREENSHOTS_DIR, by default build/screenshots (not committed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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
    add_prompts,
    create_past_session,
    hold_session,
    publish_recap,
    register_cast,
    sign_in,
    stage_room,
)
from tests.conftest import ROOT, LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PROMPTS = [
    "What first drew you to this work, and has that changed during training?",
    "What does an ending with a client stir up in you?",
]
LINES = [
    (MAYA, "Welcome, everyone. Take a moment to arrive."),
    (BEN, "Hello from Glasgow! Second year of my diploma."),
    (ANA, "Curiosity about people, mostly. Now it is more about staying with not knowing."),
    (BEN, "A placement in a hospice, and it has changed a lot since."),
]
ASKED = [
    (CAL, "What if the ending is forced by the placement finishing?"),
    (BEN, "Do you give clients something to take away from the last session?"),
]
SUMMARY = "We stayed with what endings stir up in us: old losses, relief and guilt."


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("CHAT_SCREENSHOTS_DIR") or ROOT / "build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("screenshots")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ids(live_server: LiveServer) -> dict[str, int]:
    """A session in three days, one under way, and a past one with a published recap."""
    register_cast(live_server)
    later = create_session(live_server, "Working with silence", MAYA, starts_in=timedelta(days=3))
    live = create_session(live_server, "Working with endings", MAYA)
    add_prompts(live_server, live, PROMPTS)
    stage_room(live_server, live, LINES, ASKED)
    past = create_past_session(live_server, "Endings, revisited", timedelta(days=3), PROMPTS[1:])
    hold_session(live_server, past, [(email, text) for email, text in LINES if email != MAYA])
    publish_recap(live_server, past, SUMMARY)
    return {"later": later, "live": live, "past": past}


@pytest.fixture
def open_page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A signed-in page in a context of its own (London time); fails on any page error."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_as(email: str, path: str, **options: Any) -> Any:
        context = browser.new_context(timezone_id="Europe/London", locale="en-GB", **options)
        contexts.append(context)
        page = sign_in(context, live_server, email)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_server.url + path)
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert errors == []


def fits_the_width(page: Any) -> None:
    """No sideways scrolling: the page is as wide as the screen."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths


def in_the_room(page: Any) -> None:
    expect(page.locator("#state-label")).to_have_text("Live now")
    expect(page.get_by_role("log", name="Chat")).to_be_attached()
    expect(page.locator("#connection")).to_have_text("")
    expect(page.locator("#current-question")).to_be_visible()
    expect(page.locator("#current-question-text")).to_have_text(f"Q1: {PROMPTS[0]}")
    expect(page.get_by_label("Your message")).to_be_visible()
    expect(page.locator(".msg-body", has_text="staying with not knowing")).to_be_visible()


def onto_the_chat(page: Any) -> None:
    """On a phone, scroll as a reader does: the tabs stick at the top and the chat pane
    fills the screen, composer at the bottom."""
    tabs = page.locator("#room-tabs")
    if tabs.is_visible():
        tabs.evaluate("(node) => window.scrollTo(0, node.getBoundingClientRect().top + scrollY)")
        expect(page.get_by_label("Your message")).to_be_in_viewport()
        expect(page.locator("#current-question")).to_be_in_viewport()


def queued(page: Any, text: str) -> Any:
    """A question in the room's queue."""
    return page.locator("#questions").get_by_role("paragraph").filter(has_text=text)


@pytest.mark.parametrize(("name", "options"), [("lobby", DESKTOP), ("lobby-phone", PHONE)])
def test_the_lobby_before_the_start(
    open_page: Any, ids: dict[str, int], shots: Path, name: str, options: dict[str, Any]
) -> None:
    page = open_page(ANA, f"/sessions/{ids['later']}", **options)
    expect(page.get_by_role("heading", name="Working with silence")).to_be_visible()
    expect(page.locator("#countdown")).to_contain_text("Starts in 2 d 23 h")
    expect(page.locator("time[data-local]").first).to_contain_text("GMT")
    fits_the_width(page)
    page.screenshot(path=shots / f"{name}.png")


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("room-member", DESKTOP),
        ("room-member-phone", PHONE),
        ("room-member-dark-phone", {**PHONE, "color_scheme": "dark"}),
    ],
)
def test_the_live_room_as_a_member(
    open_page: Any, ids: dict[str, int], shots: Path, name: str, options: dict[str, Any]
) -> None:
    page = open_page(ANA, f"/sessions/{ids['live']}", **options)
    in_the_room(page)
    expect(page.get_by_role("region", name="Facilitator panel")).to_have_count(0)
    if options is DESKTOP:  # on a phone the queue is one tap away
        expect(queued(page, ASKED[0][1])).to_be_visible()
    if "dark" in name:
        assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
    fits_the_width(page)
    onto_the_chat(page)
    page.screenshot(path=shots / f"{name}.png")


@pytest.mark.parametrize(
    ("name", "options"), [("room-facilitator", DESKTOP), ("room-facilitator-phone", PHONE)]
)
def test_the_live_room_as_the_facilitator(
    open_page: Any, ids: dict[str, int], shots: Path, name: str, options: dict[str, Any]
) -> None:
    page = open_page(MAYA, f"/sessions/{ids['live']}", **options)
    in_the_room(page)
    expect(page.locator("#staff-panel-slot > *").first).to_be_attached()
    if options is DESKTOP:  # on a phone the panel is one tap away
        panel = page.get_by_role("region", name="Facilitator panel")
        expect(panel).to_be_visible()
        expect(panel.get_by_role("button", name="Post next")).to_be_visible()
        expect(queued(page, ASKED[1][1])).to_be_visible()
    fits_the_width(page)
    onto_the_chat(page)
    page.screenshot(path=shots / f"{name}.png")


def test_a_published_recap(open_page: Any, ids: dict[str, int], shots: Path) -> None:
    page = open_page(ANA, f"/sessions/{ids['past']}/recap", **DESKTOP)
    expect(page.get_by_role("heading", name="Recap: Endings, revisited")).to_be_visible()
    expect(page.get_by_text(SUMMARY)).to_be_visible()
    expect(page.get_by_text("Curiosity about people, mostly.")).to_be_visible()
    fits_the_width(page)
    page.screenshot(path=shots / "recap.png", full_page=True)
