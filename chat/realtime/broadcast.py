"""Turn domain events into Socket.IO emits; the only place that knows room names."""

from __future__ import annotations

from collections.abc import Iterable

from chat.events import RoomEvent
from chat.extensions import socketio


def room_name(session_id: int) -> str:
    """The Socket.IO room of everyone on one session's page."""
    return f"session:{session_id}"


def broadcast(events: Iterable[RoomEvent]) -> None:
    """Emit each event to the room of the session it belongs to."""
    for event in events:
        socketio.emit(event.name, event.payload, to=room_name(event.session_id))
