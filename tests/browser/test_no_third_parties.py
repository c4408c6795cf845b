"""No third parties: every script, style, font and connection of every page type is the
app's own, so the pages work with no internet beyond the app; the vendored Socket.IO
client is the pinned release, with its licence."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ANA,
    BEN,
    MAYA,
    OLU,
    create_past_session,
    hold_session,
    message,
    publish_recap,
    register_cast,
    send,
    sign_in,
)
from tests.conftest import ROOT, LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

VENDOR = ROOT / "static" / "vendor" / "socket.io"
PROMPT = "What does an ending stir up in you?"
LINES = [(ANA, "Old losses, if I am honest."), (BEN, "Relief, then guilt about the relief.")]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("offline")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ids(live_server: LiveServer) -> dict[str, int]:
    """A room open now, a session in its review window, and one with a published recap."""
    register_cast(live_server)
    live = create_session(live_server, "Working with endings", MAYA)
    reviewing = create_past_session(live_server, "Endings, revisited", timedelta(hours=2), [PROMPT])
    hold_session(live_server, reviewing, LINES)
    published = create_past_session(live_server, "Silence", timedelta(days=3), [PROMPT])
    hold_session(live_server, published, LINES)
    publish_recap(live_server, published, "We sat with silence.")
    return {"live": live, "reviewing": reviewing, "published": published}


class Offline:
    """A browser context whose only network is the app: any other request is aborted
    and recorded, and so is any WebSocket elsewhere."""

    def __init__(self, browser: Any, origin: str) -> None:
        self.origin = origin
        self.elsewhere: list[str] = []
        self.failed: list[str] = []
        self.context = browser.new_context(timezone_id="Europe/London", locale="en-GB")
        self.context.route("**/*", self._route)
        self.context.on("page", self._watch)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if self._ours(url):
            route.continue_()
        else:
            self.elsewhere.append(url)
            route.abort()

    def _ours(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.origin or parts.scheme in ("data", "blob")

    def _watch(self, page: Any) -> None:
        page.on("websocket", lambda ws: None if self._ours(ws.url.replace("ws", "http", 1))
                else self.elsewhere.append(ws.url))  # fmt: skip
        page.on("requestfailed", self._failed)

    def _failed(self, request: Any) -> None:
        # Chromium aborts a stylesheet still in flight when the next page supersedes it
        # (seen on a loaded machine): that is not the network refusing the app.
        if request.failure != "net::ERR_ABORTED" or not self._ours(request.url):
            self.failed.append(f"{request.url} ({request.failure})")


@pytest.fixture
def offline(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    made: list[Offline] = []

    def open_context() -> Offline:
        made.append(Offline(browser, live_server.url))
        return made[-1]

    yield open_context
    for net in made:
        net.context.close()


def visit(page: Any, url: str) -> None:
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == 200, url


def test_every_page_type_loads_only_from_the_app_and_the_room_connects(
    offline: Any, live_server: LiveServer, ids: dict[str, int]
) -> None:
    base = live_server.url
    visitor, member, organiser = offline(), offline(), offline()

    anonymous = visitor.context.new_page()
    for path in ("/", "/login", "/register", "/agreement", "/certificates/verify"):
        visit(anonymous, base + path)

    ana = sign_in(member.context, live_server, ANA)
    for path in (
        "/profile",
        f"/sessions/{ids['reviewing']}/review",
        f"/sessions/{ids['published']}/recap",
        f"/sessions/{ids['published']}/recap.html",
        f"/sessions/{ids['published']}/transcript.html",
    ):
        visit(ana, base + path)

    olu = sign_in(organiser.context, live_server, OLU)
    for path in (
        "/organise/",
        "/organise/audit",
        "/organise/bans/",
        "/organise/agreement",
        f"/organise/sessions/{ids['live']}/facilitators",
        f"/sessions/{ids['live']}/run-sheet",
        f"/sessions/{ids['published']}/attendance",
    ):
        visit(olu, base + path)

    # the room: both connect over the app's own socket and hear each other
    for page in (ana, olu):
        visit(page, f"{base}/sessions/{ids['live']}")
        expect(page.get_by_role("log", name="Chat")).to_be_visible()
        expect(page.locator("#connection")).to_have_text("")
    send(ana, "Hello from a network with only the app on it.")
    expect(message(olu, "only the app on it")).to_be_visible()
    send(olu, "Welcome, Ana.")
    expect(message(ana, "Welcome, Ana.")).to_be_visible()

    for net in (visitor, member, organiser):
        assert net.elsewhere == []
        assert net.failed == []


def test_the_vendored_socket_io_client_is_pinned_with_its_licence() -> None:
    licence = (VENDOR / "LICENSE").read_text()
    assert "MIT License" in licence and "Guillermo Rauch" in licence
    script = (VENDOR / "socket.io.min.js").read_bytes()
    header = re.search(rb"Socket\.IO v(\d+\.\d+\.\d+)", script[:200])
    assert header is not None
    version = header.group(1).decode()
    assert version.startswith("4.8."), "DESIGN.md pins socket.io-client 4.8.x"
    record = dict(
        line.split(": ", 1) if ": " in line else ("name", line)
        for line in (VENDOR / "VERSION").read_text().splitlines()
    )
    assert record["name"] == f"socket.io-client {version}"
    assert record["sha256"] == hashlib.sha256(script).hexdigest(), "not the recorded build"
    assert f"socket.io-client-{version}.tgz" in record["package"]
