"""The database stops for a while: sends are refused with `unavailable` instead of hanging
or crashing the server, nothing half-written is left behind, and the room works again
once PostgreSQL is back. Also: a query waiting on the database holds up nothing else in
the process, and a database host that never answers is given up on quickly.

These tests run their own PostgreSQL cluster, so stopping it disturbs nobody else's.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import socketio
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from chat.extensions import CONNECT_TIMEOUT_SECONDS, make_engine
from chat.migrate import upgrade
from chat.models import ChatSession, Message
from chat.services import schedule
from tests.conftest import LiveServer, free_port
from tests.e2e.clients import Member, create_session, register, wait_until
from tests.helpers import missing_service

pytestmark = pytest.mark.e2e


def server_programs() -> Path | None:
    """The directory of initdb and pg_ctl: on PATH, or where Debian keeps them."""
    on_path = shutil.which("initdb")
    found = (
        [Path(on_path).resolve()]
        if on_path
        else sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    )
    return found[-1].parent if found else None


class Cluster:
    """A throwaway PostgreSQL cluster on a random port, started and stopped at will.

    PostgreSQL refuses to run as root, so as root it runs as the `postgres` OS user, in a
    directory of its own under /tmp (pytest's tmp_path is private to root)."""

    def __init__(self, programs: Path) -> None:
        self.programs = programs
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="tt-pg-"))
        self.data = self.home / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/traineetalk"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [*self.as_owner, *command], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"

    def init(self) -> None:
        """Create the cluster and its database."""
        initdb = str(self.programs / "initdb")
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync",
                  "-E", "UTF8", "--locale", "C")  # fmt: skip
        self.start()
        admin = create_engine(self.url.replace("/traineetalk", "/postgres"))
        try:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("CREATE DATABASE traineetalk"))
        finally:
            admin.dispose()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.programs / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.home / "log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.programs / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop the cluster if it runs, and delete it."""
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    programs = server_programs()
    if programs is None:
        missing_service("PostgreSQL's initdb is not installed (apt-get install postgresql)")
        return
    made = Cluster(programs)
    try:
        made.init()
        upgrade(made.url)
        yield made
    finally:
        made.remove()


@pytest.fixture
def server(tmp_path: Path, cluster: Cluster) -> Iterator[LiveServer]:
    started = LiveServer(tmp_path, {"DATABASE_URL": cluster.url}).start()
    yield started
    started.stop()


class Watcher(Member):
    """A member who also keeps the `state` events and the latest `presence` count."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.states: list[str] = []
        self.present = 0
        self.client.on("state", lambda data: self.states.append(data["state"]))
        self.client.on("presence", self._on_presence)

    def _on_presence(self, data: dict[str, Any]) -> None:
        self.present = data["count"]


def readiness(server: LiveServer) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{server.url}/readyz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def stored_with(server: LiveServer, client_id: str) -> int:
    with server.database() as db:
        return db.scalar(select(func.count()).where(Message.client_id == client_id)) or 0


def test_a_database_outage_refuses_sends_then_the_room_recovers(
    cluster: Cluster, server: LiveServer
) -> None:
    names = ("Fay", "Tam", "Ben", "Ivy")
    tokens = register(server, *((f"{name.lower()}@example.org", name) for name in names))
    session_id = create_session(server, "fay@example.org")
    fay = Watcher(server, tokens["Fay"], session_id)
    tam, ben, ivy = (Member(server, tokens[name], session_id) for name in names[1:])
    try:
        for member in (fay, tam, ben):
            member.connect()
        wait_until(lambda: fay.present == 3, "Fay to see three here", server)

        cluster.stop()
        client_id = str(uuid.uuid4())
        refused = tam.send_ack("Is anyone there?", client_id)
        assert refused["ok"] is False and refused["error"]["code"] == "unavailable", refused
        assert server.proc is not None and server.proc.poll() is None  # still serving
        status, body = readiness(server)
        assert status == 503 and body["checks"]["database"] == "unreachable", body
        # A new connection is refused with a reason, rather than let in unauthenticated.
        with pytest.raises(socketio.exceptions.ConnectionError):
            ivy.connect()
        assert ivy.refusal["data"]["code"] == "unavailable", ivy.refusal
        # Leaving still updates who is here, though the visit cannot be recorded.
        ben.disconnect()
        wait_until(lambda: fay.present == 2, "Fay to see Ben leave", server)
        # The clock keeps trying while the database is away.
        wait_until(lambda: "clock tick failed" in server.output(), "a failed tick", server)

        cluster.start()
        assert readiness(server)[0] == 200
        stored = tam.send("Is anyone there?", client_id)  # the same message, retried
        assert stored_with(server, client_id) == 1
        wait_until(lambda: "Is anyone there?" in fay.bodies(), "Fay to hear it", server)
        assert fay.bodies() == tam.bodies() == ["Is anyone there?"]
        assert fay.duplicates == tam.duplicates == []
        with server.database() as db:  # nothing half-written by the refused attempt
            assert db.scalar(select(func.count()).select_from(Message)) == 1

        joined = ivy.connect()
        assert [m["id"] for m in joined["messages"]] == [stored["id"]]

        # The clock survived: the session going live now is announced.
        with server.database() as db:
            schedule.get_session(db, session_id).starts_at = datetime.now(UTC) - timedelta(
                seconds=1
            )
            db.commit()
        wait_until(lambda: "live" in fay.states, "the clock to announce live", server)
    finally:
        for member in (fay, tam, ben, ivy):
            member.disconnect()


def test_a_query_waiting_on_the_database_holds_up_nothing_else(
    cluster: Cluster, server: LiveServer
) -> None:
    """psycopg waits cooperatively under gevent's monkey-patching: while one send waits
    for a row lock, the same process still answers others, database queries included."""
    tokens = register(server, ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
    session_id = create_session(server, "fay@example.org")
    tam = Member(server, tokens["Tam"], session_id)
    engine = create_engine(cluster.url)
    answers: list[dict[str, Any]] = []
    try:
        tam.connect()
        with engine.connect() as holder, engine.connect() as watcher:
            lock = select(ChatSession.id).where(ChatSession.id == session_id).with_for_update()
            holder.execute(lock)  # a writer's lock on the room, held until the rollback
            payload = {"session_id": session_id, "body": "Hello", "client_id": str(uuid.uuid4())}
            tam.client.emit("send_message", payload, callback=answers.append)
            waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            wait_until(lambda: watcher.execute(waiting).scalar() == 1, "the send to wait", server)
            assert readiness(server) == (200, {"status": "ok", "checks": {"database": "ok"}})
            assert answers == []  # the send is still waiting: the process was not
            holder.rollback()
        wait_until(lambda: answers != [], "the send's ack", server)
        assert answers[0]["ok"], answers
    finally:
        tam.disconnect()
        engine.dispose()


def test_a_database_that_does_not_answer_is_given_up_on(tmp_path: Path) -> None:
    """A host that accepts the connection and never answers (a hung server, a dropped
    route) fails the connection within CONNECT_TIMEOUT_SECONDS, not psycopg's 130 s."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/x")
        outcome: list[BaseException] = []

        def connect() -> None:
            try:
                engine.connect().close()
            except OperationalError as exc:
                outcome.append(exc)

        trying = threading.Thread(target=connect, daemon=True)
        trying.start()
        trying.join(CONNECT_TIMEOUT_SECONDS * 6)  # a bound on waiting, far above the timeout
        engine.dispose()
    assert outcome and "timeout" in str(outcome[0]), "still waiting for a silent database"
