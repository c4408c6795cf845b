"""Socket.IO handlers for the facilitator's controls: prompts, pins, announcements, slow
mode, lock, the session's state, and the backstage channel.

Every one is sent by a facilitator of the session or an organiser; anyone else gets
`forbidden` from the service and nothing changes. Each acks with the room's new
controls (`room`) or what it stored; docs/protocol.md has the payloads.
"""

from __future__ import annotations

from typing import Any

from chat.events import RoomChanged, RoomEvent
from chat.extensions import db
from chat.realtime import context
from chat.realtime.broadcast import broadcast
from chat.realtime.event_log import on
from chat.services import controls, prompts, rooms
from chat.services.validation import (
    optional_int,
    require_bool,
    require_int,
    require_str,
    require_uuid,
)


def _room_ack(events: list[RoomEvent]) -> dict[str, Any]:
    """Broadcast the events and ack with the room's controls the `room` event carries."""
    broadcast(events)
    room = next(event.payload for event in events if isinstance(event, RoomChanged))
    return {"ok": True, "room": room}


@on("post_prompt")
def on_post_prompt(data: Any) -> dict[str, Any]:
    """Staff post the next prompt (or `prompt_id`); the room hears `message` and `room`."""
    user, found = context.joined(data)
    posted, events = prompts.post_prompt(
        db.session,
        user,
        found,
        optional_int(data, "prompt_id"),
        context.now(),
        context.lobby_minutes(),
    )
    return {**_room_ack(events), "message": posted}


@on("previous_prompt")
def on_previous_prompt(data: Any) -> dict[str, Any]:
    """Staff go back to the prompt before the current one; the room hears `room`."""
    user, found = context.joined(data)
    return _room_ack(
        prompts.previous_prompt(db.session, user, found, context.now(), context.lobby_minutes())
    )


@on("skip_prompt")
def on_skip_prompt(data: Any) -> dict[str, Any]:
    """Staff skip the next prompt; staff hear `run_sheet`."""
    user, found = context.joined(data)
    broadcast(prompts.skip_prompt(db.session, user, found, context.now(), context.lobby_minutes()))
    return {"ok": True, "run_sheet": prompts.run_sheet_payload(found)}


@on("extend_prompt")
def on_extend_prompt(data: Any) -> dict[str, Any]:
    """Staff give the current prompt more minutes; the room hears `room`."""
    user, found = context.joined(data)
    minutes = require_int(data, "minutes")
    return _room_ack(
        prompts.extend_prompt(
            db.session, user, found, minutes, context.now(), context.lobby_minutes()
        )
    )


@on("set_auto_advance")
def on_set_auto_advance(data: Any) -> dict[str, Any]:
    """Staff turn auto-advance on or off; the room hears `room`."""
    user, found = context.joined(data)
    enabled = require_bool(data, "enabled")
    return _room_ack(prompts.set_auto_advance(db.session, user, found, enabled, context.now()))


@on("pin_message")
def on_pin_message(data: Any) -> dict[str, Any]:
    """Staff pin a message (`message_id`) or unpin (`message_id` null); the room hears `room`."""
    user, found = context.joined(data)
    message_id = optional_int(data, "message_id")
    return _room_ack(controls.pin(db.session, user, found, message_id, context.now()))


@on("announce")
def on_announce(data: Any) -> dict[str, Any]:
    """Staff post an announcement; the room hears `message` with kind `announcement`."""
    user, found = context.joined(data)
    body = require_str(data, "body")
    client_id = require_uuid(data, "client_id")
    stored, events = controls.announce(
        db.session, user, found, body, client_id, context.now(), context.lobby_minutes()
    )
    broadcast(events)
    return {"ok": True, "message": stored}


@on("set_slow_mode")
def on_set_slow_mode(data: Any) -> dict[str, Any]:
    """Staff set slow mode to `seconds` per member (0 is off); the room hears `room`."""
    user, found = context.joined(data)
    seconds = require_int(data, "seconds", minimum=0)
    return _room_ack(controls.set_slow_mode(db.session, user, found, seconds, context.now()))


@on("set_locked")
def on_set_locked(data: Any) -> dict[str, Any]:
    """Staff lock the room (read-only for members) or unlock it; the room hears `room`."""
    user, found = context.joined(data)
    locked = require_bool(data, "locked")
    return _room_ack(controls.set_locked(db.session, user, found, locked, context.now()))


def _state_ack(found: Any) -> dict[str, Any]:
    state = rooms.state_payload(found, context.now(), context.lobby_minutes())
    return {"ok": True, "state": state}


@on("open_room")
def on_open_room(data: Any) -> dict[str, Any]:
    """Staff open the room early: it goes live now; the room hears `state`."""
    user, found = context.joined(data)
    broadcast(rooms.open_now(db.session, user, found, context.now(), context.lobby_minutes()))
    return _state_ack(found)


@on("extend_session")
def on_extend_session(data: Any) -> dict[str, Any]:
    """Staff give the session `minutes` more; the room hears `state`."""
    user, found = context.joined(data)
    minutes = require_int(data, "minutes")
    broadcast(
        rooms.extend(db.session, user, found, minutes, context.now(), context.lobby_minutes())
    )
    return _state_ack(found)


@on("end_session")
def on_end_session(data: Any) -> dict[str, Any]:
    """Staff end the session now; the room hears `state` and becomes read-only."""
    user, found = context.joined(data)
    broadcast(rooms.end_now(db.session, user, found, context.now(), context.lobby_minutes()))
    return _state_ack(found)


@on("backstage_send")
def on_backstage_send(data: Any) -> dict[str, Any]:
    """Staff write backstage; only the session's staff hear `backstage_message`."""
    user, found = context.joined(data)
    body = require_str(data, "body")
    client_id = require_uuid(data, "client_id")
    stored, events = controls.post_backstage(
        db.session, user, found, body, client_id, context.now()
    )
    broadcast(events)
    return {"ok": True, "message": stored}
