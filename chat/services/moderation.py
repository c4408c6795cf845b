"""Moderation: edits (the author's within 5 minutes, a moderator's with a note), restoring a
removed message, marking messages sensitive, and muting, removing and banning members,
each with its undo.

Every moderator action writes an audit entry in the same transaction and tells the member
it affects what happened and why (`moderation_notice`). A message's removal itself lives
in messages.delete_message, beside the author's own delete.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from chat.errors import ChatError, Forbidden, NotFound
from chat.events import (
    MemberRemoved,
    MessageEdited,
    ModerationNotice,
    RoomEvent,
    SanctionsChanged,
)
from chat.models import ChatSession, Message, Sanction, User
from chat.services import audit, messages, rooms, sanctions
from chat.services.roles import is_staff, require_organiser, require_staff, require_view
from chat.services.sanctions import BAN, MUTE, REMOVE

MAX_MUTE_MINUTES = 24 * 60
# A ban reaches every room open now; nearby sessions are the only candidates.
_OPEN_WINDOW = timedelta(days=1)


def _notice(session_id: int, user_id: int, action: str, reason: str, **extra: Any) -> RoomEvent:
    body = {"action": action, "session_id": session_id, "reason": reason, **extra}
    return ModerationNotice(session_id, body, user_id=user_id)


def _target(message: Message) -> str:
    return f"message {message.seq}"


def _edited(
    db: Session, session: ChatSession, message: Message
) -> tuple[dict[str, Any], RoomEvent]:
    body = messages.payloads(db, session, [message])[0]
    return body, MessageEdited(session.id, body)


def _message(db: Session, session: ChatSession, message_id: int) -> Message:
    """Any message of this session that its author has not deleted (tombstones too)."""
    message = messages.by_seq(db, session, {message_id}).get(message_id)
    if message is None or (
        message.deleted_at is not None and not messages.removed_by_moderator(message)
    ):
        raise NotFound("That message is not there any more.")
    return message


def edit_message(
    db: Session,
    actor: User,
    session: ChatSession,
    message_id: int,
    body: str,
    note: str | None,
    now: datetime,
    lobby_minutes: int,
) -> tuple[dict[str, Any], list[RoomEvent]]:
    """Change a message's text: its author within EDIT_WINDOW of sending it (shown as
    edited), or a facilitator or organiser with a required `note` shown to everyone
    ("edit and note"; the text before the first such edit is kept for the audit log).

    The text goes through messages.clean_body, the one place that checks message text.
    """
    require_view(actor, session)
    message = messages.get_message(db, session, message_id)
    staff = is_staff(actor, session)
    own = message.author_id == actor.id
    if own and (note is None or not staff):
        if not messages.within_edit_window(message, now):
            raise Forbidden("You can edit a message for 5 minutes after sending it.")
        messages.require_open(session, now, lobby_minutes)
        if session.locked and not staff:
            raise ChatError("The facilitator has paused the chat for now.", "room_closed")
        sanctions.require_unmuted(db, actor, session, now)
        text = messages.clean_body(body)
        if text == message.body:
            return messages.payloads(db, session, [message])[0], []
        message.body, message.edited_at, message.edited_by_id = text, now, actor.id
        db.commit()
        edited, event = _edited(db, session, message)
        return edited, [event]
    if not staff:
        raise Forbidden("You can only edit your own messages.")
    reason = messages.moderator_reason(note or "", required=True, what="note")
    text = messages.clean_body(body)
    if message.original_body is None:
        message.original_body = message.body
    message.body, message.moderator_note = text, reason
    message.edited_at, message.edited_by_id = now, actor.id
    audit.record(
        db, actor, "edit_message", now, subject=message.author, session=session,
        target=_target(message), reason=reason,
    )  # fmt: skip
    db.commit()
    edited, event = _edited(db, session, message)
    notice = _notice(session.id, message.author_id, "edit_message", reason, message_id=message.seq)
    return edited, [event, notice]


def restore_message(
    db: Session, actor: User, session: ChatSession, message_id: int, now: datetime
) -> list[RoomEvent]:
    """Undo a moderator's removal: the message is back for everyone, its author is told."""
    require_staff(actor, session)
    message = _message(db, session, message_id)
    if message.deleted_at is None:
        raise ChatError("That message was not removed.", "conflict")
    message.deleted_at, message.deleted_by_id, message.deleted_reason = None, None, ""
    audit.record(
        db, actor, "restore_message", now, subject=message.author, session=session,
        target=_target(message),
    )  # fmt: skip
    db.commit()
    _, event = _edited(db, session, message)
    return [
        event,
        _notice(session.id, message.author_id, "restore_message", "", message_id=message.seq),
    ]


