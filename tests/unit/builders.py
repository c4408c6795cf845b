"""Helpers for service tests: the room's clock and sending a message."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from chat.models import ChatSession, User
from chat.services import messages

LOBBY = 15


def live(room: ChatSession, minutes: float = 5) -> datetime:
    """`minutes` after the session's start."""
    return room.starts_at + timedelta(minutes=minutes)


def send(dbs: Session, user: User, room: ChatSession, body: str, **kw: Any) -> dict[str, Any]:
    """Send a message through the service; keyword arguments override the defaults."""
    client_id = kw.pop("client_id", str(uuid.uuid4()))
    now = kw.pop("now", live(room))
    stored, _ = messages.send_message(
        dbs, user, room, body, client_id, kw.pop("reply_to", None), now, LOBBY, **kw
    )
    return stored
