"""Chat messages: send once, catch up exactly, reply, react, delete.

Message ids (`seq`) increase within a session without gaps in commit order: the id is
taken by incrementing the session's counter in the same transaction as the insert, so
writers to one session queue on its row and commit in id order.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from chat.errors import ChatError, Forbidden, NotFound, RateLimited
from chat.events import (
    MessageDeleted,
    MessagePosted,
    ModerationNotice,
    ReactionsChanged,
    RoomEvent,
)
from chat.models import REACTIONS, AuditEntry, ChatSession, Message, Prompt, Reaction, User
from chat.services import audit, limits, rooms, sanctions
from chat.services.roles import author_role, is_staff, require_view

MAX_BODY = 2000
HISTORY_PAGE = 100
CATCH_UP_LIMIT = 500
EXCERPT = 140
# Control characters other than tab and newline have no place in a chat message.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
OPEN_STATES = (rooms.LOBBY, rooms.LIVE)
# What a message answers: the current prompt (the default), a posted prompt's id, or None.
AnswerTo = int | None | Literal["current"]
CURRENT: AnswerTo = "current"
# How long an author may still edit or delete what they sent.
EDIT_WINDOW = timedelta(minutes=5)
MAX_REASON = 300


def require_open(session: ChatSession, now: datetime, lobby_minutes: int) -> None:
    """The room takes messages in its lobby and while live; refuse with `room_closed` else."""
    state = rooms.derive_state(session, now, lobby_minutes)
    if state == rooms.ENDED:
        raise ChatError("This session has ended; the room is read-only.", "room_closed")
    if state not in OPEN_STATES:
        opens = rooms.lobby_opens_at(session, lobby_minutes).isoformat()
        raise ChatError(f"The room is not open yet; it opens at {opens}.", "room_closed")


def clean_body(body: str) -> str:
    """Normalise line breaks, drop control characters, trim; reject empty or over-long text."""
    text = _CONTROL.sub("", body.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise ChatError("Write something before sending.", "invalid")
    if len(text) > MAX_BODY:
        raise ChatError(f"Keep messages to {MAX_BODY} characters or fewer.", "invalid")
    return text


def _counts(message: Message) -> dict[str, int]:
    counts = dict.fromkeys(REACTIONS, 0)
    for reaction in message.reactions:
        counts[reaction.kind] += 1
    return counts


def removed_by_moderator(message: Message) -> bool:
    """Deleted by someone other than its author: it stays in history as a tombstone."""
    return message.deleted_at is not None and message.deleted_by_id != message.author_id


def within_edit_window(message: Message, now: datetime) -> bool:
    """True while its author may still edit or delete it."""
    return now - message.created_at <= EDIT_WINDOW


def payload(
    message: Message, session: ChatSession, parent: Message | None = None
) -> dict[str, Any]:
    """A message as clients see it (the `message` event and history entries).

    A message a moderator removed is a tombstone: its author and place are kept, so the
    conversation around it still reads, but not its text, reactions or why it went.
    """
    removed = removed_by_moderator(message)
    edited_at = message.edited_at
    preview: dict[str, Any] | None = None
    if message.reply_to is not None:
        preview = {"id": message.reply_to, "author": None, "excerpt": None, "deleted": True}
        if parent is not None and parent.deleted_at is None:
            preview = {
                "id": parent.seq,
                "author": parent.author.display_name,
                "excerpt": parent.body[:EXCERPT],
                "deleted": False,
            }
    return {
        "id": message.seq,
        "session_id": message.session_id,
        "client_id": message.client_id,
        "author": {
            "id": message.author.id,
            "name": message.author.display_name,
            "pronouns": message.author.pronouns,
            "role": author_role(message.author, session),
        },
        "body": "" if removed else message.body,
        "kind": message.kind,
        "prompt": None
        if message.prompt is None
        else {"id": message.prompt.id, "number": message.prompt.number},
        "reply_to": message.reply_to,
        "reply_preview": preview,
        "reactions": dict.fromkeys(REACTIONS, 0) if removed else _counts(message),
        "created_at": message.created_at.isoformat(),
        "edited": message.edited_at is not None and not removed,
        "edited_at": edited_at.isoformat() if edited_at and not removed else None,
        "moderator_note": "" if removed else message.moderator_note,
        "sensitive": message.sensitive and not removed,
        "removed": "moderator" if removed else None,
    }


def by_seq(db: Session, session: ChatSession, seqs: set[int]) -> dict[int, Message]:
    """This session's messages with these ids (deleted ones included), by id."""
    if not seqs:
        return {}
    rows = db.scalars(
        select(Message)
        .options(selectinload(Message.author), selectinload(Message.prompt))
        .where(Message.session_id == session.id, Message.seq.in_(seqs))
    )
    return {m.seq: m for m in rows}


