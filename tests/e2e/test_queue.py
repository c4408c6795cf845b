"""The question queue end to end: three members ask and vote on a real server, the
facilitator approves and spotlights, and every client ends up with the same queue."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.e2e.clients import Member, create_session, register, wait_until

pytestmark = pytest.mark.e2e

NAMES = ("Ana", "Ben", "Cai")


class QueueWatcher(Member):
    """A client that keeps the queue as it hears it: id → question."""

    def __init__(self, server: LiveServer, token: str, session_id: int) -> None:
        super().__init__(server, token, session_id)
        self.queue: dict[int, dict[str, Any]] = {}
        self.queue_lock = threading.Lock()
        self.client.on("question", self._on_question)
        self.client.on("question_removed", self._on_removed)

    def _on_question(self, question: dict[str, Any]) -> None:
        with self.queue_lock:
            self.queue[question["id"]] = question

    def _on_removed(self, event: dict[str, Any]) -> None:
        with self.queue_lock:
            self.queue.pop(event["id"], None)

    def join_queue(self) -> None:
        ack = self.connect()
        for question in ack["queue"]["questions"]:
            self._on_question(question)

    def call(self, event: str, **payload: Any) -> dict[str, Any]:
        ack = self.client.call(event, {"session_id": self.session_id, **payload}, timeout=10)
        assert ack["ok"], ack
        return ack

    def ordered(self) -> list[tuple[int, str, int]]:
        """(id, status, votes) by votes then age: the order members see by default."""
        with self.queue_lock:
            shown = [q for q in self.queue.values() if q["status"] != "pending"]
        shown.sort(key=lambda q: (-q["votes"], q["id"]))
        return [(q["id"], q["status"], q["votes"]) for q in shown]


def test_members_ask_and_vote_and_everyone_sees_the_same_queue(live_server: LiveServer) -> None:
    people = [("fay@example.org", "Fay")] + [(f"{n.lower()}@example.org", n) for n in NAMES]
    tokens = register(live_server, *people)
    session_id = create_session(live_server, "fay@example.org")
    fay = QueueWatcher(live_server, tokens["Fay"], session_id)
    members = [QueueWatcher(live_server, tokens[name], session_id) for name in NAMES]
    clients = [fay, *members]
    try:
        for client in clients:
            client.join_queue()
        fay.call("set_premoderation", enabled=True)
        asked = [
            member.call(
                "ask_question",
                body=f"{member_name}'s question about endings",
                anonymous=member_name == "Ben",
                client_id=str(uuid.uuid4()),
            )["question"]
            for member, member_name in zip(members, NAMES, strict=True)
        ]
        assert all(q["status"] == "pending" for q in asked)
        wait_until(lambda: len(fay.queue) == 3, "the facilitator to see 3 pending", live_server)
        assert members[0].ordered() == []  # nobody else's pending question is shown

        for question in asked:
            fay.call("moderate_question", question_id=question["id"], action="approve")
        votes = {asked[1]["id"]: members, asked[2]["id"]: members[:2]}
        for question_id, voters in votes.items():
            for voter in voters:
                voter.call("vote_question", question_id=question_id, active=True)
        fay.call("moderate_question", question_id=asked[2]["id"], action="spotlight")

        expected = [
            (asked[1]["id"], "open", 3),
            (asked[2]["id"], "spotlit", 2),
            (asked[0]["id"], "open", 0),
        ]
        for client in clients:
            wait_until(lambda c=client: c.ordered() == expected, "the same queue", live_server)
        anonymous = members[0].queue[asked[1]["id"]]
        assert anonymous["author"] is None
        assert fay.queue[asked[1]["id"]]["author"]["name"] == "Ben"

        late = QueueWatcher(live_server, tokens["Ana"], session_id)
        late.join_queue()
        assert late.ordered() == expected
        late.disconnect()
    finally:
        for client in clients:
            client.disconnect()
