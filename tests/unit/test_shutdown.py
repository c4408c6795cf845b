"""Draining: which connections are refused, what is waited for, and how connections end.
(tests/e2e/test_shutdown.py drives the real thing on a real server.)"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest
from flask_socketio import ConnectionRefusedError

from chat.realtime import shutdown


class Connection:
    """Stands in for an Engine.IO socket: records how it was closed."""

    def __init__(self) -> None:
        self.closed_with: dict[str, Any] | None = None
        self.handling_then = -1

    def close(self, **options: Any) -> None:
        self.closed_with = options
        self.handling_then = shutdown.handling()


class Server:
    """Stands in for python-socketio's server: its connections, and a sleep that lets
    the test finish an event while the drain waits."""

    def __init__(self, connections: int, on_sleep: Any = None) -> None:
        self.eio = type(
            "Engine", (), {"sockets": {f"e{i}": Connection() for i in range(connections)}}
        )()
        self.on_sleep = on_sleep
        self.slept = 0

    def sleep(self, _seconds: float) -> None:
        self.slept += 1
        if self.on_sleep:
            self.on_sleep()


@pytest.fixture(autouse=True)
def not_draining(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutdown, "_draining", False)  # and back after the test


def test_events_are_counted_while_handled() -> None:
    with shutdown.in_flight("send_message"):
        assert shutdown.handling() == 1
    assert shutdown.handling() == 0


def test_while_draining_a_new_connection_is_refused_but_events_still_run() -> None:
    shutdown.drain(Server(0), seconds=0)
    assert shutdown.draining()
    with pytest.raises(ConnectionRefusedError) as refused, shutdown.in_flight("connect"):
        pass
    assert refused.value.error_args["data"]["code"] == "unavailable"
    with shutdown.in_flight("send_message"):
        assert shutdown.handling() == 1


def test_drain_waits_for_the_event_in_flight_then_drops_every_connection() -> None:
    with ExitStack() as event:
        event.enter_context(shutdown.in_flight("send_message"))
        server = Server(2, on_sleep=event.close)  # the event ends while the drain waits
        connections = list(server.eio.sockets.values())
        shutdown.drain(server, seconds=60)
    assert server.slept == 1
    for connection in connections:
        assert connection.handling_then == 0  # after the event, not during it
        # Without a close packet, which would keep python-socketio from reconnecting.
        assert connection.closed_with == {"wait": False, "abort": True}
    assert server.eio.sockets == {}  # forgotten, as python-engineio's own disconnect does


def test_drain_gives_up_waiting_after_its_bound() -> None:
    with shutdown.in_flight("send_message"):
        server = Server(1)
        connection = next(iter(server.eio.sockets.values()))
        shutdown.drain(server, seconds=0)
        assert connection.closed_with is not None and connection.handling_then == 1
