"""Two server processes on one Redis and one database are one room: messages cross
between them, and both count everyone present."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from chat.models import Message
from chat.services import accounts, prompts, schedule
from tests.conftest import LiveServer
from tests.e2e.clients import Member, create_session, register, wait_until

pytestmark = pytest.mark.e2e


class Watcher(Member):
    """A member who also keeps the latest `presence` event."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.presence: dict[str, Any] = {}
        self.client.on("presence", self._on_presence)

    def _on_presence(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.presence = data

    def names(self) -> list[str]:
        with self.lock:
            return [person["name"] for person in self.presence.get("people", [])]


@pytest.fixture
def workers(tmp_path: Path, redis_url: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    first = LiveServer(tmp_path, {"REDIS_URL": redis_url}).start()  # migrates first
    second = LiveServer(tmp_path, {"REDIS_URL": redis_url}).start()  # same database
    yield first, second
    second.stop()
    first.stop()


def test_members_on_two_workers_share_one_room(workers: tuple[LiveServer, LiveServer]) -> None:
    first, second = workers
    tokens = register(first, ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
    session_id = create_session(first, "fay@example.org")
    fay = Watcher(first, tokens["Fay"], session_id)  # the facilitator: hears names
    tam = Watcher(second, tokens["Tam"], session_id)
    try:
        fay.connect()
        joined = tam.connect()
        # Tam's worker counts Fay, who is connected to the other one.
        assert joined["presence"]["count"] == 2
        wait_until(lambda: fay.names() == ["Fay", "Tam"], "Fay to see Tam arrive", second)

        fay.send("Welcome, everyone.")
        tam.send("Hello from the second worker.")
        both = ["Welcome, everyone.", "Hello from the second worker."]
        for member, server in ((fay, first), (tam, second)):
            wait_until(lambda m=member: m.bodies() == both, "both messages on both", server)

        tam.disconnect()
        wait_until(lambda: fay.names() == ["Fay"], "Fay to see Tam leave", second)
    finally:
        for member in (fay, tam):
            member.disconnect()


def test_a_prompt_due_for_auto_advance_is_posted_once(
    workers: tuple[LiveServer, LiveServer],
) -> None:
    first, second = workers
    tokens = register(first, ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
    session_id = create_session(first, "fay@example.org")
    now = datetime.now(UTC)
    with first.database() as db:
        found = schedule.get_session(db, session_id)
        found.starts_at = now - timedelta(minutes=1)  # live now
        db.commit()
        fay_user = accounts.user_by_email(db, "fay@example.org")
        prompts.add_prompts(db, fay_user, found, ["Q one?", "Q two?"], 10, now)
        prompts.post_prompt(db, fay_user, found, None, now, 15)
        prompts.set_auto_advance(db, fay_user, found, True, now)
        found.prompt_ends_at = now + timedelta(seconds=2)  # both clocks will find it due
        db.commit()
    # A connection starts each worker's clock.
    fay = Watcher(first, tokens["Fay"], session_id)
    tam = Watcher(second, tokens["Tam"], session_id)
    try:
        fay.connect()
        tam.connect()
        for member, server in ((fay, first), (tam, second)):
            wait_until(lambda m=member: "Q two?" in m.bodies(), "Q2 on both workers", server)
        with first.database() as db:
            kinds = select(func.count()).where(
                Message.session_id == session_id, Message.kind == "prompt"
            )
            assert db.scalar(kinds) == 2
        for member in (fay, tam):
            assert member.bodies().count("Q two?") == 1
    finally:
        for member in (fay, tam):
            member.disconnect()
