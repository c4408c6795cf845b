"""One structured log line per socket event, for operators: which event, on which
connection, by which user, about which session, what came of it and how long it took.

Only ids and outcome codes are written, never a message body or anything else a member
typed: the log is read by whoever runs the servers, not by the room.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, session
from flask_socketio import ConnectionRefusedError

from chat.errors import ChatError
from chat.extensions import socketio
from chat.realtime import context, shutdown

log = logging.getLogger("chat.events")
Handler = TypeVar("Handler", bound=Callable[..., Any])


def on(event: str) -> Callable[[Handler], Handler]:
    """Like `@socketio.on(event)`, and each call of the handler is logged as a line (and
    counted as in flight, for a graceful shutdown)."""

    def register(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def logged(*args: Any) -> Any:
            started = time.perf_counter()
            outcome = "unavailable"  # unless the handler returns or raises what it meant
            try:
                with shutdown.in_flight(event):
                    result = handler(*args)
                outcome = _outcome(result)
                return result
            except ChatError as exc:
                outcome = exc.code
                raise
            except ConnectionRefusedError:
                outcome = "refused"
                raise
            finally:
                write(event, args[0] if args else None, outcome, time.perf_counter() - started)

        socketio.on(event)(logged)
        return handler

    return register


def write(event: str, data: Any, outcome: str, seconds: float) -> None:
    """Log one event as a JSON object on one line."""
    if not log.isEnabledFor(logging.INFO):  # every event passes here: skip the encoding
        return
    session_id = data.get("session_id") if isinstance(data, dict) else None
    line = {
        "event": event,
        "sid": context.sid(),
        "user_id": session.get(context.SOCKET_USER),
        "session_id": session_id if type(session_id) is int else None,
        "outcome": outcome,
        "ms": round(seconds * 1000, 1),
    }
    log.info(json.dumps(line, separators=(",", ":")))


def _outcome(result: Any) -> str:
    if isinstance(result, dict) and result.get("ok") is False:
        return str(result.get("error", {}).get("code", "invalid"))
    return "ok"


def init_app(app: Flask) -> None:
    """Write the event lines to standard error, unless CHAT_EVENT_LOG=0 switched them off
    or the deployment configured logging itself (a handler on the root logger)."""
    log.disabled = not app.config["CHAT_EVENT_LOG"]
    if log.disabled or log.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # Flask's handler on the app's logger ("chat") would repeat it
