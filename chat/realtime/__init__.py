"""Socket.IO handlers, the broadcaster and the clock task."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the socket handlers (importing the module binds them to `socketio`)."""
    from chat.realtime import handlers  # noqa: F401