def payloads(db: Session, session: ChatSession, messages: list[Message]) -> list[dict[str, Any]]:
    """Payloads for many messages, fetching their reply parents in one query."""
    parents = by_seq(db, session, {m.reply_to for m in messages if m.reply_to is not None})
    return [payload(m, session, parents.get(m.reply_to or 0)) for m in messages]


# Run for every message sent: composed once, bound at each call.
_EXISTING = select(Message).where(
    Message.session_id == bindparam("session_id"),
    Message.author_id == bindparam("author_id"),
    Message.client_id == bindparam("client_id"),
)
_NEXT_ID = (
    update(ChatSession)
    .where(ChatSession.id == bindparam("session_id"))
    .values(last_message_id=ChatSession.last_message_id + 1)
    .returning(ChatSession.last_message_id, ChatSession.locked, ChatSession.slow_mode_seconds)
)


def existing(db: Session, session: ChatSession, author: User, client_id: str) -> Message | None:
    """The message this author already stored with this client_id, if any."""
    values = {"session_id": session.id, "author_id": author.id, "client_id": client_id}
    return db.scalar(_EXISTING, values)


def store(
    db: Session,
    session: ChatSession,
    author: User,
    body: str,
    now: datetime,
    *,
    kind: str = "message",
    prompt: Prompt | None = None,
    client_id: str | None = None,
    reply_to: int | None = None,
) -> Message:
    """Add a message with the session's next id, uncommitted; the caller commits.

    Taking the id updates the session row, which also serialises writers to one session
    until the caller commits: checks made after this see every earlier message. The same
    statement reads back the room's lock and slow mode as they are under that lock, so
    `session` holds current values for those checks without another query.
    """
    # On the session's connection: given values, the session would run a bulk update.
    next_id = db.connection().execute(_NEXT_ID, {"session_id": session.id})
    seq, locked, slow_mode_seconds = next_id.one()
    set_committed_value(session, "last_message_id", seq)
    set_committed_value(session, "locked", locked)
    set_committed_value(session, "slow_mode_seconds", slow_mode_seconds)
    message = Message(
        session_id=session.id,
        seq=seq,
        author_id=author.id,
        client_id=client_id or str(uuid.uuid4()),
        body=body,
        kind=kind,
        prompt_id=prompt.id if prompt is not None else None,
        reply_to=reply_to,
        created_at=now,
        author=author,  # already loaded: no lazy load per message
        prompt=prompt,
        reactions=[],
    )
    db.add(message)
    db.flush()
    return message


def answered_prompt(db: Session, session: ChatSession, answer_to: AnswerTo) -> Prompt | None:
    """The posted prompt a new message answers: the current one unless another is chosen."""
    if answer_to is None:
        return None
    prompt_id = session.current_prompt_id if answer_to == CURRENT else answer_to
    if prompt_id is None:
        return None
    prompt = db.get(Prompt, prompt_id)
    if prompt is None or prompt.session_id != session.id or prompt.posted_at is None:
        raise NotFound("That question has not been posted in this session.")
    return prompt


