"""Real python-socketio clients for end-to-end tests."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import socketio

from chat.services import accounts
from tests.conftest import LiveServer
from tests.helpers import PASSWORD


class Member:
    """A python-socketio client that records every `message` it hears."""

    def __init__(self, server: LiveServer, token: str, session_id: int) -> None:
        self.server, self.token, self.session_id = server, token, session_id
        self.heard: list[dict[str, Any]] = []
        self.last_seen_id = 0
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("message", self._on_message)

    def _on_message(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.heard.append(data)
            self.last_seen_id = max(self.last_seen_id, data["id"])

    def connect(self, catch_up: bool = False) -> dict[str, Any]:
        self.client.connect(
            self.server.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10
        )
        join: dict[str, Any] = {"session_id": self.session_id}
        if catch_up:
            join["last_seen_id"] = self.last_seen_id
        ack = self.client.call("join", join, timeout=10)
        assert ack["ok"], ack
        for message in ack["messages"]:
            self._on_message(message)
        return ack

    def send(self, body: str, client_id: str | None = None) -> dict[str, Any]:
        payload = {
            "session_id": self.session_id,
            "body": body,
            "client_id": client_id or str(uuid.uuid4()),
        }
        ack = self.client.call("send_message", payload, timeout=10)
        assert ack["ok"], ack
        return ack["message"]

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
    """Create users (email, name) in the server's database, as `flask users create` and
    `flask users token` do (tests/test_cli.py runs those), without a process for each;
    return an API token per name."""
    tokens = {}
    now = datetime.now(UTC)
    with server.database() as db:
        for email, name in people:
            user = accounts.register(db, accounts.Registration(email, name, PASSWORD), now)
            tokens[name] = accounts.issue_api_token(db, user, now)
    return tokens


def create_session(server: LiveServer, facilitator_email: str) -> int:
    """An organiser and a session starting in a minute (its lobby is open) facilitated by
    `facilitator_email`; returns the session id."""
    organiser = ["users", "create", "o@example.org", "--name", "Org", "--organiser"]
    assert server.flask(*organiser, stdin=PASSWORD + "\n").returncode == 0
    starts = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    made = server.flask(
        "sessions", "create", "--title", "Endings", "--starts-at", starts,
        "--duration-minutes", "60", "--facilitator", facilitator_email,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return int(json.loads(made.stdout)["id"])
