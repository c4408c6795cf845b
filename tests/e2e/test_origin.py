"""Socket.IO accepts same-origin connections only: a page on another site cannot use a
member's cookie to join the room (cross-site WebSocket hijacking)."""

from __future__ import annotations

import json

import pytest
import socketio
import websocket

from tests.conftest import LiveServer
from tests.e2e.clients import register

pytestmark = pytest.mark.e2e


def handshake(server: LiveServer, origin: str) -> websocket.WebSocket:
    """Open the Engine.IO WebSocket with exactly one Origin header."""
    url = f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"
    return websocket.create_connection(url, origin=origin, timeout=10)


def test_a_websocket_from_another_origin_is_refused(live_server: LiveServer) -> None:
    token = register(live_server, ("tam@example.org", "Tam"))["Tam"]
    with pytest.raises(websocket.WebSocketBadStatusException):
        handshake(live_server, "https://evil.example")
    own = handshake(live_server, live_server.url)
    try:
        assert own.recv().startswith("0{")  # Engine.IO open
        own.send("40" + json.dumps({"token": token}))
        assert own.recv().startswith("40{")  # Socket.IO connected
    finally:
        own.close()


def test_long_polling_from_another_origin_is_refused(live_server: LiveServer) -> None:
    token = register(live_server, ("tam@example.org", "Tam"))["Tam"]

    def connect(origin: str) -> socketio.Client:
        client = socketio.Client(reconnection=False)
        client.connect(
            live_server.url,
            auth={"token": token},
            headers={"Origin": origin},
            transports=["polling"],
            wait_timeout=10,
        )
        return client

    with pytest.raises(socketio.exceptions.ConnectionError):
        connect("https://evil.example")
    own = connect(live_server.url)
    assert own.connected
    # Not own.disconnect(): over polling it can wait out a whole ping interval (25 s) for
    # the pending long-poll; dropping the transport is enough here.
    own.eio.disconnect(abort=True)
