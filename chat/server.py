"""Running the app as a server with `python app.py`."""

from __future__ import annotations

import gc
from collections.abc import Callable

from flask import Flask

from chat import migrate
from chat.extensions import db, socketio
from chat.realtime import shutdown
from chat.services import accounts


def first_start_link(app: Flask) -> str | None:
    """If no organiser exists yet, a fresh one-time set-up link; else None."""
    with app.app_context():
        try:
            if not accounts.needs_first_organiser(db.session):
                return None
            token = accounts.issue_setup_link_token(db.session, app.config["CHAT_NOW"]())
        finally:
            db.remove()
    base = app.config["CHAT_PUBLIC_URL"] or (
        f"http://{app.config['CHAT_HOST']}:{app.config['CHAT_PORT']}"
    )
    return f"{base.rstrip('/')}/setup/{token}"


# A join or a message allocates thousands of short-lived objects (rows, payloads); at
# CPython's default threshold (700) the cyclic collector took about a fifth of a join
# storm's CPU. See docs/performance.md.
YOUNG_COLLECTION_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """Collect young objects less often, and leave out of every collection what was
    loaded at start (modules, the app), which lives as long as the process."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, 50, 100)


def serve(app: Flask) -> None:
    """Migrate, print the set-up link if needed, and serve until stopped."""
    migrate.upgrade(app.config["DATABASE_URL"])
    link = first_start_link(app)
    if link:
        print(
            f"\nNo organiser yet. Open this one-time link to create yours:\n  {link}\n", flush=True
        )
    host, port = app.config["CHAT_HOST"], app.config["CHAT_PORT"]
    print(f"TraineeTalk Live on http://{host}:{port} ({socketio.async_mode})", flush=True)
    tune_garbage_collector()
    stop = _stopper()
    if stop is not None:
        shutdown.drain_on_sigterm(socketio.server, stop)
    socketio.run(app, host=host, port=port, log_output=app.config["CHAT_ENV"] == "development")


def _stopper() -> Callable[[], None] | None:
    """What ends `socketio.run` from a background task once drained, or None for
    Werkzeug's server (tests only), which keeps Python's default on SIGTERM."""
    if socketio.async_mode == "gevent":
        return socketio.stop  # stops its WSGIServer, so `run` returns
    if socketio.async_mode == "eventlet":
        import eventlet

        serving = eventlet.getcurrent()  # where `run` will wait for connections
        # eventlet's server loop ends on SystemExit (Flask-SocketIO's stop raises it too,
        # but in the caller's green thread).
        return lambda: eventlet.kill(serving, SystemExit)
    return None
