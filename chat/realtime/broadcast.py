"""Turn domain events into Socket.IO emits; the only place that knows room names."""

from __future__ import annotations

from collections.abc import Iterable

from chat.events import (
    MemberRemoved,
    QuestionChanged,
    RoomEvent,
    StaffChanged,
    StaffEvent,
    UserEvent,
)
from chat.extensions import socketio


def room_name(session_id: int) -> str:
    """The Socket.IO room of everyone on one session's page."""
    return f"session:{session_id}"


def audience(session_id: int, staff: bool) -> str:
    """Staff (facilitators and organisers) hear names and backstage; members do not."""
    return f"{room_name(session_id)}:{'staff' if staff else 'members'}"


def user_room(user_id: int) -> str:
    """Every socket of one user, whichever session page it is on."""
    return f"user:{user_id}"


def _audiences(session_id: int) -> tuple[str, str]:
    return audience(session_id, staff=True), audience(session_id, staff=False)


def _question(event: QuestionChanged) -> None:
    """Staff see every question with its asker; members what is public; the asker theirs."""
    session_id = event.session_id
    socketio.emit(event.name, event.payload, to=audience(session_id, staff=True))
    if event.public is not None:
        socketio.emit(event.name, event.public, to=audience(session_id, staff=False))
    elif event.was_public:
        gone = {"session_id": session_id, "id": event.payload["id"]}
        socketio.emit("question_removed", gone, to=audience(session_id, staff=False))
    socketio.emit(event.name, event.author_view, to=user_room(event.author_id))


def broadcast(events: Iterable[RoomEvent]) -> None:
    """Emit each event to the sockets of the session that may hear it."""
    for event in events:
        if isinstance(event, QuestionChanged):
            _question(event)
            continue
        if isinstance(event, UserEvent):
            socketio.emit(event.name, event.payload, to=user_room(event.user_id))
            continue
        if isinstance(event, StaffEvent):
            socketio.emit(event.name, event.payload, to=audience(event.session_id, staff=True))
            continue
        if isinstance(event, MemberRemoved):
            # Everyone is asked to re-join, then every room of the session empties: the
            # removed member's sockets stop hearing it and their re-join is refused.
            socketio.emit(event.name, event.payload, to=room_name(event.session_id))
            for name in (room_name(event.session_id), *_audiences(event.session_id)):
                socketio.close_room(name)
            continue
        if isinstance(event, StaffChanged):
            # Nobody keeps staff privileges they may have lost: the staff room empties
            # (in every process, through the message queue) and clients re-join.
            socketio.close_room(audience(event.session_id, staff=True))
        socketio.emit(event.name, event.payload, to=room_name(event.session_id))