def _require_writable(
    db: Session, actor: User, session: ChatSession, message: Message, now: datetime
) -> None:
    """Lock and slow mode bind members only; call after `store` has locked the session
    with the new `message`, which is compared with the author's earlier ones."""
    if is_staff(actor, session):
        return
    if session.locked:
        raise ChatError(
            "The facilitator has paused the chat; you can read but not write for now.",
            "room_closed",
        )
    if session.slow_mode_seconds:
        last = db.scalar(
            select(func.max(Message.created_at)).where(
                Message.session_id == session.id,
                Message.author_id == actor.id,
                Message.seq < message.seq,
                Message.kind == "message",
                Message.deleted_at.is_(None),
            )
        )
        if last is not None:
            wait = session.slow_mode_seconds - (now - last).total_seconds()
            if wait > 0:
                raise RateLimited(
                    f"Slow mode is on: one message every {session.slow_mode_seconds} seconds.",
                    retry_after=math.ceil(wait),
                )


def send_message(
    db: Session,
    actor: User,
    session: ChatSession,
    body: str,
    client_id: str,
    reply_to: int | None,
    now: datetime,
    lobby_minutes: int,
    answer_to: AnswerTo = CURRENT,
    flood: limits.Limiter | None = None,
) -> tuple[dict[str, Any], list[RoomEvent]]:
    """Store a message once per (author, client_id) and return it with its event.

    A resend with a client_id already stored returns the stored message and no event,
    so a client retrying after a dropped connection never makes a duplicate. While a
    prompt is current the message answers it, unless `answer_to` names another posted
    prompt or is None. With a `flood` limiter, members' repeats and floods are refused.
    """
    require_view(actor, session)
    earlier = existing(db, session, actor, client_id)
    if earlier is not None:
        return payloads(db, session, [earlier])[0], []
    require_open(session, now, lobby_minutes)
    sanctions.require_unmuted(db, actor, session, now)
    text = clean_body(body)
    parent = None
    if reply_to is not None:
        parent = by_seq(db, session, {reply_to}).get(reply_to)
        if parent is None or parent.deleted_at is not None:
            raise NotFound("The message you are replying to is not there any more.")
    prompt = answered_prompt(db, session, answer_to)

    def writable(message: Message) -> None:
        # `store` has read the controls under the session lock: a lock or slow mode set
        # a moment ago, or this member's message from another tab, counts.
        _require_writable(db, actor, session, message, now)
        if flood is not None:
            limits.check_message(db, flood, actor, session, message, now)

    message, new = store_once(
        db, session, actor, text, client_id, now, prompt=prompt, reply_to=reply_to, check=writable
    )
    if not new:
        return payloads(db, session, [message])[0], []
    body_payload = payload(message, session, parent)
    return body_payload, [MessagePosted(session.id, body_payload)]


def store_once(
    db: Session,
    session: ChatSession,
    author: User,
    text: str,
    client_id: str,
    now: datetime,
    *,
    kind: str = "message",
    prompt: Prompt | None = None,
    reply_to: int | None = None,
    check: Callable[[Message], None] | None = None,
) -> tuple[Message, bool]:
    """Store and commit a message once per (author, client_id); True if it is new.

    `check` runs after the insert has locked the session row and may refuse the message
    (it is rolled back). If the same client_id won a race on another connection, that
    stored message comes back instead, with False.
    """
    try:
        message = store(
            db, session, author, text, now, kind=kind, prompt=prompt, client_id=client_id,
            reply_to=reply_to,
        )  # fmt: skip
        if check is not None:
            check(message)
        db.commit()
    except IntegrityError:
        db.rollback()
        winner = existing(db, session, author, client_id)
        if winner is None:
            raise
        return winner, False
    except ChatError:
        db.rollback()
        raise
    return message, True


def _vanished() -> Any:
    """Deleted by the author: gone from history (a moderator's removal is a tombstone)."""
    return (Message.deleted_at.is_not(None)) & (Message.deleted_by_id == Message.author_id)


# The reads every join makes are composed once, with parameters bound at each call:
# composing an ORM statement costs more than SQLite takes to run it (docs/performance.md).
_VISIBLE = (
    select(Message)
    .options(
        selectinload(Message.author),
        selectinload(Message.reactions),
        selectinload(Message.prompt),
    )
    .where(Message.session_id == bindparam("session_id"), ~_vanished())
)
_LAST_PAGE = _VISIBLE.order_by(Message.seq.desc()).limit(HISTORY_PAGE + 1)
_PAGE_BEFORE = _LAST_PAGE.where(Message.seq < bindparam("before_id"))
_AFTER = (
    _VISIBLE.where(Message.seq > bindparam("after_id"))
    .order_by(Message.seq)
    .limit(CATCH_UP_LIMIT + 1)
)
_MY_REACTIONS = (
    select(Message.seq, Reaction.kind)
    .join(Reaction, Reaction.message_id == Message.id)
    .where(Message.session_id == bindparam("session_id"), Reaction.user_id == bindparam("user_id"))
)


