"""Socket.IO handlers: validate, call a service, emit its events. Every event is acked."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, emit, join_room, leave_room

from chat.errors import ChatError, Unauthenticated
from chat.extensions import db, socketio
from chat.models import User
from chat.realtime.broadcast import room_name
from chat.realtime.clock import ensure_started
from chat.realtime.presence import presence
from chat.services import accounts, rooms, schedule
from chat.services.validation import require_int

SOCKET_USER = "socket_user_id"


def _sid() -> str:
    return str(request.sid)  # type: ignore[attr-defined]


def _user() -> User:
    user_id = session.get(SOCKET_USER)
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        raise Unauthenticated("Sign in again.")
    return user


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    """Anyone connecting: a signed-in browser (cookie) or a script with `auth.token`."""
    user = None
    if isinstance(auth, dict) and "token" in auth:
        user = accounts.user_for_token(db.session, auth["token"])
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None:
        raise ConnectionRefusedError({"code": "unauthenticated", "message": "Sign in first."})
    session[SOCKET_USER] = user.id
    ensure_started(current_app._get_current_object())  # type: ignore[attr-defined]


@socketio.on("join")
def on_join(data: Any) -> dict[str, Any]:
    """A member opens a session's page; the room hears the new `presence`."""
    user = _user()
    session_id = require_int(data, "session_id")
    found = schedule.get_session(db.session, session_id)
    join_room(room_name(found.id))
    presence.add(found.id, _sid(), user.id, user.display_name)
    snapshot = presence.snapshot(found.id)
    emit("presence", snapshot, to=room_name(found.id))
    lobby = current_app.config["CHAT_LOBBY_MINUTES"]
    state = rooms.state_payload(found, current_app.config["CHAT_NOW"](), lobby)
    return {"ok": True, "state": state, "presence": snapshot}


@socketio.on("leave")
def on_leave(data: Any) -> dict[str, Any]:
    """A member leaves a session's page; the room hears the new `presence`."""
    _user()
    session_id = require_int(data, "session_id")
    leave_room(room_name(session_id))
    if presence.remove(session_id, _sid()):
        emit("presence", presence.snapshot(session_id), to=room_name(session_id))
    return {"ok": True}


@socketio.on("disconnect")
def on_disconnect(*_args: Any) -> None:
    """A connection dropped: it leaves every page it was on."""
    for session_id in presence.remove_everywhere(_sid()):
        emit("presence", presence.snapshot(session_id), to=room_name(session_id))


@socketio.on_error_default
def on_error(exc: Exception) -> dict[str, Any]:
    """The one error mapping for sockets: a ChatError becomes its ack; anything else hides."""
    db.session.rollback()
    if isinstance(exc, ChatError):
        return exc.as_ack()
    current_app.logger.exception("socket handler failed")
    return ChatError("Something went wrong; please try again.", "unavailable").as_ack()
