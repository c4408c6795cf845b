"""Turn domain events into Socket.IO emits; the only place that knows room names."""

from __future__ import annotations

from collections.abc import Iterable

from chat.events import RoomEvent, StaffChanged, StaffEvent
from chat.extensions import socketio


def room_name(session_id: int) -> str:
    """The Socket.IO room of everyone on one session's page."""
    return f"session:{session_id}"


def audience(session_id: int, staff: bool) -> str:
    """Staff (facilitators and organisers) hear names and backstage; members do not."""
    return f"{room_name(session_id)}:{'staff' if staff else 'members'}"


def broadcast(events: Iterable[RoomEvent]) -> None:
    """Emit each event to the sockets of the session that may hear it."""
    for event in events:
        if isinstance(event, StaffEvent):
            socketio.emit(event.name, event.payload, to=audience(event.session_id, staff=True))
            continue
        if isinstance(event, StaffChanged):
            # Nobody keeps staff privileges they may have lost: the staff room empties
            # (in every process, through the message queue) and clients re-join.
            socketio.close_room(audience(event.session_id, staff=True))
        socketio.emit(event.name, event.payload, to=room_name(event.session_id))
