"""The clock task: announces each session's state change once, when it happens, and
posts the next prompt when auto-advance is on and the current one's time is up."""

from __future__ import annotations

import logging
from threading import Lock

from flask import Flask

from chat.events import RoomEvent
from chat.extensions import db, socketio
from chat.realtime import presence
from chat.realtime.broadcast import broadcast
from chat.services import prompts, rooms

log = logging.getLogger(__name__)
_started: set[int] = set()
_start_lock = Lock()


def tick(app: Flask) -> int:
    """Announce every due transition and auto-advance due prompts, each once; return
    how many events were broadcast."""
    with app.app_context():
        now, lobby_minutes = app.config["CHAT_NOW"](), app.config["CHAT_LOBBY_MINUTES"]
        try:
            events: list[RoomEvent] = [*rooms.due_transitions(db.session, now, lobby_minutes)]
            events += prompts.due_prompts(db.session, now, lobby_minutes)
        finally:
            db.remove()
    broadcast(events)
    return len(events)


def _run(app: Flask) -> None:
    while True:
        try:
            presence.heartbeat()
            tick(app)
        except Exception:  # keep ticking: one bad tick must not stop every later change
            log.exception("clock tick failed")
        socketio.sleep(app.config["CHAT_CLOCK_SECONDS"])


def ensure_started(app: Flask) -> None:
    """Start this process's clock once (the compare-and-swap makes several processes safe)."""
    if not app.config["CHAT_CLOCK_ENABLED"]:
        return
    with _start_lock:
        if id(app) in _started:
            return
        _started.add(id(app))
    socketio.start_background_task(_run, app)
