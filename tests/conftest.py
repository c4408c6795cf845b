"""Fixtures: app, client, sign-in helper, socket clients and a real server process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from chat import create_app
from chat.extensions import db, make_engine, socketio
from chat.migrate import upgrade
from chat.services import accounts
from tests.helpers import PASSWORD, Clock, make_user, missing_service
from tests.postgres import PostgresDatabases

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashing() -> Iterator[None]:
    """Real argon2 with the smallest cost: hashing for every test user dominated the run.

    Production keeps argon2-cffi's defaults; servers started by end-to-end tests too.
    """
    production = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    yield
    accounts._hasher = production


POSTGRES_ADMIN_URL = os.environ.get(
    "CHAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASES = ("sqlite", "postgresql")
# Layers cheap enough to run twice; end-to-end and browser tests start real servers, so
# they use one database (SQLite unless CHAT_TEST_DATABASE says otherwise).
BOTH_DATABASES = {"unit", "http", "sockets", "test_cli.py"}


def chosen_database() -> str | None:
    """CHAT_TEST_DATABASE: run every layer on this database only (unset: the default mix)."""
    chosen = os.environ.get("CHAT_TEST_DATABASE") or None
    if chosen is not None and chosen not in DATABASES:
        raise pytest.UsageError(f"CHAT_TEST_DATABASE must be one of {', '.join(DATABASES)}")
    return chosen


def databases_for(test_file: Path) -> list[str]:
    """The databases a test in `test_file` runs on."""
    chosen = chosen_database()
    if chosen is not None:
        return [chosen]
    layer = test_file.relative_to(ROOT / "tests").parts[0]
    return list(DATABASES) if layer in BOTH_DATABASES else ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that uses `database` (through `app`, say) once per database."""
    if "database" in metafunc.fixturenames:
        dbs = databases_for(metafunc.definition.path)
        metafunc.parametrize("database", dbs, indirect=True, ids=dbs)


_postgres: PostgresDatabases | None = None
_postgres_missing = ""


def postgres() -> PostgresDatabases:
    """This run's PostgreSQL databases, connecting on first use; skips (or fails) the
    calling test when the server is unreachable."""
    global _postgres, _postgres_missing
    if _postgres is None and not _postgres_missing:
        try:
            _postgres = PostgresDatabases(POSTGRES_ADMIN_URL)
        except OperationalError as exc:
            _postgres_missing = f"PostgreSQL at {POSTGRES_ADMIN_URL}: {exc.orig}"
    if _postgres is None:
        missing_service(_postgres_missing)
    return _postgres


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop this run's PostgreSQL databases."""
    global _postgres
    if _postgres is not None:
        _postgres.close()
        _postgres = None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database with every migration applied, dropped afterwards."""
    databases = postgres()
    url = databases.migrated()
    yield url
    databases.drop(url)


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    """The database this test runs on, "sqlite" or "postgresql" (see pytest_generate_tests)."""
    return str(request.param)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, database: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database with every migration applied, on `database`."""
    if database == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("migrated_db"), path)
        yield f"sqlite:///{path}"
    else:
        databases = postgres()
        url = databases.borrow()
        yield url
        databases.give_back(url)


@pytest.fixture
def empty_database_url(database: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new database without tables, on `database`."""
    if database == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        url = postgres().empty()
        yield url
        postgres().drop(url)


@pytest.fixture(autouse=True)
def _drop_live_server_databases(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test's own live servers' PostgreSQL databases (in its tmp_path) go with it; those
    of servers a module shares (in a tmp_path_factory directory) stay until the run ends."""
    own = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if _postgres is not None and own is not None:
        _postgres.drop_live(own)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on a random port (no persistence), stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(tmp_path)]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Settings added to `app`'s; a test overrides this fixture (or parametrizes it)."""
    return {}


@pytest.fixture
def app(database_url: str, clock: Clock, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "CHAT_ASYNC_MODE": "threading",
            "WTF_CSRF_ENABLED": False,
            "CHAT_CLOCK_ENABLED": False,
            # Every presence change at once: tests read what each event sent, in order.
            "CHAT_PRESENCE_SECONDS": 0,
            "CHAT_NOW": clock,
            "SERVER_NAME": "traineetalk.test",
            **app_config,
        }
    )
    with app.app_context():
        yield app
        db.remove()
    assert db.engine is not None
    db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Auth:
    """Sign in and out through the real forms."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture
def organiser(app: Flask) -> Any:
    return make_user(db.session, "org@example.org", "Olu Organiser", organiser=True)


@pytest.fixture
def member(app: Flask) -> Any:
    return make_user(db.session, "trainee@example.org", "Tam Trainee")


@pytest.fixture
def socket_client(app: Flask) -> Any:
    """Make Socket.IO test clients that carry a signed-in Flask client's cookie."""
    made = []

    def connect(flask_client: FlaskClient | None = None, auth: Any = None) -> Any:
        sio = socketio.test_client(app, flask_test_client=flask_client, auth=auth)
        made.append(sio)
        return sio

    yield connect
    for sio in made:
        if sio.is_connected():
            sio.disconnect()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """`python app.py` in a subprocess on a random port with its own database."""

    def __init__(self, tmp: Path, extra_env: dict[str, str] | None = None) -> None:
        self.command = [sys.executable, "app.py"]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "DATABASE_URL": live_database_url(tmp, extra_env or {}),
            "SECRET_KEY": "e2e-secret",
            "CHAT_ENV": "development",
            "PYTHONUNBUFFERED": "1",
            # Scripted clients write faster than people; flood control has its own tests.
            "CHAT_MESSAGE_BURST": "50",
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> LiveServer:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=out, stderr=out
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.output()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @contextmanager
    def database(self) -> Iterator[Session]:
        """A session on this server's own database, for setup that needs no page."""
        engine = make_engine(self.env["DATABASE_URL"])
        try:
            with Session(engine) as db_session:
                yield db_session
        finally:
            engine.dispose()

    def flask(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run a `flask --app app` command against this server's database."""
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )


def live_database_url(tmp: Path, extra_env: dict[str, str]) -> str:
    """A live server's database: SQLite in `tmp`, or PostgreSQL under
    CHAT_TEST_DATABASE=postgresql (shared by the servers of one test, like the file)."""
    if "DATABASE_URL" in extra_env or chosen_database() != "postgresql":
        return f"sqlite:///{tmp / 'live.db'}"
    return postgres().for_live_server(tmp)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path).start()
    yield server
    server.stop()
