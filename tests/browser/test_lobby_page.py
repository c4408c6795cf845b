"""What a person sees: times in their own zone, and the lobby changing without a reload."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from chat.services.clock import format_local
from tests.browser.helpers import sign_in
from tests.conftest import LiveServer
from tests.live_setup import register_users, schedule_session

pytestmark = pytest.mark.browser
KOLKATA = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def room(live_server: LiveServer) -> dict[str, Any]:
    register_users(
        live_server, ("org@example.org", "Olu", "", True), ("t@example.org", "Tam", "", False)
    )
    starts = (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)
    made = schedule_session(
        live_server, "Working with endings", starts, content_note="Mentions bereavement."
    )
    return {"id": made, "starts": starts}


def test_lobby_turns_live_for_everyone_without_reloading(
    browser: Any, live_server: LiveServer, room: dict[str, Any]
) -> None:
    trainee_ctx = browser.new_context(timezone_id="Europe/Paris", locale="en-GB")
    organiser_ctx = browser.new_context(timezone_id="America/New_York", locale="en-GB")
    try:
        trainee = sign_in(trainee_ctx, live_server, "t@example.org")
        trainee.goto(f"{live_server.url}/sessions/{room['id']}")
        status = trainee.get_by_role("status").filter(has_text=re.compile("Lobby|Live"))
        expect(status).to_have_text("Lobby open")
        expect(trainee.locator("#countdown")).to_contain_text("Starts in")
        # members see how many are here, not who
        expect(trainee.locator("#presence-count")).to_have_text("1")
        expect(trainee.locator(".presence-summary")).to_have_text("1 person in the room")
        expect(trainee.locator("#presence-list")).to_be_hidden()
        expect(trainee.get_by_text("Mentions bereavement.")).to_be_visible()
        # the time is shown in the trainee's own zone, named
        expect(trainee.locator("time[data-local]").first).to_have_text(
            format_local(room["starts"], "Europe/Paris")
        )
        reload_marker = trainee.evaluate("() => (window.__notReloaded = true)")
        assert reload_marker is True

        organiser = sign_in(organiser_ctx, live_server, "org@example.org")
        organiser.goto(f"{live_server.url}/sessions/{room['id']}")
        expect(trainee.locator("#presence-count")).to_have_text("2")
        expect(trainee.locator("#presence-list li")).to_have_count(0)
        # organisers and facilitators also see the names
        expect(
            organiser.get_by_role("list", name="Names of the people in the room")
        ).to_be_visible()
        expect(organiser.locator("#presence-list li")).to_have_text(["Olu", "Tam"])
        expect(organiser.locator("time[data-local]").first).to_have_text(
            format_local(room["starts"], "America/New_York")
        )
        organiser.get_by_role("button", name="Open now").click()
        expect(organiser.get_by_text("The room is open.")).to_be_visible()

        expect(status).to_have_text("Live now")
        expect(trainee.locator("#countdown")).to_contain_text("Ends in")
        assert trainee.evaluate("() => window.__notReloaded") is True

        organiser.once("dialog", lambda dialog: dialog.accept())  # it asks first
        organiser.get_by_role("button", name="End session").click()
        expect(trainee.get_by_role("status").filter(has_text="ended")).to_have_text(
            "This session has ended"
        )
        expect(organiser.locator("#presence-list li")).to_have_text(["Olu", "Tam"])
        trainee.close()
        expect(organiser.locator("#presence-list li")).to_have_text(["Olu"])
        expect(organiser.locator("#presence-count")).to_have_text("1")
    finally:
        trainee_ctx.close()
        organiser_ctx.close()


def test_the_schedule_remembers_the_browser_zone(
    browser: Any, live_server: LiveServer, room: dict[str, Any]
) -> None:
    context = browser.new_context(timezone_id="Asia/Kolkata", locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server.url)
        first_visit = page.locator("time[data-local]").first
        expect(first_visit).to_contain_text(room["starts"].astimezone(KOLKATA).strftime("%H:%M"))
        # re-rendered by the browser, it still names the zone (Intl's name for it)
        expect(first_visit).to_have_text(re.compile(r"\d\d:\d\d (IST|GMT\+5:30)$"))
        # from the next page on the server renders the zone, with its IANA name
        page.reload()
        expected = format_local(room["starts"], "Asia/Kolkata")
        expect(page.locator("time[data-local]").first).to_have_text(expected)
        assert f">{expected}</time>" in page.content()
        assert page.get_attribute("html", "lang") == "en"
    finally:
        context.close()


def test_forms_announce_errors_tied_to_their_fields(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/register")
        page.get_by_label("Email").fill("someone@example.org")
        page.get_by_label("Display name").fill("Someone")
        page.get_by_label("Password").fill("short")
        page.keyboard.press("Enter")
        password = page.get_by_label("Password")
        expect(password).to_have_attribute("aria-invalid", "true")
        expect(password).to_have_accessible_description(re.compile("Use at least 10 characters"))
        expect(page.get_by_role("alert")).to_contain_text("Password: Use at least 10 characters.")
    finally:
        context.close()
