"""A join storm costs a bounded number of presence announcements: at most one per
CHAT_PRESENCE_SECONDS for the room, each a count for members, never one per arrival."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.e2e.clients import Member, create_session, register, wait_until

pytestmark = pytest.mark.e2e
ARRIVALS = 30


class Counter(Member):
    """A member who keeps every `presence` event it hears."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.presence: list[dict[str, Any]] = []
        self.client.on("presence", self._on_presence)

    def _on_presence(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.presence.append(data)


def test_a_join_storm_is_announced_at_a_bounded_rate(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, {"CHAT_PRESENCE_SECONDS": "1"}).start()
    people = [(f"m{n}@example.org", f"Member {n}") for n in range(ARRIVALS)]
    tokens = register(server, ("fay@example.org", "Fay"), *people)
    session_id = create_session(server, "fay@example.org")
    watcher = Counter(server, tokens["Member 0"], session_id)
    crowd = [Member(server, tokens[name], session_id) for _, name in people[1:]]
    try:
        watcher.connect()
        started = time.monotonic()
        joins = [threading.Thread(target=member.connect) for member in crowd]
        for join in joins:
            join.start()
        for join in joins:
            join.join(60)
        wait_until(
            lambda: watcher.presence and watcher.presence[-1]["count"] == ARRIVALS,
            "the watcher to count everyone",
            server,
        )
        elapsed = time.monotonic() - started
        # One announcement per second of the storm at most, plus the one at its start
        # and the one gathering its end: not one per arrival.
        assert len(watcher.presence) <= elapsed + 2 < ARRIVALS - 1
        assert all(set(event) == {"session_id", "count"} for event in watcher.presence)
    finally:
        server.stop()  # before the clients: each would wait seconds for a close frame
