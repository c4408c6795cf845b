"""The sample nginx configurations in deploy/, used as committed, in front of two app
processes started with the Procfile's web command (gunicorn, one gevent worker each)
on one Redis and one database.

Only the places the samples mark CHANGE are filled in: the upstream servers, the listen
address and port, and the static directory. A minimal main configuration around the
sample keeps nginx's files in a temporary prefix, and logs which process served each
request (`$upstream_addr`), which is how these tests see where a client really went.

ip_hash routes by client address, and every client here comes from 127.0.0.1, which
would send them all to one process. So the main configuration also plays the part of a
load balancer in front of nginx that names the client's address in X-Forwarded-For
(nginx's realip module): clients that name different addresses are routed apart, exactly
as two people on different networks would be.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import ROOT, LiveServer, free_port
from tests.e2e.clients import create_session, register, wait_until
from tests.e2e.test_deployment import procfile
from tests.helpers import missing_service

pytestmark = pytest.mark.e2e

STICKY, WEBSOCKET_ONLY = "nginx.conf", "nginx-websocket-only.conf"

MAIN_CONFIG = """\
{user}worker_processes 1;
error_log {prefix}/error.log notice;
events {{
    worker_connections 256;
}}
http {{
    include {mime_types};
    default_type application/octet-stream;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    log_format routed '$remote_addr $upstream_addr "$request" $status';
    access_log {prefix}/access.log routed;
    # The front load balancer of the module docstring.
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    include {prefix}/traineetalk.conf;
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        missing_service("nginx is not installed (apt-get install nginx)")
    return str(found)


def filled_in(sample: str, backends: list[LiveServer], port: int) -> str:
    """The sample as committed, with only its CHANGE places filled in."""
    text = (ROOT / "deploy" / sample).read_text()
    servers = "".join(f"    server 127.0.0.1:{backend.port};\n" for backend in backends)
    swaps = [
        (r"(    server 127\.0\.0\.1:\d+;\n)+", servers),
        (r"\n    listen 80;\n", f"\n    listen 127.0.0.1:{port};\n"),
        (r" /srv/traineetalk/static/;", f" {ROOT / 'static'}/;"),
    ]
    for pattern, replacement in swaps:
        text, count = re.subn(pattern, lambda _, new=replacement: new, text)
        assert count == 1, f"{sample} no longer has exactly one {pattern!r} to fill in"
    return text


class Nginx:
    """nginx in the foreground, its files under `prefix`, in front of `backends`."""

    def __init__(self, prefix: Path, sample: str, backends: list[LiveServer]) -> None:
        binary = nginx_binary()
        self.prefix, self.port = prefix, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = prefix / "access.log"
        prefix.mkdir()
        (prefix / "traineetalk.conf").write_text(filled_in(sample, backends, self.port))
        conf_dir = re.search(r"--conf-path=(\S+)", version_info(binary))
        mime_types = Path(conf_dir.group(1)).parent if conf_dir else Path("/etc/nginx")
        # As root, nginx's workers would drop to `nobody`, who may not read the checkout.
        user = "user root;\n" if os.geteuid() == 0 else ""
        main = MAIN_CONFIG.format(user=user, prefix=prefix, mime_types=mime_types / "mime.types")
        (prefix / "nginx.conf").write_text(main)
        command = [binary, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"),
                   "-e", str(prefix / "error.log"),
                   "-g", f"daemon off; pid {prefix}/nginx.pid;"]  # fmt: skip
        with (prefix / "stderr.log").open("wb") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=out)
        deadline = time.monotonic() + 30
        while not answers(f"{self.url}/healthz"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx did not start:\n{self.output()}")
            time.sleep(0.05)

    def routes(self) -> list[tuple[str, str, str]]:
        """(client address, app process, request) for each request logged so far."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return [
            (match[1], match[2], match[3])
            for match in map(re.compile(r'(\S+) (\S+) "([^"]*)"').match, lines)
            if match
        ]

    def output(self) -> str:
        logs = [self.prefix / "stderr.log", self.prefix / "error.log"]
        return "".join(log.read_text(errors="replace") for log in logs if log.exists())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def answers(url: str) -> bool:
    """Whether `url` answers 200 now."""
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def version_info(binary: str) -> str:
    return subprocess.run([binary, "-V"], capture_output=True, text=True, check=True).stderr


@pytest.fixture
def backends(tmp_path: Path, redis_url: str) -> Iterator[list[LiveServer]]:
    """Two processes from the Procfile's web command, on one Redis and one SQLite file,
    trusting one proxy, after the Procfile's release command migrated the database."""
    web = [str(Path(sys.executable).parent / "gunicorn"), *procfile()["web"][1:]]
    env = {"CHAT_ENV": "production", "REDIS_URL": redis_url, "CHAT_TRUSTED_PROXIES": "1"}
    servers = [LiveServer(tmp_path, env) for _ in range(2)]
    release = servers[0].flask(*procfile()["release"][3:])
    assert release.returncode == 0, release.stderr
    try:
        for server in servers:
            server.command = [*web, "--bind", f"127.0.0.1:{server.port}"]
            server.start()
        # gunicorn listens before its worker has loaded the app; nginx must not find a
        # process slow to answer, or it would route around it for a while.
        for server in servers:
            wait_until(lambda s=server: answers(f"{s.url}/readyz"), "the app to be ready", server)
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def proxy(tmp_path: Path, backends: list[LiveServer]) -> Iterator[Callable[[str], Nginx]]:
    """Start nginx with one of the samples in front of the backends."""
    started: list[Nginx] = []

    def start(sample: str) -> Nginx:
        started.append(Nginx(tmp_path / "nginx", sample, backends))
        return started[-1]

    yield start
    for nginx in started:
        nginx.stop()


class Visitor:
    """A python-socketio client that reaches the room through nginx and keeps what it
    hears. With `address`, every request it makes (polling and WebSocket alike) carries
    that X-Forwarded-For, as the front load balancer would add."""

    def __init__(self, url: str, token: str, session_id: int, address: str = "") -> None:
        self.url, self.token, self.session_id = url, token, session_id
        self.headers = {"X-Forwarded-For": address} if address else {}
        http = requests.Session()
        http.headers.update(self.headers)
        self.client = socketio.Client(reconnection=False, http_session=http)
        self.heard: list[str] = []
        self.client.on("message", lambda message: self.heard.append(message["body"]))

    def enter(self, transports: list[str] | None = None) -> None:
        """Connect (default transports: polling, then the upgrade) and join the room."""
        self.client.connect(self.url, auth={"token": self.token}, headers=self.headers,
                            transports=transports, wait_timeout=10)  # fmt: skip
        ack = self.client.call("join", {"session_id": self.session_id}, timeout=10)
        assert ack["ok"], ack

    def say(self, body: str) -> None:
        payload = {"session_id": self.session_id, "body": body, "client_id": str(uuid.uuid4())}
        ack = self.client.call("send_message", payload, timeout=10)
        assert ack["ok"], ack

    def leave(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def room(backends: list[LiveServer]) -> tuple[dict[str, str], int]:
    """Fay facilitates a session whose lobby is open; Tam is a member. Their tokens."""
    tokens = register(backends[0], ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
    return tokens, create_session(backends[0], "fay@example.org")


def assert_http_works_through(nginx: Nginx) -> None:
    """A page (with this host in its policy), readiness, and a static file."""
    page = requests.get(nginx.url, timeout=10)
    assert page.status_code == 200 and "Schedule" in page.text
    # The app saw nginx's Host and port, as a browser's Origin will name them.
    assert f"ws://127.0.0.1:{nginx.port}" in page.headers["Content-Security-Policy"]
    ready = requests.get(f"{nginx.url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    script = requests.get(f"{nginx.url}/static/js/room.js", timeout=10)
    assert script.content == (ROOT / "static" / "js" / "room.js").read_bytes()
    # Browsers refuse a module script served as anything but JavaScript.
    assert "javascript" in script.headers["Content-Type"]
    # nginx itself refuses a Socket.IO payload larger than the app would take.
    too_big = requests.post(
        f"{nginx.url}/socket.io/?EIO=4&transport=polling", data=b"x" * (64 * 1024 + 1), timeout=10
    )
    assert too_big.status_code == 413 and "nginx" in too_big.text


def process_of(nginx: Nginx, address: str, backend: LiveServer) -> str:
    """Which app process nginx sends `address`'s requests to (seen in its log)."""
    path = f"/healthz?from={address}"
    assert requests.get(f"{nginx.url}{path}", headers={"X-Forwarded-For": address}, timeout=10).ok

    def served() -> list[str]:
        return [process for _, process, request in nginx.routes() if path in request]

    wait_until(served, f"nginx to log the request from {address}", backend)
    return served()[0]


def test_sticky_sessions_keep_each_client_on_its_process(
    proxy: Callable[[str], Nginx], backends: list[LiveServer]
) -> None:
    nginx = proxy(STICKY)
    assert_http_works_through(nginx)
    # Two client addresses that ip_hash sends to different processes.
    by_process: dict[str, str] = {}
    for n in range(1, 50):
        by_process.setdefault(process_of(nginx, f"10.0.{n}.1", backends[0]), f"10.0.{n}.1")
        if len(by_process) == 2:
            break
    assert sorted(by_process) == sorted(f"127.0.0.1:{b.port}" for b in backends), by_process
    tokens, session_id = room(backends)
    fay_at, tam_at = by_process.values()
    fay = Visitor(nginx.url, tokens["Fay"], session_id, address=fay_at)
    tam = Visitor(nginx.url, tokens["Tam"], session_id, address=tam_at)
    try:
        for visitor in (fay, tam):
            visitor.enter()  # polling first: handshake, then the upgrade naming its session
            wait_until(
                lambda v=visitor: v.client.transport() == "websocket",
                "the upgrade to WebSocket through nginx",
                backends[0],
            )
        greet_each_other(fay, tam, backends[1])
    finally:
        fay.leave()
        tam.leave()

    def socket_routes(address: str) -> list[tuple[str, str]]:
        return [(p, r) for a, p, r in nginx.routes() if a == address and "/socket.io/" in r]

    # Each client's every request, polls and its WebSocket (logged once closed) alike,
    # went to the process its address is pinned to.
    for process, address in by_process.items():
        wait_until(
            lambda a=address: any("transport=websocket" in r for _, r in socket_routes(a)),
            "nginx to log the closed WebSocket",
            backends[0],
        )
        assert {p for p, _ in socket_routes(address)} == {process}
        assert any("transport=polling" in r for _, r in socket_routes(address))


def greet_each_other(fay: Visitor, tam: Visitor, server: LiveServer) -> None:
    """Each says hello through nginx; both hear both, whichever process each is on."""
    fay.say("Welcome, everyone.")
    tam.say("Hello from the other process.")
    both = ["Welcome, everyone.", "Hello from the other process."]
    for visitor in (fay, tam):
        wait_until(lambda v=visitor: v.heard == both, "both messages for both", server)


def test_websocket_only_needs_no_stickiness(
    proxy: Callable[[str], Nginx], backends: list[LiveServer]
) -> None:
    nginx = proxy(WEBSOCKET_ONLY)
    assert_http_works_through(nginx)
    # Long-polling is refused by nginx itself (the app would answer this handshake).
    handshake = requests.get(f"{nginx.url}/socket.io/?EIO=4&transport=polling", timeout=10)
    assert handshake.status_code == 400
    tokens, session_id = room(backends)
    fay = Visitor(nginx.url, tokens["Fay"], session_id)
    tam = Visitor(nginx.url, tokens["Tam"], session_id)
    try:
        for visitor in (fay, tam):
            visitor.enter(transports=["websocket"])
        greet_each_other(fay, tam, backends[1])
    finally:
        fay.leave()
        tam.leave()

    def websockets() -> list[str]:
        return [p for _, p, r in nginx.routes() if "transport=websocket" in r]

    # least_conn gave the second connection to the process without one.
    wait_until(lambda: len(websockets()) == 2, "nginx to log both WebSockets", backends[0])
    assert sorted(websockets()) == sorted(f"127.0.0.1:{b.port}" for b in backends)
