"""Two server processes behind one Redis share each member's flood limit."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.e2e.clients import Member, create_session, register

pytestmark = pytest.mark.e2e


def test_a_member_cannot_double_their_allowance_by_using_two_workers(
    tmp_path: Path, redis_url: str
) -> None:
    # A refill of one message an hour: the wall clock cannot give a token back mid-test.
    env = {"REDIS_URL": redis_url, "CHAT_MESSAGE_BURST": "5", "CHAT_MESSAGE_LIMIT_SECONDS": "3600"}
    first = LiveServer(tmp_path, env).start()  # applies the migrations first
    second = LiveServer(tmp_path, env).start()  # the same database and Redis
    members: list[Member] = []
    try:
        tokens = register(first, ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
        session_id = create_session(first, "fay@example.org")
        members = [Member(server, tokens["Tam"], session_id) for server in (first, second)]
        for member in members:
            member.connect()
        one, two = members
        for n in range(3):
            one.send(f"via the first worker {n}")
        for n in range(2):
            two.send(f"via the second worker {n}")
        for member in members:
            payload = {"session_id": session_id, "body": "one too many",
                       "client_id": str(uuid.uuid4())}  # fmt: skip
            ack = member.client.call("send_message", payload, timeout=10)
            assert ack["ok"] is False and ack["error"]["code"] == "rate_limited", ack
            assert ack["error"]["retry_after"] > 600
    finally:
        for member in members:
            member.disconnect()
        second.stop()
        first.stop()
