"""Socket.IO handlers for moderation: authors edit within 5 minutes; the session's
facilitators and organisers edit with a note, restore removed messages, mark messages
sensitive, and mute, remove or readmit members; organisers ban and unban. The room hears
`message_edited`; the affected member hears `moderation_notice` on every tab; staff hear
`sanctions`. docs/protocol.md has the payloads."""

from __future__ import annotations

from typing import Any

from chat.extensions import db
from chat.realtime import confidentiality, context
from chat.realtime.broadcast import broadcast
from chat.realtime.event_log import on
from chat.services import moderation, schedule
from chat.services.validation import optional_int, require_bool, require_int, require_str


def _text(data: dict[str, Any], name: str) -> str | None:
    """An optional string field: None when absent or null."""
    return require_str(data, name) if data.get(name) is not None else None


@on("edit_message")
def on_edit_message(data: Any) -> dict[str, Any]:
    """The author rewords their message within 5 minutes, or staff edit anyone's with a
    `note`; the room hears `message_edited` (and the author `moderation_notice`)."""
    user, found = context.joined(data)
    checked = confidentiality.checked(data)
    edited, events = moderation.edit_message(
        db.session,
        user,
        found,
        require_int(data, "message_id"),
        require_str(data, "body"),
        _text(data, "note"),
        context.now(),
        context.lobby_minutes(),
    )
    broadcast(events)
    return {
        "ok": True,
        "message": edited,
        **confidentiality.ack_warning(edited["body"], "message", checked),
    }


@on("restore_message")
def on_restore_message(data: Any) -> dict[str, Any]:
    """Staff undo a moderator's removal; the room hears `message_edited` with it back."""
    user, found = context.joined(data)
    message_id = require_int(data, "message_id")
    broadcast(moderation.restore_message(db.session, user, found, message_id, context.now()))
    return {"ok": True}


@on("set_sensitive")
def on_set_sensitive(data: Any) -> dict[str, Any]:
    """Staff mark a message sensitive (members see it collapsed) or unmark it."""
    user, found = context.joined(data)
    message_id = require_int(data, "message_id")
    sensitive = require_bool(data, "sensitive")
    changed, events = moderation.set_sensitive(
        db.session, user, found, message_id, sensitive, context.now()
    )
    broadcast(events)
    return {"ok": True, "message": changed}


@on("mute_member")
def on_mute_member(data: Any) -> dict[str, Any]:
    """Staff mute a member here for `minutes`; the member hears why and until when."""
    user, found = context.joined(data)
    member_id = require_int(data, "user_id")
    minutes = require_int(data, "minutes")
    reason = require_str(data, "reason")
    broadcast(moderation.mute(db.session, user, found, member_id, minutes, reason, context.now()))
    return {"ok": True}


@on("unmute_member")
def on_unmute_member(data: Any) -> dict[str, Any]:
    """Staff lift a member's mute early."""
    user, found = context.joined(data)
    member_id = require_int(data, "user_id")
    broadcast(moderation.unmute(db.session, user, found, member_id, context.now()))
    return {"ok": True}


@on("remove_member")
def on_remove_member(data: Any) -> dict[str, Any]:
    """Staff remove a member from the session: everyone re-joins (`roles_changed`), which
    the removed member can no longer do."""
    user, found = context.joined(data)
    member_id = require_int(data, "user_id")
    reason = require_str(data, "reason")
    broadcast(moderation.remove(db.session, user, found, member_id, reason, context.now()))
    return {"ok": True}


@on("readmit_member")
def on_readmit_member(data: Any) -> dict[str, Any]:
    """Staff let a removed member back into the session."""
    user, found = context.joined(data)
    member_id = require_int(data, "user_id")
    broadcast(moderation.readmit(db.session, user, found, member_id, context.now()))
    return {"ok": True}


@on("ban_member")
def on_ban_member(data: Any) -> dict[str, Any]:
    """Organisers ban a member from the community; every open room lets them go."""
    user, found = context.joined(data)
    member_id = require_int(data, "user_id")
    reason = require_str(data, "reason")
    events = moderation.ban(
        db.session, user, found, member_id, reason, context.now(), context.lobby_minutes()
    )
    broadcast(events)
    return {"ok": True}


@on("unban_member")
def on_unban_member(data: Any) -> dict[str, Any]:
    """Organisers lift a ban, from a room (`session_id`) or from anywhere."""
    user = context.user()
    member_id = require_int(data, "user_id")
    session_id = optional_int(data, "session_id")
    found = schedule.get_session(db.session, session_id) if session_id is not None else None
    broadcast(moderation.unban(db.session, user, member_id, context.now(), found))
    return {"ok": True}
