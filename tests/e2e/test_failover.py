"""A server process is killed mid-session: its members reconnect to the other one (they
know both addresses, as a load balancer would hand them out), catch up from
`last_seen_id`, and no acked message is lost or heard twice."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from chat.models import Message
from tests.conftest import LiveServer
from tests.e2e.clients import Member, create_session, register, wait_until

pytestmark = pytest.mark.e2e

SENDS = 40
PRESENCE = "traineetalk:presence:"  # chat/realtime/presence.py's key prefix


@pytest.fixture
def workers(
    tmp_path: Path, redis_url: str, postgres_url: str
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two processes on one Redis and one PostgreSQL database, as on two hosts."""
    env = {"REDIS_URL": redis_url, "DATABASE_URL": postgres_url}
    first, second = LiveServer(tmp_path, env), LiveServer(tmp_path, env)
    try:
        yield first.start(), second.start()
    finally:
        second.stop()
        first.stop()


class Sender(threading.Thread):
    """Sends SENDS numbered messages one after another, each once it has its ack; while
    `go` is cleared it waits before the next one, with `waiting` set."""

    def __init__(self, member: Member) -> None:
        super().__init__(daemon=True)
        self.member = member
        self.acked: list[dict[str, Any]] = []
        self.failure: BaseException | None = None
        self.go, self.waiting = threading.Event(), threading.Event()
        self.go.set()

    def run(self) -> None:
        try:
            for number in range(SENDS):
                if not self.go.is_set():
                    self.waiting.set()
                    self.go.wait()
                self.acked.append(self.member.send(f"message {number}"))
        except BaseException as exc:  # re-raised by the test
            self.failure = exc


def rejoin(member: Member) -> dict[str, Any]:
    ack: dict[str, Any] = member.client.call("join", {"session_id": member.session_id}, timeout=10)
    assert ack["ok"], ack
    return ack


def stopped(pid: int) -> bool:
    """Whether the kernel has stopped the process (state T in /proc/PID/stat)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"


def test_members_of_a_killed_process_fail_over_and_miss_nothing(
    workers: tuple[LiveServer, LiveServer], redis_url: str
) -> None:
    first, second = workers
    assert first.proc is not None
    people = [(f"{name.lower()}@example.org", name) for name in ("Fay", "Sam", "Lee", "Bea", "Nia")]
    tokens = register(first, *people)
    session_id = create_session(first, "fay@example.org")
    other = [second.url]  # where members of the first process go when it fails
    sam = Member(first, tokens["Sam"], session_id, failover=other)  # the sender
    lee = Member(first, tokens["Lee"], session_id, failover=other)
    nia = Member(first, tokens["Nia"], session_id)  # knows one address: stays away
    bea = Member(second, tokens["Bea"], session_id)
    members = (sam, lee, nia, bea)
    sender = Sender(sam)
    try:
        for member in members:
            assert member.connect()["ok"]
        sender.start()
        wait_until(lambda: len(sender.acked) >= 5, "a few messages before the kill", first)

        # Between two sends, freeze the first process; let the next send go to it, then
        # kill it: that send is surely in flight at the kill, whatever the timing.
        sender.go.clear()
        wait_until(sender.waiting.is_set, "the sender between two sends", first)
        first.proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: stopped(first.proc.pid), "the first process to stop", first)
        emitted = sam.emitted
        sender.go.set()
        wait_until(lambda: sam.emitted > emitted, "a send to the stopped process", first)
        nia_sid = nia.client.get_sid()
        first.proc.kill()
        first.proc.wait(10)

        # Presence: the dead process's members stop counting once its alive mark expires
        # (ALIVE_SECONDS, 30 s). Rather than wait, check that the mark is left to expire,
        # and expire it now as its time-to-live would; the count is checked at the end.
        store = redis.Redis.from_url(redis_url)
        try:
            room = store.hgetall(f"{PRESENCE}room:{session_id}")
            _, _, process = json.loads(room[nia_sid.encode()])  # Nia is still listed...
            mark = f"{PRESENCE}alive:{process}"
            assert 0 < store.ttl(mark) <= 30  # ...under a mark nobody refreshes
            assert rejoin(bea)["presence"]["count"] == 4  # so she counts for now
            store.delete(mark)
        finally:
            store.close()

        sender.join(60)
        assert not sender.is_alive() and sender.failure is None, sender.failure
        assert sam.resent  # the send in flight at the kill went again to the second process
        acked = [message["id"] for message in sender.acked]
        assert len(set(acked)) == SENDS
        for member in (sam, lee, bea):
            wait_until(lambda m=member: set(acked) <= set(m.ids()), "every acked message", second)
        for member in (sam, lee, bea):  # each once (a catch-up may interleave with events)
            assert sorted(member.ids()) == acked and member.duplicates == []
        assert sam.failovers == lee.failovers == [second.url]
        with second.database() as db:
            stored = select(func.count()).where(Message.session_id == session_id)
            assert db.scalar(stored) == SENDS  # the resent message stored once
            resent = select(func.count()).where(Message.client_id.in_(sam.resent))
            assert db.scalar(resent) == len(sam.resent)
        # Sam, Lee and Bea; not Nia. A join's ack carries the count announced last (up to
        # CHAT_PRESENCE_SECONDS old), so ask until it is one announced after the expiry.
        wait_until(lambda: rejoin(bea)["presence"]["count"] == 3, "Nia to stop counting", second)
    finally:
        for member in members:
            member.disconnect()