def set_sensitive(
    db: Session, actor: User, session: ChatSession, message_id: int, sensitive: bool, now: datetime
) -> tuple[dict[str, Any], list[RoomEvent]]:
    """Staff mark a message sensitive (members see it collapsed until they open it) or
    unmark it; idempotent. Its author is told when it is marked."""
    require_staff(actor, session)
    message = messages.get_message(db, session, message_id)
    if message.sensitive == sensitive:
        return messages.payloads(db, session, [message])[0], []
    message.sensitive = sensitive
    action = "mark_sensitive" if sensitive else "unmark_sensitive"
    audit.record(
        db, actor, action, now, subject=message.author, session=session, target=_target(message)
    )
    db.commit()
    body, event = _edited(db, session, message)
    if not sensitive:
        return body, [event]
    return body, [event, _notice(session.id, message.author_id, action, "", message_id=message.seq)]


# ---- sanctions ----------------------------------------------------------------------------


def _sanction_body(sanction: Sanction) -> dict[str, Any]:
    return {
        "id": sanction.id,
        "kind": sanction.kind,
        "user": {"id": sanction.user.id, "name": sanction.user.display_name},
        "reason": sanction.reason,
        "until": sanction.until.isoformat() if sanction.until else None,
        "created_at": sanction.created_at.isoformat(),
    }


def session_sanctions(db: Session, session: ChatSession, now: datetime) -> list[dict[str, Any]]:
    """The mutes and removals in force in this session, oldest first (staff see them)."""
    query = (
        select(Sanction)
        .options(selectinload(Sanction.user))
        .where(
            Sanction.session_id == session.id,
            Sanction.kind.in_((MUTE, REMOVE)),
            Sanction.lifted_at.is_(None),
        )
        .order_by(Sanction.id)
    )
    return [_sanction_body(s) for s in db.scalars(query) if s.until is None or s.until > now]


def _sanctions_changed(db: Session, session: ChatSession, now: datetime) -> RoomEvent:
    body = {"session_id": session.id, "sanctions": session_sanctions(db, session, now)}
    return SanctionsChanged(session.id, body)


def _member(db: Session, actor: User, session: ChatSession, user_id: int) -> User:
    """The member to sanction: not the actor, not staff of this session, not an organiser."""
    member = db.get(User, user_id)
    if member is None:
        raise NotFound("There is no such member.")
    if member.id == actor.id:
        raise Forbidden("You cannot do that to yourself.")
    if is_staff(member, session):
        raise Forbidden("Facilitators of this session and organisers cannot be sanctioned.")
    return member


def _impose(
    db: Session,
    actor: User,
    member: User,
    kind: str,
    session: ChatSession,
    reason: str,
    now: datetime,
    until: datetime | None = None,
) -> Sanction:
    sanction = Sanction(
        kind=kind,
        user_id=member.id,
        session_id=None if kind == BAN else session.id,
        until=until,
        reason=reason,
        created_at=now,
        created_by_id=actor.id,
        user=member,
    )
    db.add(sanction)
    return sanction


def _lift(db: Session, actor: User, found: Sanction | None, now: datetime, what: str) -> Sanction:
    if found is None:
        raise ChatError(f"That member is not {what}.", "conflict")
    found.lifted_at, found.lifted_by_id = now, actor.id
    return found


def mute(
    db: Session,
    actor: User,
    session: ChatSession,
    user_id: int,
    minutes: int,
    reason: str,
    now: datetime,
) -> list[RoomEvent]:
    """Staff mute a member in this session for 1 to 1,440 minutes: they can read but not
    send, react, ask or vote. Muting someone already muted replaces their mute."""
    require_staff(actor, session)
    member = _member(db, actor, session, user_id)
    if not 1 <= minutes <= MAX_MUTE_MINUTES:
        raise ChatError(f"Mute for 1 to {MAX_MUTE_MINUTES} minutes.", "invalid")
    text = messages.moderator_reason(reason, required=True)
    earlier = sanctions.binding(db, member.id, session.id, now, (MUTE,))
    if earlier is not None:
        earlier.lifted_at, earlier.lifted_by_id = now, actor.id
    until = now + timedelta(minutes=minutes)
    _impose(db, actor, member, MUTE, session, text, now, until)
    audit.record(
        db, actor, "mute", now, subject=member, session=session,
        target=f"{minutes} minutes", reason=text,
    )  # fmt: skip
    db.commit()
    notice = _notice(session.id, member.id, "mute", text, until=until.isoformat())
    return [notice, _sanctions_changed(db, session, now)]


