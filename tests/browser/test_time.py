"""Times across a daylight-saving change: the lobby of a session after the clocks go
forward shows its start in each viewer's zone, named, and counts down the real time left."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from chat.services.clock import format_local
from tests.browser.helpers import (
    ANA,
    BEN,
    create_london_session,
    create_past_session,
    hold_session,
    publish_recap,
    register_cast,
    sign_in,
)
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
# 20:00 in London on the day the clocks go forward (BST), while now, in November, London
# is on GMT: the start is 19:00 UTC, not 20:00.
STARTS = datetime(2027, 3, 28, 20, 0, tzinfo=LONDON).astimezone(UTC)
WINTER = datetime(2026, 12, 15, 20, 0, tzinfo=LONDON).astimezone(UTC)
# New York moves its clocks two weeks before London: 20:00 GMT is 16:00 EDT in between.
BETWEEN = datetime(2027, 3, 21, 20, 0, tzinfo=LONDON).astimezone(UTC)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module: its tests only read the sessions."""
    server = LiveServer(tmp_path_factory.mktemp("time")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sessions(live_server: LiveServer) -> dict[str, int]:
    assert datetime.now(UTC) < STARTS - timedelta(days=1), "move STARTS to a later change"
    register_cast(live_server)
    past = create_past_session(live_server, "Silence", timedelta(days=3), ["Why silence?"])
    hold_session(live_server, past, [(ANA, "It lets the client lead.")])
    publish_recap(live_server, past, "We sat with silence.")
    return {
        "past": past,
        "spring": create_london_session(live_server, "After the clocks change", STARTS),
        "winter": create_london_session(live_server, "Before the solstice", WINTER),
        "between": create_london_session(live_server, "Between two changes", BETWEEN),
    }


def countdown(left: timedelta) -> str:
    """What the lobby says more than a day ahead, as common.js `duration` writes it."""
    total = round(left.total_seconds())
    return f"Starts in {total // 86400} d {total % 86400 // 3600} h"


def read_countdown(page: Any) -> tuple[str, set[str]]:
    """The countdown's text and what it may be, from the time left just before and just
    after reading it (the clock moves); read again if an hour ticked over meanwhile."""
    for _ in range(3):
        before = countdown(STARTS - datetime.now(UTC))
        text = page.locator("#countdown").inner_text()
        after = countdown(STARTS - datetime.now(UTC))
        if before == after:
            break
    return text, {before, after}


@pytest.mark.parametrize(
    ("email", "zone", "shown"),
    [
        (ANA, "Europe/London", "Sun 28 Mar, 20:00 BST"),
        (BEN, "America/New_York", "Sun 28 Mar, 15:00 EDT"),
    ],
)
def test_the_lobby_counts_down_across_the_clocks_going_forward(
    browser: Any, live_server: LiveServer, sessions: dict[str, int], email, zone, shown
) -> None:
    assert format_local(STARTS, zone) == shown  # what the page should say, by zoneinfo
    context = browser.new_context(timezone_id=zone, locale="en-GB")
    errors: list[str] = []
    try:
        page = sign_in(context, live_server, email)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server.url}/sessions/{sessions['spring']}")
        expect(page.locator(".when time")).to_have_text(shown)
        expect(page.locator("#countdown")).to_contain_text(" d ")
        text, expected = read_countdown(page)
        # Counting wall-clock time (20:00 GMT) would say one hour more than this.
        assert text in expected, (text, expected)
    finally:
        context.close()
    assert errors == []


def test_the_schedule_names_each_sessions_zone_on_either_side_of_the_change(
    browser: Any, live_server: LiveServer, sessions: dict[str, int]
) -> None:
    context = browser.new_context(timezone_id="America/New_York", locale="en-GB")
    try:
        page = sign_in(context, live_server, BEN)  # the sign-in page remembered the zone
        for key, shown in [
            ("winter", "Tue 15 Dec, 15:00 EST"),
            ("between", "Sun 21 Mar, 16:00 EDT"),
            ("spring", "Sun 28 Mar, 15:00 EDT"),
        ]:
            title = page.locator(f"#session-{sessions[key]}-title")
            expect(page.locator(".session-card", has=title).locator(".when time")).to_have_text(
                shown
            )
    finally:
        context.close()


def test_a_page_rendered_in_another_zone_is_shown_in_the_browsers(
    browser: Any, live_server: LiveServer, sessions: dict[str, int]
) -> None:
    context = browser.new_context(timezone_id="Asia/Kolkata", locale="en-GB")
    try:
        page = sign_in(context, live_server, ANA)
        # as on a first visit: the server renders UTC, which is not the browser's zone
        context.add_cookies([{"name": "tz", "value": "UTC", "url": live_server.url}])
        page.goto(f"{live_server.url}/sessions/{sessions['past']}/recap")
        span = page.locator('time[data-local="span"]')
        clock = page.locator('time[data-local="clock"]').first
        starts = datetime.fromisoformat(span.get_attribute("datetime") or "")
        said = datetime.fromisoformat(clock.get_attribute("datetime") or "")
        kolkata = ZoneInfo("Asia/Kolkata")
        zone = r"(IST|GMT\+5:30)"  # Intl's names; Chromium still calls the zone Calcutta
        # a span that crosses midnight there names the zone after each end
        expect(span).to_have_text(
            re.compile(rf"^.*, {starts.astimezone(kolkata):%H:%M}( {zone})? to .* {zone}$")
        )
        expect(clock).to_have_text(f"{said.astimezone(kolkata):%H:%M}")
        expect(page.locator("[data-local-zone]")).to_have_text(
            re.compile(rf"^Asia/(Kolkata|Calcutta) \({zone}\)$")
        )
    finally:
        context.close()
