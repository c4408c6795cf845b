"""Redis restarts during a session: messages are still stored and acked while it is down,
and once it is back every process subscribes again and its members catch up from the
database, each message once; then messages cross between processes as before."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from chat.models import Message
from tests.conftest import LiveServer, free_port
from tests.e2e.clients import Rejoining, create_session, hang_up, register, wait_until
from tests.helpers import missing_service

pytestmark = pytest.mark.e2e


class RedisServer:
    """A throwaway redis-server (no persistence) that can stop and start on one port."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--dir", str(directory)]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis(port=self.port)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    client.ping()
                    return self
                except redis.ConnectionError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"redis-server did not start on {self.port}") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(binary, tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def workers(tmp_path: Path, redis_server: RedisServer) -> Iterator[tuple[LiveServer, LiveServer]]:
    first = LiveServer(tmp_path, {"REDIS_URL": redis_server.url}).start()  # migrates first
    second = LiveServer(tmp_path, {"REDIS_URL": redis_server.url}).start()  # same database
    yield first, second
    second.stop()
    first.stop()


def test_after_a_redis_restart_members_catch_up_and_messages_cross_again(
    workers: tuple[LiveServer, LiveServer], redis_server: RedisServer
) -> None:
    first, second = workers
    tokens = register(first, ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
    session_id = create_session(first, "fay@example.org")
    fay = Rejoining(first.url, tokens["Fay"], session_id)
    tam = Rejoining(second.url, tokens["Tam"], session_id)
    try:
        fay.connect()
        tam.connect()
        assert fay.send("Before the restart.")["ok"]
        wait_until(lambda: "Before the restart." in tam.bodies(), "Tam to hear Fay", second)

        redis_server.stop()
        ack = fay.send("While Redis is down.")
        assert ack["ok"] is True, ack  # stored and acked all the same
        with first.database() as db:
            stored = select(func.count()).where(Message.client_id == ack["message"]["client_id"])
            assert db.scalar(stored) == 1
        assert "While Redis is down." not in tam.bodies()  # it could not cross

        redis_server.start()
        # Each process subscribes again and its members reconnect and catch up.
        for member, server in ((tam, second), (fay, first)):
            wait_until(lambda m=member: m.rejoins, "a member to join again", server)
            assert all(rejoin["ok"] for rejoin in member.rejoins), member.rejoins
        wait_until(lambda: "While Redis is down." in tam.bodies(), "Tam to catch up", second)

        assert tam.send("After the restart.")["ok"]
        wait_until(lambda: "After the restart." in fay.bodies(), "Fay to hear Tam", first)
        for member in (fay, tam):
            for body in ("Before the restart.", "While Redis is down.", "After the restart."):
                assert member.bodies().count(body) == 1, (body, member.bodies())
    finally:
        for member in (fay, tam):
            hang_up(member.client)
