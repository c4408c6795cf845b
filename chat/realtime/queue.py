"""Socket.IO handlers for the question queue. Members ask, vote, edit and withdraw;
the session's facilitators and organisers moderate. Everyone hears `question`
(as much of it as they may see); docs/protocol.md has the payloads."""

from __future__ import annotations

from typing import Any

from flask import current_app

from chat.extensions import db
from chat.realtime import confidentiality, context
from chat.realtime.broadcast import broadcast
from chat.realtime.event_log import on
from chat.services import questions
from chat.services.validation import require_bool, require_int, require_str, require_uuid


@on("ask_question")
def on_ask_question(data: Any) -> dict[str, Any]:
    """A member asks, perhaps anonymously; staff (and the asker) hear `question` at once,
    everyone once it is public."""
    user, found = context.joined(data)
    body = require_str(data, "body")
    anonymous = require_bool(data, "anonymous")
    client_id = require_uuid(data, "client_id")
    checked = confidentiality.checked(data)
    asked, events = questions.ask(
        db.session,
        user,
        found,
        body,
        anonymous,
        client_id,
        context.now(),
        context.lobby_minutes(),
        int(current_app.config["CHAT_MAX_OPEN_QUESTIONS"]),
    )
    broadcast(events)
    warning = confidentiality.ack_warning(asked["body"], "question", checked)
    return {"ok": True, "question": asked, **warning}


@on("vote_question")
def on_vote_question(data: Any) -> dict[str, Any]:
    """A member upvotes a question or takes the vote back; the room hears the new count."""
    user, found = context.joined(data)
    question_id = require_int(data, "question_id")
    active = require_bool(data, "active")
    votes, events = questions.vote(
        db.session, user, found, question_id, active, context.now(), context.lobby_minutes()
    )
    broadcast(events)
    return {"ok": True, "votes": votes}


@on("edit_question")
def on_edit_question(data: Any) -> dict[str, Any]:
    """The asker rewords their question, or staff edit it for clarity."""
    user, found = context.joined(data)
    question_id = require_int(data, "question_id")
    body = require_str(data, "body")
    broadcast(questions.edit(db.session, user, found, question_id, body))
    return {"ok": True}


@on("withdraw_question")
def on_withdraw_question(data: Any) -> dict[str, Any]:
    """The asker takes their question back; it leaves everyone's queue."""
    user, found = context.joined(data)
    broadcast(questions.withdraw(db.session, user, found, require_int(data, "question_id")))
    return {"ok": True}


@on("moderate_question")
def on_moderate_question(data: Any) -> dict[str, Any]:
    """Staff approve, dismiss, restore, spotlight or mark a question answered."""
    user, found = context.joined(data)
    question_id = require_int(data, "question_id")
    action = require_str(data, "action")
    broadcast(questions.moderate(db.session, user, found, question_id, action, context.now()))
    return {"ok": True}


@on("merge_questions")
def on_merge_questions(data: Any) -> dict[str, Any]:
    """Staff merge a duplicate (`question_id`) into another (`into_id`)."""
    user, found = context.joined(data)
    question_id = require_int(data, "question_id")
    into_id = require_int(data, "into_id")
    broadcast(questions.merge(db.session, user, found, question_id, into_id))
    return {"ok": True}


@on("message_to_question")
def on_message_to_question(data: Any) -> dict[str, Any]:
    """Staff turn a chat message into a question in the queue."""
    user, found = context.joined(data)
    made, events = questions.from_message(
        db.session, user, found, require_int(data, "message_id"), context.now()
    )
    broadcast(events)
    return {"ok": True, "question": made}


@on("set_premoderation")
def on_set_premoderation(data: Any) -> dict[str, Any]:
    """Staff choose whether new questions wait for approval; the room hears `room`."""
    user, found = context.joined(data)
    enabled = require_bool(data, "enabled")
    broadcast(questions.set_premoderation(db.session, user, found, enabled, context.now()))
    return {"ok": True}
