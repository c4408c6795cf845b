"""A process that is not a server (the CLI, a scheduled job) reaches the room through
the same Redis message queue as the server processes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chat.models import Message
from tests.conftest import LiveServer
from tests.e2e.clients import Member, create_session, register, wait_until

pytestmark = pytest.mark.e2e


def served(tmp_path: Path, extra_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path, extra_env).start()
    yield server
    server.stop()


@pytest.fixture
def queued_server(tmp_path: Path, redis_url: str) -> Iterator[LiveServer]:
    yield from served(tmp_path, {"REDIS_URL": redis_url})


@pytest.fixture
def lone_server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from served(tmp_path, {})


def test_an_announcement_from_the_cli_reaches_members_at_once(queued_server: LiveServer) -> None:
    tokens = register(queued_server, ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
    session_id = create_session(queued_server, "fay@example.org")
    tam = Member(queued_server, tokens["Tam"], session_id)
    try:
        tam.connect()
        posted = queued_server.flask(
            "sessions", "announce", str(session_id), "Five minutes left.", "--as", "fay@example.org"
        )
        assert posted.returncode == 0, posted.stderr
        assert "REDIS_URL is not set" not in posted.stderr
        stored_id = json.loads(posted.stdout)["id"]
        wait_until(lambda: "Five minutes left." in tam.bodies(), "the announcement", queued_server)
        heard = [m for m in tam.heard if m["id"] == stored_id]
        assert len(heard) == 1 and heard[0]["kind"] == "announcement"
    finally:
        tam.disconnect()


def test_without_a_queue_the_announcement_waits_in_the_room(lone_server: LiveServer) -> None:
    tokens = register(lone_server, ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
    session_id = create_session(lone_server, "fay@example.org")
    posted = lone_server.flask("sessions", "announce", str(session_id), "Welcome in.")
    assert posted.returncode == 0, posted.stderr
    assert "REDIS_URL is not set: members see this when they next open the room." in posted.stderr
    tam = Member(lone_server, tokens["Tam"], session_id)
    try:
        joined = tam.connect()
        assert [m["body"] for m in joined["messages"]] == ["Welcome in."]
    finally:
        tam.disconnect()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["999", "Hello"], "no such session"),
        (["{session}", "Hello", "--as", "tam@example.org"], "only this session's facilitators"),
        (["{session}", "   "], "write something"),
    ],
)
def test_a_refused_announcement_says_why_and_stores_nothing(
    lone_server: LiveServer, args: list[str], error: str
) -> None:
    register(lone_server, ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
    session_id = create_session(lone_server, "fay@example.org")
    refused = lone_server.flask(
        "sessions", "announce", *(a.format(session=session_id) for a in args)
    )
    assert refused.returncode != 0
    assert error in refused.stderr.lower()
    with lone_server.database() as db:
        assert db.scalar(select(func.count()).select_from(Message)) == 0
