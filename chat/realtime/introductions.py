"""Socket.IO handlers for introductions: a member posts or skips the room's offer to
introduce themselves, and reads the introductions for the "who's here" strip.
docs/protocol.md has the payloads."""

from __future__ import annotations

from typing import Any

from chat.extensions import db
from chat.realtime import context
from chat.realtime.broadcast import broadcast
from chat.realtime.event_log import on
from chat.services import introductions
from chat.services.validation import optional_int, require_str, require_uuid


@on("introduce")
def on_introduce(data: Any) -> dict[str, Any]:
    """A member (or staff) posts their introduction, once per room; the room hears
    `message` of kind `introduction`."""
    user, found = context.joined(data)
    stored, events = introductions.introduce(
        db.session,
        user,
        found,
        require_str(data, "body"),
        require_uuid(data, "client_id"),
        context.now(),
        context.lobby_minutes(),
    )
    broadcast(events)
    return {"ok": True, "message": stored}


@on("skip_introduction")
def on_skip_introduction(data: Any) -> dict[str, Any]:
    """A member declines this room's offer to introduce themselves; nobody else hears."""
    user, found = context.joined(data)
    choice = introductions.skip(db.session, user, found, context.now())
    return {"ok": True, "choice": choice}


@on("introductions")
def on_introductions(data: Any) -> dict[str, Any]:
    """A member's "who's here" strip asks for the room's introductions (older pages with
    `before_id`); those hidden from them by a block are left out."""
    user, found = context.joined(data)
    before_id = optional_int(data, "before_id", minimum=1)
    return {"ok": True, **introductions.strip(db.session, user, found, before_id)}
