"""Extensions created unbound and bound to an app in create_app()."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker

# psycopg waits 130 s for a database host that does not answer; every request and socket
# event would hang that long instead of being refused. A `connect_timeout` in the URL wins.
CONNECT_TIMEOUT_SECONDS = 5


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and the writer work at once; foreign keys are off by default."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create the SQLAlchemy engine for a database URL, with SQLite tuned for a web server
    and a server database that fails fast when it cannot be reached."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    timeout = (
        {}
        if "connect_timeout" in make_url(url).query
        else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    )
    return create_engine(url, pool_pre_ping=True, connect_args=timeout)


class Database:
    """The engine and a request-scoped ORM session, bound by init_app()."""

    def __init__(self) -> None:
        self._scoped: scoped_session[Session] = scoped_session(sessionmaker(expire_on_commit=False))
        self.engine: Engine | None = None

    @property
    def session(self) -> Session:
        """The ORM session of the current request, greenlet or thread."""
        return self._scoped()

    def has_session(self) -> bool:
        """Whether the current request, greenlet or thread has opened its session yet."""
        return self._scoped.registry.has()

    def remove(self) -> None:
        """Close the current session (end of a request, event or clock tick)."""
        self._scoped.remove()

    def init_app(self, app: Flask) -> None:
        """Bind to the app's DATABASE_URL and close the session after each request."""
        self.engine = make_engine(app.config["DATABASE_URL"])
        self._scoped.remove()
        self._scoped.configure(bind=self.engine)
        app.extensions["chat_db"] = self

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self._scoped.remove()


db = Database()
socketio = SocketIO()
login_manager = LoginManager()
csrf = CSRFProtect()
