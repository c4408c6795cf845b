"""The operators' log: one JSON line per socket event with ids and the outcome, and never
a word that a member wrote."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from chat.models import ChatSession, User
from tests.sockets.helpers import new_message

SECRET = "My client in Leeds said something I keep thinking about"


def lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "chat.events"]


def test_each_event_is_one_line_with_ids_and_outcome_and_no_text(
    caplog: pytest.LogCaptureFixture, joined: Any, room: ChatSession, member: User
) -> None:
    caplog.set_level(logging.INFO, logger="chat.events")
    client = joined(member)
    ack = client.emit("send_message", new_message(room, SECRET), callback=True)
    assert ack["ok"]
    reaction = {"session_id": room.id, "message_id": 999, "reaction": "heart", "active": True}
    refused = client.emit("react", reaction, callback=True)
    assert refused["error"]["code"] == "not_found"

    logged = lines(caplog)
    assert [(line["event"], line["outcome"]) for line in logged] == [
        ("connect", "ok"),
        ("join", "ok"),
        ("send_message", "ok"),
        ("react", "not_found"),
    ]
    for line in logged:
        assert line["user_id"] == member.id
        assert line["sid"] and line["ms"] >= 0
    assert [line["session_id"] for line in logged] == [None, room.id, room.id, room.id]
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert all("Leeds" not in record.getMessage() for record in caplog.records)


def test_a_refused_connection_is_logged_without_a_user(
    caplog: pytest.LogCaptureFixture, socket_client: Any
) -> None:
    caplog.set_level(logging.INFO, logger="chat.events")
    client = socket_client()
    assert not client.is_connected()
    (line,) = lines(caplog)
    assert (line["event"], line["user_id"], line["outcome"]) == ("connect", None, "refused")


def test_a_failure_is_logged_as_unavailable(
    caplog: pytest.LogCaptureFixture,
    joined: Any,
    room: ChatSession,
    member: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger="chat.events")
    client = joined(member)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("chat.services.messages.send_message", broken)
    ack = client.emit("send_message", new_message(room), callback=True)
    assert ack["error"]["code"] == "unavailable"
    assert lines(caplog)[-1]["outcome"] == "unavailable"
