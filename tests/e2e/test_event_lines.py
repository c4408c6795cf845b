"""A real server writes one JSON line per socket event to standard error, with ids and
outcomes only, unless CHAT_EVENT_LOG=0 switches the lines off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.e2e.clients import Member, create_session, register

pytestmark = pytest.mark.e2e


def event_lines(server: LiveServer) -> list[dict]:
    return [
        json.loads(line)
        for line in server.output().splitlines()
        if line.startswith("{") and '"event"' in line
    ]


def chat_once(server: LiveServer) -> int:
    tokens = register(server, ("fay@example.org", "Fay"))
    session_id = create_session(server, "fay@example.org")
    fay = Member(server, tokens["Fay"], session_id)
    try:
        fay.connect()
        fay.send("A private thought about my client.")
    finally:
        fay.disconnect()
    return session_id


@pytest.mark.parametrize("switch", ["1", "0"])
def test_event_lines_are_written_unless_switched_off(tmp_path: Path, switch: str) -> None:
    server = LiveServer(tmp_path, {"CHAT_EVENT_LOG": switch}).start()
    try:
        session_id = chat_once(server)
        server.stop()
        lines = event_lines(server)
        if switch == "0":
            assert lines == []
            return
        sent = [line for line in lines if line["event"] == "send_message"]
        assert len(sent) == 1 and sent[0]["session_id"] == session_id
        assert sent[0]["outcome"] == "ok" and isinstance(sent[0]["user_id"], int)
        assert [line["event"] for line in lines][:2] == ["connect", "join"]
        assert "private thought" not in server.output()
        assert server.output().count('"event":"send_message"') == 1  # not repeated by Flask
    finally:
        server.stop()
