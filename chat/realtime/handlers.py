"""Socket.IO handlers: validate, call a service, emit its events. Every event is acked.

Each handler's docstring says who sends the event and who hears the result; the
payloads are documented in docs/protocol.md.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import join_room, leave_room

from chat import limiting
from chat.errors import ChatError
from chat.extensions import db, socketio
from chat.realtime import confidentiality, context, presence, presence_updates
from chat.realtime.broadcast import audience, broadcast, room_name, user_room
from chat.realtime.clock import ensure_started
from chat.realtime.event_log import on
from chat.services import (
    accounts,
    attendance,
    conduct,
    controls,
    introductions,
    messages,
    moderation,
    prompts,
    questions,
    reports,
    resources,
    roles,
    sanctions,
    schedule,
)
from chat.services import rooms as room_state
from chat.services.validation import (
    optional_int,
    require_bool,
    require_int,
    require_str,
    require_uuid,
)

# What a returning client corrects, and a first join has no need of.
FIRST_JOIN = {"deleted_ids": None, "revised": None, "reaction_counts": None}


@on("connect")
def on_connect(auth: Any = None) -> None:
    """Anyone connecting: a signed-in browser (cookie) or a script with `auth.token`."""
    user = None
    if isinstance(auth, dict) and "token" in auth:
        user = accounts.user_for_token(db.session, auth["token"])
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None:
        raise context.refused("unauthenticated", "Sign in first.")
    ban = sanctions.active_ban(db.session, user.id, context.now())
    if ban is not None:  # a script's token too; a browser's cookie no longer signs in
        raise context.refused("forbidden", sanctions.ban_message(ban))
    session[context.SOCKET_USER] = user.id
    join_room(user_room(user.id))  # questions only their asker may see reach every tab
    ensure_started(current_app._get_current_object())  # type: ignore[attr-defined]


@on("join")
def on_join(data: Any) -> dict[str, Any]:
    """A member opens a room (again after a reconnect); the room hears `presence`."""
    user = context.user()
    found = schedule.get_session(db.session, require_int(data, "session_id"))
    last_seen_id = optional_int(data, "last_seen_id", minimum=0)
    roles.require_view(user, found)
    try:
        sanctions.require_admitted(db.session, user, found, context.now())
    except ChatError:
        if presence.remove(found.id, context.sid()):  # removed while here: no longer counted
            presence_updates.changed(found.id)
        attendance.depart(db.session, context.sid(), context.now(), session_id=found.id)
        raise
    conduct.require_accepted(db.session, user)  # a changed agreement applies from the next join
    if last_seen_id is not None:
        messages.check_last_seen(found, last_seen_id)
    # Join before reading history: a message stored in between is then heard as an
    # event instead of falling between the ack and the broadcast.
    staff = roles.is_staff(user, found)
    join_room(room_name(found.id))
    leave_room(audience(found.id, not staff))  # a role may have changed since the last join
    join_room(audience(found.id, staff))
    if last_seen_id is None:  # a first join: the page shows each message as it is now
        history = {**messages.recent(db.session, found), "more_after": False, **FIRST_JOIN}
    else:  # a returning client also corrects what it already shows
        history = {
            **messages.catch_up(db.session, found, last_seen_id),
            "more_before": False,
            "deleted_ids": messages.deleted_ids(db.session, found),
            "revised": messages.revised(db.session, found),
            "reaction_counts": messages.reaction_counts(db.session, found),
        }
    presence.add(found.id, context.sid(), user.id, user.display_name)
    presence_updates.changed(found.id)
    here = presence_updates.latest(found.id)
    moment = context.now()
    attendance.arrive(db.session, user, found, context.sid(), moment)  # once per connection
    return {
        "ok": True,
        "state": room_state.state_payload(found, moment, context.lobby_minutes()),
        "room": controls.room_payload(db.session, found, moment),
        "run_sheet": prompts.run_sheet_payload(found) if staff else None,
        "backstage": controls.backstage(db.session, user, found) if staff else None,
        "reports": reports.open_reports(db.session, found, user) if staff else None,
        "rehearsal": found.rehearsal_of_id is not None,
        "queue": questions.queue(db.session, found, user),
        "resources": resources.panel(db.session, found, user),  # one statement
        **history,
        "sanctions": moderation.session_sanctions(db.session, found, moment) if staff else None,
        "my_reactions": messages.my_reactions(db.session, found, user),
        "presence": here if staff else presence_updates.count_only(here),
        **introductions.for_join(db.session, user, found, moment, context.lobby_minutes()),
        "you": {
            "id": user.id,
            "name": user.display_name,
            "role": roles.author_role(user, found),
        },
    }


@on("leave")
def on_leave(data: Any) -> dict[str, Any]:
    """A member leaves a room; the room hears the new `presence`."""
    context.user()
    session_id = require_int(data, "session_id")
    for name in (room_name(session_id), *(audience(session_id, s) for s in (True, False))):
        leave_room(name)
    if presence.remove(session_id, context.sid()):
        presence_updates.changed(session_id)
    attendance.depart(db.session, context.sid(), context.now(), session_id=session_id)
    return {"ok": True}


@on("history")
def on_history(data: Any) -> dict[str, Any]:
    """A member scrolls up (`before_id`) or finishes a long catch-up (`after_id`)."""
    _, found = context.joined(data)
    before_id = optional_int(data, "before_id")
    after_id = optional_int(data, "after_id", minimum=0)
    if (before_id is None) == (after_id is None):
        raise ChatError("Give exactly one of before_id or after_id.", "invalid")
    if before_id is not None:
        return {"ok": True, **messages.recent(db.session, found, before_id=before_id)}
    return {"ok": True, **messages.catch_up(db.session, found, after_id or 0)}


@on("send_message")
def on_send_message(data: Any) -> dict[str, Any]:
    """A member writes; once stored, everyone in the room hears `message`."""
    user, found = context.joined(data)
    body = require_str(data, "body")
    client_id = require_uuid(data, "client_id")
    reply_to = optional_int(data, "reply_to")
    # Absent: the current prompt; null: not an answer; an id: that posted prompt.
    answer_to = optional_int(data, "answer_to") if "answer_to" in data else messages.CURRENT
    checked = confidentiality.checked(data)
    stored, events = messages.send_message(
        db.session,
        user,
        found,
        body,
        client_id,
        reply_to,
        context.now(),
        context.lobby_minutes(),
        answer_to,
        flood=limiting.current(),
    )
    broadcast(events)
    # Stored and sent either way: the guard warns, it never refuses.
    warning = confidentiality.ack_warning(stored["body"], "message", checked)
    return {"ok": True, "message": stored, **warning}


@on("react")
def on_react(data: Any) -> dict[str, Any]:
    """A member adds or takes back a reaction; the room hears `reactions`."""
    user, found = context.joined(data)
    message_id = require_int(data, "message_id")
    kind = require_str(data, "reaction")
    active = require_bool(data, "active")
    counts, events = messages.react(
        db.session, user, found, message_id, kind, active, context.now(), context.lobby_minutes()
    )
    broadcast(events)
    return {"ok": True, "counts": counts}


@on("delete_message")
def on_delete_message(data: Any) -> dict[str, Any]:
    """An author deletes their message, or a facilitator removes one with a `reason`; the
    room hears `message_deleted` (and the author `moderation_notice` for a removal)."""
    user, found = context.joined(data)
    reason = require_str(data, "reason") if data.get("reason") is not None else ""
    events = messages.delete_message(
        db.session, user, found, require_int(data, "message_id"), context.now(), reason
    )
    broadcast(events)
    return {"ok": True}


@on("disconnect")
def on_disconnect(*_args: Any) -> None:
    """A connection dropped: it leaves every room it was in."""
    # Presence first: it needs no database, so a database outage cannot keep a leaver counted.
    for session_id in presence.remove_everywhere(context.sid()):
        presence_updates.changed(session_id)
    user_id = session.get(context.SOCKET_USER)
    attendance.depart(db.session, context.sid(), context.now(), user_id=user_id)


@socketio.on_error_default
def on_error(exc: Exception) -> dict[str, Any]:
    """The one error mapping for sockets: a ChatError becomes its ack; anything else hides.

    A `connect` that failed (the database is down, say) is refused with `unavailable`:
    whatever a connect handler returns short of False lets the connection in, unsigned."""
    db.session.rollback()
    if isinstance(exc, ChatError):
        return exc.as_ack()
    current_app.logger.exception("socket handler failed")
    fault = ChatError("Something went wrong; please try again.", "unavailable")
    if request.event["message"] == "connect":  # type: ignore[attr-defined]
        raise context.refused(fault.code, fault.message)
    return fault.as_ack()
