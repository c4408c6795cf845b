"""The other ways to serve the app: the Procfile's gunicorn command, and eventlet."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import ROOT, LiveServer
from tests.e2e.clients import wait_until
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e


def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {name: shlex.split(cmd) for name, cmd in (line.split(":", 1) for line in lines if line)}


def join_with_token(server: LiveServer) -> dict:
    made = server.flask("users", "create", "t@example.org", "--name", "Tam", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    token = server.flask("users", "token", "t@example.org").stdout.strip()
    client = socketio.Client(reconnection=False)
    client.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    try:
        return client.call("join", {"session_id": 1}, timeout=10)
    finally:
        client.disconnect()


def test_procfile_release_then_web_serves_in_production_mode(tmp_path: Path) -> None:
    commands = procfile()
    assert commands["web"][:6] == ["gunicorn", "-k", "gevent", "-w", "1", "--worker-connections"]
    bin_dir = Path(sys.executable).parent
    web = [str(bin_dir / "gunicorn"), *commands["web"][1:]]
    server = LiveServer(tmp_path, {"CHAT_ENV": "production"})
    server.command = [*web, "--bind", f"127.0.0.1:{server.port}"]
    release = server.flask(*commands["release"][3:])
    assert release.returncode == 0 and "Database is up to date." in release.stdout
    server.start()
    try:
        page = requests.get(server.url, timeout=10)
        assert page.status_code == 200 and "Schedule" in page.text
        ack = join_with_token(server)
        assert ack["ok"] is False and ack["error"]["code"] == "not_found"
        assert "Secure" in requests.get(f"{server.url}/login", timeout=10).headers["Set-Cookie"]
    finally:
        server.stop()


def test_web_concurrency_cannot_add_workers(tmp_path: Path) -> None:
    """Platforms set WEB_CONCURRENCY for gunicorn; the Procfile's `-w 1` must win, since a
    second worker in one process group would split Socket.IO sessions between them."""
    web = [str(Path(sys.executable).parent / "gunicorn"), *procfile()["web"][1:]]
    server = LiveServer(tmp_path, {"WEB_CONCURRENCY": "4"})
    # At debug level the master logs "N workers" once it has started them all.
    server.command = [*web, "--bind", f"127.0.0.1:{server.port}", "--log-level", "debug"]
    server.start()
    try:
        started = re.compile(r"\[DEBUG\] (\d+) workers$", re.MULTILINE)
        output = server.output
        wait_until(
            lambda: started.search(output()) and "Booting worker" in output(),
            "gunicorn to start its workers",
            server,
        )
        assert started.findall(server.output()) == ["1"]
        assert server.output().count("Booting worker") == 1
    finally:
        server.stop()


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, {"CHAT_ENV": "production", "SECRET_KEY": ""})
    result = server.flask("sessions", "list")
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr


def test_eventlet_smoke(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, {"CHAT_ASYNC_MODE": "eventlet"}).start()
    try:
        assert requests.get(server.url, timeout=10).status_code == 200
        ack = join_with_token(server)
        assert ack["error"]["code"] == "not_found"
        assert "(eventlet)" in server.output()
    finally:
        server.stop()
