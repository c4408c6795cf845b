"""What every socket handler needs: who is asking, about which joined session, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError

from chat.errors import Forbidden, Unauthenticated
from chat.extensions import db, socketio
from chat.models import ChatSession, User
from chat.realtime.broadcast import room_name
from chat.services import accounts, roles, sanctions, schedule
from chat.services.validation import require_int

SOCKET_USER = "socket_user_id"


def refused(code: str, message: str) -> ConnectionRefusedError:
    """A refusal of a connection. Socket.IO clients read the first argument as the error's
    `message` and the second as its `data`, where the browser looks for the code."""
    return ConnectionRefusedError(message, {"code": code, "message": message})


def sid() -> str:
    """This connection's Socket.IO id."""
    return str(request.sid)  # type: ignore[attr-defined]


def now() -> datetime:
    """The app's clock (tests replace it)."""
    moment: datetime = current_app.config["CHAT_NOW"]()
    return moment


def lobby_minutes() -> int:
    """How long before the start a session's lobby opens."""
    return int(current_app.config["CHAT_LOBBY_MINUTES"])


def user() -> User:
    """The user this connection authenticated as, read afresh for every event (an account
    deleted since is signed out)."""
    user_id = session.get(SOCKET_USER)
    found = accounts.user_by_id(db.session, user_id) if user_id else None
    if found is None or found.deleted_at is not None:
        raise Unauthenticated("Sign in again.")
    return found


def in_room(name: str) -> bool:
    """Whether this connection is in the room `name`. Asked on every event, so it looks
    the room up: flask_socketio.rooms() walks every room of the server (each member
    has one of their own), which made each event cost O(members)."""
    members = socketio.server.manager.rooms.get(request.namespace, {}).get(name)  # type: ignore[attr-defined]
    return members is not None and sid() in members


def joined(data: Any) -> tuple[User, ChatSession]:
    """The user and the session named in `data`, which this socket must have joined."""
    actor = user()
    found = schedule.get_session(db.session, require_int(data, "session_id"))
    if not in_room(room_name(found.id)):
        raise Forbidden("Join the session before doing that.")
    roles.require_view(actor, found)
    # A member removed or banned since joining is refused on every event (one query).
    sanctions.require_admitted(db.session, actor, found, now())
    return actor, found
