"""Socket.IO handlers for the room's resources. Members and staff share links and upvote
other people's; staff feature one; a sharer (or staff) removes one. Everyone in the room
hears `resource`; docs/protocol.md has the payloads."""

from __future__ import annotations

from typing import Any

from chat.extensions import db
from chat.realtime import context
from chat.realtime.broadcast import broadcast
from chat.realtime.event_log import on
from chat.services import resources
from chat.services.validation import require_bool, require_int, require_str, require_uuid


@on("share_resource")
def on_share_resource(data: Any) -> dict[str, Any]:
    """A member shares a link (title, url, optional note); once stored, the room hears
    `resource`."""
    user, found = context.joined(data)
    title = require_str(data, "title")
    url = require_str(data, "url")
    note = require_str(data, "note") if data.get("note") is not None else ""
    client_id = require_uuid(data, "client_id")
    shared, events = resources.share(
        db.session, user, found, title, url, note, client_id, context.now(),
        context.lobby_minutes(),
    )  # fmt: skip
    broadcast(events)
    return {"ok": True, "resource": shared}


@on("vote_resource")
def on_vote_resource(data: Any) -> dict[str, Any]:
    """A member upvotes someone else's resource or takes the vote back; the room hears
    the new count."""
    user, found = context.joined(data)
    resource_id = require_int(data, "resource_id")
    active = require_bool(data, "active")
    votes, events = resources.vote(
        db.session, user, found, resource_id, active, context.now(), context.lobby_minutes()
    )
    broadcast(events)
    return {"ok": True, "votes": votes}


@on("feature_resource")
def on_feature_resource(data: Any) -> dict[str, Any]:
    """Staff feature a resource (unfeaturing any other) or stop featuring it."""
    user, found = context.joined(data)
    resource_id = require_int(data, "resource_id")
    featured = require_bool(data, "featured")
    broadcast(resources.feature(db.session, user, found, resource_id, featured))
    return {"ok": True}


@on("remove_resource")
def on_remove_resource(data: Any) -> dict[str, Any]:
    """The sharer or staff remove a resource; the room hears it gone."""
    user, found = context.joined(data)
    resource_id = require_int(data, "resource_id")
    broadcast(resources.remove(db.session, user, found, resource_id, context.now()))
    return {"ok": True}