def unmute(
    db: Session, actor: User, session: ChatSession, user_id: int, now: datetime
) -> list[RoomEvent]:
    """Staff lift a member's mute in this session early."""
    require_staff(actor, session)
    member = _member(db, actor, session, user_id)
    _lift(db, actor, sanctions.binding(db, member.id, session.id, now, (MUTE,)), now, "muted")
    audit.record(db, actor, "unmute", now, subject=member, session=session)
    db.commit()
    return [_notice(session.id, member.id, "unmute", ""), _sanctions_changed(db, session, now)]


def remove(
    db: Session, actor: User, session: ChatSession, user_id: int, reason: str, now: datetime
) -> list[RoomEvent]:
    """Staff remove a member from this session: they stop hearing the room at once and
    cannot join it again until readmitted."""
    require_staff(actor, session)
    member = _member(db, actor, session, user_id)
    if sanctions.binding(db, member.id, session.id, now, (REMOVE,)) is not None:
        raise ChatError("That member was already removed from this session.", "conflict")
    text = messages.moderator_reason(reason, required=True)
    _impose(db, actor, member, REMOVE, session, text, now)
    audit.record(db, actor, "remove", now, subject=member, session=session, reason=text)
    db.commit()
    return [
        _notice(session.id, member.id, "remove", text),
        _sanctions_changed(db, session, now),
        MemberRemoved(session.id, {"session_id": session.id}),
    ]


def readmit(
    db: Session, actor: User, session: ChatSession, user_id: int, now: datetime
) -> list[RoomEvent]:
    """Staff let a removed member join this session again."""
    require_staff(actor, session)
    member = _member(db, actor, session, user_id)
    found = sanctions.binding(db, member.id, session.id, now, (REMOVE,))
    _lift(db, actor, found, now, "removed from this session")
    audit.record(db, actor, "readmit", now, subject=member, session=session)
    db.commit()
    return [_notice(session.id, member.id, "readmit", ""), _sanctions_changed(db, session, now)]


def _open_sessions(db: Session, now: datetime, lobby_minutes: int) -> list[ChatSession]:
    nearby = db.scalars(
        select(ChatSession).where(
            ChatSession.starts_at > now - _OPEN_WINDOW, ChatSession.starts_at < now + _OPEN_WINDOW
        )
    )
    return [s for s in nearby if rooms.derive_state(s, now, lobby_minutes) in messages.OPEN_STATES]


def ban(
    db: Session,
    actor: User,
    session: ChatSession,
    user_id: int,
    reason: str,
    now: datetime,
    lobby_minutes: int,
) -> list[RoomEvent]:
    """Organisers ban a member from the community: they cannot sign in, connect or join
    any room, and every room open now lets them go."""
    require_view(actor, session)
    require_organiser(actor, "Only organisers can ban a member from the community.")
    member = _member(db, actor, session, user_id)
    if sanctions.active_ban(db, member.id, now) is not None:
        raise ChatError("That member is already banned.", "conflict")
    text = messages.moderator_reason(reason, required=True)
    _impose(db, actor, member, BAN, session, text, now)
    audit.record(db, actor, "ban", now, subject=member, session=session, reason=text)
    db.commit()
    affected = {session.id: session} | {s.id: s for s in _open_sessions(db, now, lobby_minutes)}
    return [
        _notice(session.id, member.id, "ban", text),
        *(MemberRemoved(s, {"session_id": s}) for s in sorted(affected)),
    ]


def unban(
    db: Session, actor: User, user_id: int, now: datetime, session: ChatSession | None = None
) -> list[RoomEvent]:
    """Organisers lift a member's ban; `session` is where they did it, if anywhere."""
    require_organiser(actor, "Only organisers can lift a ban.")
    member = db.get(User, user_id)
    if member is None:
        raise NotFound("There is no such member.")
    _lift(db, actor, sanctions.active_ban(db, member.id, now), now, "banned")
    audit.record(db, actor, "unban", now, subject=member, session=session)
    db.commit()
    return [_notice(session.id if session else 0, member.id, "unban", "")]


def bans(db: Session, now: datetime) -> list[dict[str, Any]]:
    """The bans in force, newest first: the member, why, when and by whom."""
    query = (
        select(Sanction)
        .options(selectinload(Sanction.user))
        .where(Sanction.kind == BAN, Sanction.lifted_at.is_(None))
        .order_by(Sanction.created_at.desc(), Sanction.id.desc())
    )
    found = [s for s in db.scalars(query) if s.until is None or s.until > now]
    by_ids = {s.created_by_id for s in found if s.created_by_id is not None}
    rows = db.execute(select(User.id, User.display_name).where(User.id.in_(by_ids)))
    names = {user_id: name for user_id, name in rows}
    return [
        {
            "user_id": s.user.id,
            "name": s.user.display_name,
            "email": s.user.email,
            "reason": s.reason,
            "created_at": s.created_at,
            "by": names.get(s.created_by_id or 0, "a former organiser"),
        }
        for s in found
    ]
