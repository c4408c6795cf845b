"""A server told to stop (SIGTERM, as a platform does before a restart or a deploy)
drains: it refuses new connections, finishes the write in flight, then drops its
connections so that clients reconnect, and exits. Both ways of serving: the Procfile's
gunicorn command and `python app.py`."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from sqlalchemy import create_engine, func, select, text

from chat.models import Message
from tests.conftest import LiveServer
from tests.e2e.clients import Rejoining, create_session, hang_up, register, wait_until
from tests.e2e.test_deployment import procfile

pytestmark = pytest.mark.e2e


def refused_for(server: LiveServer, token: str) -> str | None:
    """Try a new connection; the code it was refused with, or None if it was let in."""
    probe = socketio.Client(reconnection=False)
    refusals: list[Any] = []
    probe.on("connect_error", refusals.append)
    try:
        probe.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return str(refusals[0]["data"]["code"]) if refusals else "no answer"
    hang_up(probe)
    return None


def gunicorn(server: LiveServer) -> None:
    """Serve with the Procfile's web command instead of `python app.py`."""
    web = procfile()["web"]
    server.command = [str(Path(sys.executable).parent / web[0]), *web[1:]]
    server.command += ["--bind", f"127.0.0.1:{server.port}"]


@pytest.fixture(params=["gunicorn", "app.py"])
def server(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str
) -> Iterator[LiveServer]:
    """A server on PostgreSQL, where a test can hold a write back with a lock without
    holding up the server (SQLite's busy wait would block its whole event loop)."""
    live = LiveServer(tmp_path, {"DATABASE_URL": postgres_url})
    if request.param == "gunicorn":
        gunicorn(live)
    yield live.start()
    live.stop()


def test_sigterm_finishes_the_write_in_flight_then_clients_reconnect(server: LiveServer) -> None:
    tokens = register(server, ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
    session_id = create_session(server, "fay@example.org")
    tam = Rejoining(server.url, tokens["Tam"], session_id)
    tam.connect()
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with engine.connect() as holder:
            # Hold every insert into messages back until the test lets go.
            holder.execute(text("LOCK TABLE messages IN EXCLUSIVE MODE"))
            acked = threading.Event()
            answer: dict[str, Any] = {}
            client_id = str(uuid.uuid4())
            payload = {"session_id": session_id, "body": "Just in time", "client_id": client_id}

            def on_ack(ack: dict[str, Any]) -> None:
                answer.update(ack)
                acked.set()

            tam.client.emit("send_message", payload, callback=on_ack)
            waiting = text(
                "SELECT count(*) FROM pg_locks WHERE NOT granted"
                " AND relation = 'messages'::regclass"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            wait_until(lambda: holder.scalar(waiting) > 0, "the insert to wait", server)

            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            # Draining: a new connection is refused, saying why (and the server's event
            # loop is not stuck behind the waiting insert).
            codes: list[str | None] = []

            def refused() -> bool:
                codes.append(refused_for(server, tokens["Fay"]))
                return codes[-1] is not None

            wait_until(refused, "a new connection to be refused", server)
            assert codes[-1] == "unavailable"
            assert not acked.is_set() and tam.client.connected  # the write is still on
            holder.rollback()  # let the insert go

        wait_until(acked.is_set, "the ack of the write in flight", server)
        assert answer["ok"] is True, answer
        with server.database() as db:
            stored = select(func.count()).where(Message.client_id == client_id)
            assert db.scalar(stored) == 1

        # Dropped, not sent away: a client that reconnects by itself tries again.
        wait_until(lambda: tam.reasons, "Tam's connection to close", server)
        assert tam.reasons[0] not in (socketio.Client.reason.SERVER_DISCONNECT, "")
        try:
            assert server.proc.wait(timeout=25) == 0
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server did not exit after draining:\n{server.output()[-3000:]}")
        assert "Draining" in server.output() and "Drained" in server.output()

        server.start()  # its successor, at the same address
        wait_until(lambda: tam.rejoins, "Tam to reconnect and join again", server)
        assert tam.rejoins[0]["ok"] is True, tam.rejoins[0]
        assert tam.bodies().count("Just in time") == 1
    finally:
        hang_up(tam.client)
        engine.dispose()
