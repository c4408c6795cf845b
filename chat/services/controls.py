"""Room controls a facilitator or organiser uses: pin, announce, slow mode, lock, backstage.

Every control is stored on the session row, so people who join later and every server
process see the same room; the `room` payload is that state as clients see it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from chat.errors import ChatError
from chat.events import BackstagePosted, MessagePosted, RoomChanged, RoomEvent
from chat.models import BackstageMessage, ChatSession, Message, User
from chat.services import messages
from chat.services.roles import author_role, require_staff

MAX_SLOW_MODE_SECONDS = 600
BACKSTAGE_PAGE = 100


def current_prompt(session: ChatSession) -> dict[str, Any] | None:
    """The prompt pinned as the current question, with when its planned time is up."""
    prompt = next((p for p in session.prompts if p.id == session.current_prompt_id), None)
    if prompt is None or prompt.number is None:
        return None
    return {
        "id": prompt.id,
        "number": prompt.number,
        "body": prompt.body,
        "duration_minutes": prompt.duration_minutes,
        "ends_at": session.prompt_ends_at.isoformat() if session.prompt_ends_at else None,
    }


def room_payload(db: Session, session: ChatSession, now: datetime) -> dict[str, Any]:
    """The `room` event body: every control's current value, for joiners and changes."""
    pinned = pinned_message(db, session)
    posted = sorted(
        (p for p in session.prompts if p.number is not None), key=lambda p: p.number or 0
    )
    return {
        "session_id": session.id,
        "locked": session.locked,
        "slow_mode_seconds": session.slow_mode_seconds,
        "auto_advance": session.auto_advance,
        "questions_premoderated": session.questions_premoderated,
        "pinned": None if pinned is None else messages.payloads(db, session, [pinned])[0],
        "current_prompt": current_prompt(session),
        "prompts": [{"id": p.id, "number": p.number, "body": p.body} for p in posted],
        "server_time": now.isoformat(),
    }


def room_changed(db: Session, session: ChatSession, now: datetime) -> RoomChanged:
    """The event telling everyone in the room the controls' new values."""
    return RoomChanged(session.id, room_payload(db, session, now))


def pin(
    db: Session, actor: User, session: ChatSession, message_id: int | None, now: datetime
) -> list[RoomEvent]:
    """Pin a message for everyone (replacing any pin), or unpin with `message_id` None."""
    require_staff(actor, session)
    if message_id is not None:
        messages.get_message(db, session, message_id)  # not_found if missing or deleted
    session.pinned_message_id = message_id
    db.commit()
    return [room_changed(db, session, now)]


def set_locked(
    db: Session, actor: User, session: ChatSession, locked: bool, now: datetime
) -> list[RoomEvent]:
    """Lock the room (members read only) or unlock it."""
    require_staff(actor, session)
    session.locked = locked
    db.commit()
    return [room_changed(db, session, now)]


def set_slow_mode(
    db: Session, actor: User, session: ChatSession, seconds: int, now: datetime
) -> list[RoomEvent]:
    """One message per `seconds` per member (0 turns it off); staff are exempt."""
    require_staff(actor, session)
    if not 0 <= seconds <= MAX_SLOW_MODE_SECONDS:
        raise ChatError(f"Slow mode takes 0 to {MAX_SLOW_MODE_SECONDS} seconds.", "invalid")
    session.slow_mode_seconds = seconds
    db.commit()
    return [room_changed(db, session, now)]


def announce(
    db: Session,
    actor: User,
    session: ChatSession,
    body: str,
    client_id: str,
    now: datetime,
    lobby_minutes: int,
) -> tuple[dict[str, Any], list[RoomEvent]]:
    """Post an announcement: a message everyone sees emphasised, even in a locked room."""
    require_staff(actor, session)
    messages.require_open(session, now, lobby_minutes)
    text = messages.clean_body(body)
    earlier = messages.existing(db, session, actor, client_id)
    if earlier is not None:
        return messages.payloads(db, session, [earlier])[0], []
    message, new = messages.store_once(
        db, session, actor, text, client_id, now, kind="announcement"
    )
    if not new:
        return messages.payloads(db, session, [message])[0], []
    body_payload = messages.payload(message, session)
    return body_payload, [MessagePosted(session.id, body_payload)]


def backstage_payload(note: BackstageMessage, session: ChatSession) -> dict[str, Any]:
    """A backstage note as staff clients see it."""
    return {
        "id": note.id,
        "session_id": note.session_id,
        "client_id": note.client_id,
        "author": {
            "id": note.author.id,
            "name": note.author.display_name,
            "role": author_role(note.author, session),
        },
        "body": note.body,
        "created_at": note.created_at.isoformat(),
    }


def _backstage_existing(
    db: Session, session: ChatSession, author: User, client_id: str
) -> BackstageMessage | None:
    return db.scalar(
        select(BackstageMessage).where(
            BackstageMessage.session_id == session.id,
            BackstageMessage.author_id == author.id,
            BackstageMessage.client_id == client_id,
        )
    )


def post_backstage(
    db: Session, actor: User, session: ChatSession, body: str, client_id: str, now: datetime
) -> tuple[dict[str, Any], list[RoomEvent]]:
    """A note for the session's staff only; stored once per (author, client_id)."""
    require_staff(actor, session)
    text = messages.clean_body(body)
    earlier = _backstage_existing(db, session, actor, client_id)
    if earlier is not None:
        return backstage_payload(earlier, session), []
    note = BackstageMessage(
        session_id=session.id,
        author_id=actor.id,
        client_id=client_id,
        body=text,
        created_at=now,
        author=actor,
    )
    db.add(note)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        winner = _backstage_existing(db, session, actor, client_id)
        if winner is None:
            raise
        return backstage_payload(winner, session), []
    note_payload = backstage_payload(note, session)
    return note_payload, [BackstagePosted(session.id, note_payload)]


def backstage(db: Session, actor: User, session: ChatSession) -> list[dict[str, Any]]:
    """The last BACKSTAGE_PAGE notes, oldest first, for staff joining the room."""
    require_staff(actor, session)
    rows = db.scalars(
        select(BackstageMessage)
        .options(selectinload(BackstageMessage.author))
        .where(BackstageMessage.session_id == session.id)
        .order_by(BackstageMessage.id.desc())
        .limit(BACKSTAGE_PAGE)
    )
    return [backstage_payload(note, session) for note in reversed(list(rows))]


def pinned_message(db: Session, session: ChatSession) -> Message | None:
    """The pinned message, unless there is none or it was deleted."""
    if session.pinned_message_id is None:
        return None
    message = messages.by_seq(db, session, {session.pinned_message_id}).get(
        session.pinned_message_id
    )
    return message if message is not None and message.deleted_at is None else None
