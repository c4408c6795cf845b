"""Real python-socketio clients for end-to-end tests."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

import socketio

from tests import live_setup
from tests.conftest import LiveServer

# How long a member keeps trying its addresses after losing its connection.
FAILOVER_SECONDS = 30
# websocket-client's own bound on waiting for the server's closing frame.
CLOSE_SECONDS = 3


class ConnectionLost(Exception):
    """The connection dropped before the server answered."""


class Member:
    """A python-socketio client that records every `message` it hears.

    With `failover` (more server addresses, as a load balancer would hand them out), a
    connection that drops without the member asking moves on to the next address, joins
    again with `last_seen_id` and merges what it missed, and `send` retries an unanswered
    message there with the same client_id.
    """

    def __init__(
        self, server: LiveServer, token: str, session_id: int, failover: Sequence[str] = ()
    ) -> None:
        self.server, self.token, self.session_id = server, token, session_id
        self.addresses = [server.url, *failover]
        self.address = 0  # index of the address in use
        self.heard: list[dict[str, Any]] = []
        self.duplicates: list[int] = []  # ids heard again: each is a server fault
        self.last_seen_id = 0
        self.lock = threading.Lock()
        self._ids: set[int] = set()
        self._merged: set[int] = set()  # ids the current connection's join ack delivered
        self._joined = threading.Event()  # set while joined on a live connection
        self._waiting: set[threading.Event] = set()  # sends awaiting an ack: set on a drop
        self.failovers: list[str] = []  # the addresses moved to, in order
        self.emitted = 0  # sends written to a connection (failing over only)
        self.resent: list[str] = []  # client_ids sent again after their connection dropped
        self.client = socketio.Client(reconnection=False)
        self.client.on("message", self._on_message)
        self.client.on("disconnect", self._on_disconnect)
        self.refusal: Any = None  # the data of the last `connect_error`
        self.client.on("connect_error", self._on_refused)

    def _on_message(self, data: dict[str, Any]) -> None:
        with self.lock:
            if data["id"] in self._merged:  # already had it from the join ack: expected
                self._merged.discard(data["id"])
                return
            self._hear(data)

    def _hear(self, data: dict[str, Any]) -> None:
        if data["id"] in self._ids:
            self.duplicates.append(data["id"])
        self._ids.add(data["id"])
        self.heard.append(data)
        self.last_seen_id = max(self.last_seen_id, data["id"])

    def _merge(self, messages: list[dict[str, Any]], last_seen_id: int | None) -> None:
        """Take a join ack's messages. Joining before reading history means one may also
        arrive as an event, before or after the ack: that overlap is not a duplicate."""
        with self.lock:
            self._merged = set()
            for message in messages:
                if message["id"] in self._ids and message["id"] > (last_seen_id or 0):
                    continue  # heard as an event on this connection just now
                self._hear(message)  # counted as a duplicate if we had it before the join
                self._merged.add(message["id"])

    def _on_refused(self, data: Any) -> None:
        self.refusal = data

    def _on_disconnect(self, reason: str = "") -> None:
        self._joined.clear()
        with self.lock:
            for waiting in self._waiting:
                waiting.set()
        if reason == self.client.reason.TRANSPORT_ERROR and self.client.eio.ws is not None:
            self.client.eio.ws.shutdown()  # python-engineio leaves a dropped socket open
        if len(self.addresses) > 1 and reason != self.client.reason.CLIENT_DISCONNECT:
            threading.Thread(target=self._fail_over, daemon=True).start()

    def _fail_over(self) -> None:
        deadline = time.monotonic() + FAILOVER_SECONDS
        retry = threading.Event()
        while time.monotonic() < deadline:
            self.address = (self.address + 1) % len(self.addresses)
            try:
                self.connect(catch_up=True)
                self.failovers.append(self.addresses[self.address])
                return
            except (socketio.exceptions.SocketIOError, ValueError):
                # That address is down too, or the client is still closing the old one.
                retry.wait(0.1)

    def connect(self, catch_up: bool = False) -> dict[str, Any]:
        """Connect and join (from `last_seen_id` with `catch_up`); return the join ack."""
        self.client.connect(
            self.addresses[self.address],
            auth={"token": self.token},
            transports=["websocket"],
            wait_timeout=10,
        )
        join: dict[str, Any] = {"session_id": self.session_id}
        if catch_up:
            join["last_seen_id"] = self.last_seen_id
        ack = self.client.call("join", join, timeout=10)
        assert ack["ok"], ack
        assert not ack.get("more_after"), "a catch-up this long needs `history`"
        self._merge(ack["messages"], join.get("last_seen_id"))
        self._joined.set()
        return ack

    def send_ack(self, body: str, client_id: str | None = None) -> dict[str, Any]:
        """Send a message and return the server's ack, whatever it says."""
        payload: dict[str, Any] = {
            "session_id": self.session_id,
            "body": body,
            "client_id": client_id or str(uuid.uuid4()),
        }
        if len(self.addresses) == 1:
            ack: dict[str, Any] = self.client.call("send_message", payload, timeout=10)
            return ack
        while True:  # failing over: what was not answered is sent again, same client_id
            if not self._joined.wait(FAILOVER_SECONDS):
                raise AssertionError(f"no connection to any of {self.addresses}")
            try:
                return self._call_unless_lost("send_message", payload)
            except ConnectionLost:
                self.resent.append(payload["client_id"])

    def _call_unless_lost(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Like `client.call`, but a drop ends the wait at once: a dropped connection
        never answers, and python-socketio would wait for the whole timeout."""
        answers: list[dict[str, Any]] = []
        done = threading.Event()  # set by the ack, or by the drop

        def on_ack(ack: dict[str, Any]) -> None:
            answers.append(ack)
            done.set()

        with self.lock:
            self._waiting.add(done)
        try:
            self.client.emit(event, payload, callback=on_ack)
            self.emitted += 1
            if not done.wait(10):
                raise TimeoutError(f"no ack for {event}")
        except socketio.exceptions.BadNamespaceError:  # dropped just before the emit
            raise ConnectionLost() from None
        finally:
            with self.lock:
                self._waiting.discard(done)
        if not answers:
            raise ConnectionLost()
        return answers[0]

    def send(self, body: str, client_id: str | None = None) -> dict[str, Any]:
        """Send a message; it must be acked. Returns the stored message."""
        ack = self.send_ack(body, client_id)
        assert ack["ok"], ack
        message: dict[str, Any] = ack["message"]
        return message

    def bodies(self) -> list[str]:
        with self.lock:
            return [m["body"] for m in self.heard]

    def ids(self) -> list[int]:
        """The ids of the messages heard, in the order they came."""
        with self.lock:
            return [m["id"] for m in self.heard]

    def disconnect(self) -> None:
        """Leave for good (no failover)."""
        if self.client.connected:
            hang_up(self.client)


def hang_up(client: socketio.Client) -> None:
    """`client.shutdown()` (disconnect, and stop reconnecting), without sitting out
    websocket-client's close timeout.

    The server answers the Engine.IO close packet with a closing frame, which the client's
    reader thread usually takes (and answers), but `python app.py` keeps the connection
    open after it; websocket-client's close() then waited its whole timeout (3 s) for a
    frame that had already come. Here the socket is closed as soon as the reader has seen
    the server's closing frame; if it never comes, close() runs as before.
    """
    ws, reader = client.eio.ws, client.eio.read_loop_task
    if client.connected and ws is not None and reader is not None:
        close = ws.close

        def close_once_answered(*args: Any, **kwargs: Any) -> None:
            reader.join(CLOSE_SECONDS)  # it ends on the server's closing frame
            if ws.connected:  # no answer yet: close (and wait) as websocket-client does
                close(*args, **kwargs)
            else:  # the closing handshake is done: only the socket is left to close
                ws.shutdown()

        ws.close = close_once_answered
    client.shutdown()


class Rejoining:
    """A member whose python-socketio client reconnects by itself, as the browser's does,
    and then joins again with `last_seen_id`. Keeps every message as it came, from
    events and join acks alike, so a duplicate would show."""

    def __init__(self, url: str, token: str, session_id: int) -> None:
        self.url, self.token, self.session_id = url, token, session_id
        self.lock = threading.Lock()
        self.heard: list[dict[str, Any]] = []
        self.last_seen_id = 0
        self.reasons: list[str] = []  # why each connection ended
        self.rejoins: list[dict[str, Any]] = []  # join acks after reconnecting
        self.client = socketio.Client(reconnection_delay=0.2, reconnection_delay_max=1)
        self.client.on("message", self._hear)
        self.client.on("connect", self._on_connect)
        self.client.on("disconnect", self._on_disconnect)

    def _hear(self, message: dict[str, Any]) -> None:
        with self.lock:
            self.heard.append(message)
            self.last_seen_id = max(self.last_seen_id, message["id"])

    def _on_connect(self) -> None:
        if self.rejoins or self.reasons:  # a reconnect; the first join is connect()'s
            # Not in this handler: the client reads the ack on the thread running it.
            self.client.start_background_task(self._rejoin)

    def _rejoin(self) -> None:
        with self.lock:
            join = {"session_id": self.session_id, "last_seen_id": self.last_seen_id}
        ack = self.client.call("join", join, timeout=10)
        for message in ack.get("messages", []):
            self._hear(message)
        self.rejoins.append(ack)

    def _on_disconnect(self, reason: str = "") -> None:
        self.reasons.append(reason)
        if reason == self.client.reason.TRANSPORT_ERROR and self.client.eio.ws is not None:
            # python-engineio's client leaves a dropped WebSocket to the garbage
            # collector, whose ResourceWarning would fail the run.
            self.client.eio.ws.shutdown()

    def connect(self) -> None:
        """Connect and join for the first time."""
        auth = {"token": self.token}
        self.client.connect(self.url, auth=auth, transports=["websocket"], wait_timeout=10)
        ack = self.client.call("join", {"session_id": self.session_id}, timeout=10)
        assert ack["ok"], ack
        for message in ack["messages"]:
            self._hear(message)

    def send(self, body: str) -> dict[str, Any]:
        """Send a message and return its ack."""
        payload = {"session_id": self.session_id, "body": body, "client_id": str(uuid.uuid4())}
        ack: dict[str, Any] = self.client.call("send_message", payload, timeout=10)
        return ack

    def bodies(self) -> list[str]:
        with self.lock:
            return [m["body"] for m in self.heard]


def wait_until(predicate, what: str, server: LiveServer) -> None:
    """Wait for something that must happen (a bound on waiting, not a timing assertion)."""
    done = threading.Event()
    for _ in range(300):
        if predicate():
            return
        done.wait(0.1)
    raise AssertionError(f"gave up waiting for {what}\n{server.output()[-3000:]}")


def register(server: LiveServer, *people: tuple[str, str]) -> dict[str, str]:
    """Members (email, name) in the server's database, each with an API token, as
    `flask users create` and `flask users token` make them; return the tokens by name."""
    live_setup.register_users(server, *((email, name, "", False) for email, name in people))
    tokens = live_setup.issue_tokens(server, *(email for email, _ in people))
    return {name: tokens[email] for email, name in people}


def create_session(server: LiveServer, *facilitators: str) -> int:
    """An organiser and a session starting in a minute (its lobby is open) facilitated by
    `facilitators` (emails); returns the session id."""
    live_setup.register_users(server, ("o@example.org", "Org", "", True))
    return live_setup.create_session(server, "Endings", *facilitators)
