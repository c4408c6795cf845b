"""The real server command (`python app.py`) on a random port, with real clients."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import requests
import socketio
import websocket

from tests.conftest import LiveServer
from tests.e2e.clients import hang_up, register
from tests.live_setup import create_session, register_users

pytestmark = pytest.mark.e2e


def wait_for(predicate, what: str, server: LiveServer, limit: float = 30.0) -> None:
    """Poll until `predicate()` holds (a bound on waiting, not a timing assertion)."""
    done = threading.Event()
    for _ in range(int(limit * 10)):
        if predicate():
            return
        done.wait(0.1)
    raise AssertionError(f"gave up waiting for {what}\n{server.output()}")


def test_first_start_prints_a_one_time_link_and_serves_the_schedule(
    live_server: LiveServer,
) -> None:
    wait_for(lambda: "/setup/" in live_server.output(), "the set-up link", live_server)
    link = re.search(r"(http://\S+/setup/\S+)", live_server.output())
    assert link and link.group(1).startswith(live_server.url)
    assert requests.get(link.group(1), timeout=10).status_code == 200
    schedule = requests.get(f"{live_server.url}/", timeout=10)
    assert schedule.status_code == 200 and "<h1>Schedule</h1>" in schedule.text
    feed = requests.get(f"{live_server.url}/schedule.ics", timeout=10)
    assert feed.headers["Content-Type"].startswith("text/calendar")
    assert "socket.io.min.js" not in schedule.text  # the public page opens no socket
    assert "(gevent)" in live_server.output()


def test_clients_see_the_room_open_on_time_without_asking(live_server: LiveServer) -> None:
    register_users(live_server, ("org@example.org", "Org", "", True))
    token = register(live_server, ("t@example.org", "Tam"))["Tam"]
    session_id = create_session(live_server, "Soon", starts_in=timedelta(seconds=8), minutes=30)

    refused = socketio.Client()
    refusals: list[dict] = []
    refused.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect(live_server.url, transports=["websocket"], wait_timeout=10)
    # The browser reads the code from the error's data (room.js says "sign in again").
    (refusal,) = refusals
    assert refusal["data"] == {"code": "unauthenticated", "message": "Sign in first."}

    states: list[str] = []
    client = socketio.Client(reconnection=False)
    client.on("state", lambda data: states.append(data["state"]))
    client.connect(
        live_server.url, auth={"token": token}, transports=["websocket"], wait_timeout=10
    )
    try:
        ack = client.call("join", {"session_id": session_id}, timeout=10)
        assert ack["ok"] and ack["state"]["state"] in ("lobby", "live")
        assert ack["presence"] == {"session_id": session_id, "count": 1}  # members: count only
        wait_for(
            lambda: "live" in states or ack["state"]["state"] == "live",
            "the live state",
            live_server,
        )
        if ack["state"]["state"] == "lobby":
            # The clock starts with the first connection; its first tick may announce the
            # lobby just after this join (on PostgreSQL the tick's queries yield to the
            # join's), so a repeat of "lobby" is allowed; "live" comes exactly once.
            assert [state for state in states if state != "lobby"] == ["live"]
        assert client.call("join", {"session_id": 999}, timeout=10)["error"]["code"] == "not_found"
    finally:
        hang_up(client)


def test_websocket_never_negotiates_compression(live_server: LiveServer) -> None:
    """Browsers offer permessage-deflate; the server must decline it (see DESIGN.md)."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{live_server.port}/socket.io/?EIO=4&transport=websocket",
        header=["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"],
        timeout=10,
    )
    try:
        headers = {k.lower(): v for k, v in (ws.getheaders() or {}).items()}
        assert ws.getstatus() == 101
        assert "sec-websocket-extensions" not in headers
        assert ws.recv().startswith("0{")  # the Engine.IO open packet arrives
    finally:
        ws.close()
