"""The live room end to end: a real server process and real python-socketio clients."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import websocket

from tests.conftest import LiveServer
from tests.e2e.clients import Member, create_session, register, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def room(live_server: LiveServer) -> dict[str, Any]:
    """Ada and Ben, and a session starting in a minute: its lobby is open for chat."""
    tokens = register(live_server, ("a@example.org", "Ada"), ("b@example.org", "Ben"))
    return {"id": create_session(live_server), "tokens": tokens}


def test_send_miss_catch_up_resend_and_restart(
    live_server: LiveServer, room: dict[str, Any]
) -> None:
    a = Member(live_server, room["tokens"]["Ada"], room["id"])
    b = Member(live_server, room["tokens"]["Ben"], room["id"])
    a.connect()
    b.connect()
    try:
        # A sends, B receives
        first = a.send("hello from Ada")
        wait_until(lambda: b.bodies() == ["hello from Ada"], "B to hear A", live_server)

        # B drops; A sends three; B comes back with last_seen_id and gets exactly those
        b.disconnect()
        missed = [a.send(f"while you were away {i}") for i in range(3)]
        ack = b.connect(catch_up=True)
        assert [m["id"] for m in ack["messages"]] == [m["id"] for m in missed]
        assert b.bodies() == ["hello from Ada"] + [f"while you were away {i}" for i in range(3)]

        # A resends with the same client_id: acked with the stored message, heard by nobody
        again = a.send("hello from Ada", client_id=first["client_id"])
        assert again["id"] == first["id"]
        marker = a.send("after the resend")
        wait_until(lambda: "after the resend" in b.bodies(), "the marker", live_server)
        assert b.bodies().count("hello from Ada") == 1
        assert a.bodies().count("hello from Ada") == 1

        # B drops, A's message is acked, the server restarts, B catches up: nothing lost
        b.disconnect()
        acked = a.send("acked just before the restart")
        a.disconnect()
        live_server.stop()
        live_server.start()
        ack = b.connect(catch_up=True)
        assert [m["id"] for m in ack["messages"]] == [acked["id"]]
        assert acked["id"] == marker["id"] + 1
        assert b.bodies()[-1] == "acked just before the restart"
    finally:
        for member in (a, b):
            member.disconnect()


def test_an_oversized_frame_is_refused_without_storing_anything(
    live_server: LiveServer, room: dict[str, Any]
) -> None:
    """Beyond max_http_buffer_size (64 KB) the transport itself closes the connection."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{live_server.port}/socket.io/?EIO=4&transport=websocket", timeout=10
    )
    raw = ws.sock  # websocket-client forgets its socket when the peer closes it
    try:
        assert ws.recv().startswith("0{")  # Engine.IO open
        ws.send("40" + json.dumps({"token": room["tokens"]["Ada"]}))  # Socket.IO connect
        assert ws.recv().startswith("40{")
        ws.send("42" + json.dumps(["join", {"session_id": room["id"]}]))
        oversized = {"session_id": room["id"], "body": "x" * 70_000, "client_id": str(uuid.uuid4())}
        ws.send("421" + json.dumps(["send_message", oversized]))
        with pytest.raises(websocket.WebSocketConnectionClosedException):
            while True:  # the join ack may arrive first; then the server closes
                if not ws.recv():
                    raise websocket.WebSocketConnectionClosedException()
    finally:
        ws.close()
        raw.close()
    b = Member(live_server, room["tokens"]["Ben"], room["id"])
    ack = b.connect()
    assert ack["messages"] == []
    b.disconnect()