def recent(db: Session, session: ChatSession, before_id: int | None = None) -> dict[str, Any]:
    """The last HISTORY_PAGE messages (before `before_id` if given), oldest first."""
    if before_id is None:
        rows = list(db.scalars(_LAST_PAGE, {"session_id": session.id}))
    else:
        rows = list(db.scalars(_PAGE_BEFORE, {"session_id": session.id, "before_id": before_id}))
    more = len(rows) > HISTORY_PAGE
    page = list(reversed(rows[:HISTORY_PAGE]))
    return {"messages": payloads(db, session, page), "more_before": more}


def check_last_seen(session: ChatSession, last_seen_id: int) -> None:
    """A client cannot have seen a negative id, or one the session has not handed out."""
    if last_seen_id < 0:
        raise ChatError("last_seen_id cannot be negative.", "invalid")
    if last_seen_id > session.last_message_id:
        raise ChatError("last_seen_id is later than any message in this session.", "invalid")


def catch_up(db: Session, session: ChatSession, last_seen_id: int) -> dict[str, Any]:
    """Every message after `last_seen_id`, oldest first (up to CATCH_UP_LIMIT a call)."""
    check_last_seen(session, last_seen_id)
    rows = list(db.scalars(_AFTER, {"session_id": session.id, "after_id": last_seen_id}))
    more = len(rows) > CATCH_UP_LIMIT
    return {"messages": payloads(db, session, rows[:CATCH_UP_LIMIT]), "more_after": more}


def deleted_ids(db: Session, session: ChatSession) -> list[int]:
    """Ids of messages their authors deleted, so a returning client can drop ones it
    still shows (a moderator's removals come as tombstones in `revised`)."""
    query = select(Message.seq).where(Message.session_id == session.id, _vanished())
    return list(db.scalars(query.order_by(Message.seq)))


def revised(db: Session, session: ChatSession) -> list[dict[str, Any]]:
    """Every message that changed after it was sent, as it is now: edited, sensitive,
    removed by a moderator (a tombstone), or restored or unmarked (the audit log names
    those), so a returning client can correct what it shows."""
    targets = db.scalars(
        select(AuditEntry.target).where(
            AuditEntry.session_id == session.id, AuditEntry.target.like("message %")
        )
    )
    acted = {int(t.split()[1]) for t in targets if t.split()[1:2] and t.split()[1].isdigit()}
    changed = or_(
        Message.edited_at.is_not(None),
        Message.sensitive.is_(True),
        Message.deleted_at.is_not(None),
        Message.seq.in_(acted),
    )
    query = _VISIBLE.where(changed).order_by(Message.seq)
    rows = list(db.scalars(query, {"session_id": session.id}))
    return payloads(db, session, rows)


def reaction_counts(db: Session, session: ChatSession) -> dict[int, dict[str, int]]:
    """Current reaction counts of every message that has any, so a returning client
    can correct counts it missed while offline."""
    rows = db.execute(
        select(Message.seq, Reaction.kind, func.count())
        .join(Reaction, Reaction.message_id == Message.id)
        .where(Message.session_id == session.id, Message.deleted_at.is_(None))
        .group_by(Message.seq, Reaction.kind)
    )
    counts: dict[int, dict[str, int]] = {}
    for seq, kind, n in rows:
        counts.setdefault(seq, dict.fromkeys(REACTIONS, 0))[kind] = n
    return counts


def my_reactions(db: Session, session: ChatSession, user: User) -> dict[int, list[str]]:
    """Which reactions `user` has given, by message id, to light up their own buttons."""
    rows = db.execute(_MY_REACTIONS, {"session_id": session.id, "user_id": user.id})
    mine: dict[int, list[str]] = {}
    for seq, kind in rows:
        mine.setdefault(seq, []).append(kind)
    return mine


def get_message(db: Session, session: ChatSession, message_id: int) -> Message:
    """A visible message of this session by its id; `not_found` if missing or deleted."""
    message = db.scalar(
        select(Message)
        .options(
            selectinload(Message.reactions),
            selectinload(Message.author),
            selectinload(Message.prompt),
        )
        .where(Message.session_id == session.id, Message.seq == message_id)
    )
    if message is None or message.deleted_at is not None:
        raise NotFound("That message is not there any more.")
    return message


def react(
    db: Session,
    actor: User,
    session: ChatSession,
    message_id: int,
    kind: str,
    active: bool,
    now: datetime,
    lobby_minutes: int,
) -> tuple[dict[str, int], list[RoomEvent]]:
    """Add (`active`) or remove one reaction; idempotent. Returns the new counts."""
    require_view(actor, session)
    require_open(session, now, lobby_minutes)
    if session.locked and not is_staff(actor, session):
        raise ChatError("The facilitator has paused the chat for now.", "room_closed")
    sanctions.require_unmuted(db, actor, session, now)
    if kind not in REACTIONS:
        raise ChatError(f"reaction must be one of {', '.join(REACTIONS)}.", "invalid")
    message = get_message(db, session, message_id)
    mine = next((r for r in message.reactions if r.user_id == actor.id and r.kind == kind), None)
    changed = False
    if active and mine is None:
        message.reactions.append(Reaction(user_id=actor.id, kind=kind, created_at=now))
        changed = True
    elif not active and mine is not None:
        message.reactions.remove(mine)
        changed = True
    try:
        db.commit()
    except IntegrityError:  # the same reaction from another tab at the same moment
        db.rollback()
        db.refresh(message)
        changed = False
    counts = _counts(message)
    event_body = {"session_id": session.id, "message_id": message.seq, "counts": counts}
    return counts, [ReactionsChanged(session.id, event_body)] if changed else []


def moderator_reason(reason: str, required: bool, what: str = "reason") -> str:
    """A moderator's reason or note, trimmed: up to MAX_REASON characters."""
    text = _CONTROL.sub("", reason or "").strip()
    if required and not text:
        raise ChatError(f"Give a {what}: the member is told it.", "invalid")
    if len(text) > MAX_REASON:
        raise ChatError(f"Keep the {what} to {MAX_REASON} characters or fewer.", "invalid")
    return text


def delete_message(
    db: Session,
    actor: User,
    session: ChatSession,
    message_id: int,
    now: datetime,
    reason: str = "",
) -> list[RoomEvent]:
    """Authors delete their own messages within EDIT_WINDOW (staff theirs at any time):
    they vanish. Facilitators and organisers remove anyone's: it stays as a tombstone,
    "removed by a moderator", the author is told why, and the audit log records it.
    """
    require_view(actor, session)
    message = get_message(db, session, message_id)
    staff = is_staff(actor, session)
    if message.author_id != actor.id and not staff:
        raise Forbidden("You can only delete your own messages.")
    if message.author_id == actor.id and not staff and not within_edit_window(message, now):
        raise Forbidden("You can delete a message for 5 minutes after sending it.")
    text = moderator_reason(reason, required=False)
    message.deleted_at = now
    message.deleted_by_id = actor.id
    body: dict[str, Any] = {"session_id": session.id, "message_id": message.seq}
    if message.author_id == actor.id:
        db.commit()
        # A pinned message that is deleted is no longer pinned: `room` payloads skip
        # it, and clients drop the pin when they hear `message_deleted` for it.
        return [MessageDeleted(session.id, {**body, "removed_by": "author"})]
    message.deleted_reason = text
    audit.record(
        db, actor, "delete_message", now, subject=message.author, session=session,
        target=f"message {message.seq}", reason=text,
    )  # fmt: skip
    db.commit()
    tombstone = payloads(db, session, [message])[0]
    notice = {"action": "delete_message", "session_id": session.id, "reason": text,
              "message_id": message.seq}  # fmt: skip
    return [
        MessageDeleted(session.id, {**body, "removed_by": "moderator", "message": tombstone}),
        ModerationNotice(session.id, notice, user_id=message.author_id),
    ]
