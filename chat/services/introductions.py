"""Introductions: at their first join of a room, a member is offered to introduce
themselves with a short text drafted from their profile, which they may edit, post or skip.

An introduction is a chat message of kind "introduction", stored through the message
service (same length limits, sanctions, room state, resend handling and consent). The
member's answer to the offer, posted or skipped, is an `IntroductionChoice` for that room:
each week's room offers it once, and never again after either answer.

The room's "who's here" strip lists the introductions posted in it, leaving out members
on the other side of a block from the viewer (`blocks.hidden_ids`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, literal_column, select, union, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from chat.errors import ChatError
from chat.events import MessagePosted, RoomEvent
from chat.models import Block, ChatSession, IntroductionChoice, Message, User
from chat.services import messages, rooms, sanctions
from chat.services.roles import is_staff, require_view

KIND = "introduction"
POSTED, SKIPPED = "posted", "skipped"
STRIP_PAGE = 100
# How each training stage reads in a sentence: "Hi, I'm Sam, a second-year trainee ...".
STAGE_PHRASES = {
    "Considering training": "considering training",
    "Foundation / introductory": "a foundation-level trainee",
    "Certificate": "a certificate-level trainee",
    "Diploma or degree, year 1": "a first-year trainee",
    "Diploma or degree, year 2": "a second-year trainee",
    "Diploma or degree, year 3+": "a trainee in my third year or beyond",
    "Postgraduate / doctoral": "a postgraduate trainee",
    "Recently qualified": "a recently qualified therapist",
    "Qualified": "a qualified therapist",
}

# The members hidden from `user_id` by a block, in either direction: the same set as
# `blocks.hidden_ids`, composed here so that a join reads it in the one statement below.
_HIDDEN_FROM = (
    select(Block.blocked_id.label("member_id")).where(Block.blocker_id == bindparam("user_id")),
    select(Block.blocker_id.label("member_id")).where(Block.blocked_id == bindparam("user_id")),
)
# What a join needs of the member's own records, in one statement: ("hidden", member id)
# for each member hidden by a block, and ("posted" or "skipped", their own id) once they
# answered this room's offer.
_JOIN_RECORDS = union_all(
    *(s.add_columns(literal_column("'hidden'").label("record")) for s in _HIDDEN_FROM),
    select(IntroductionChoice.user_id, IntroductionChoice.choice).where(
        IntroductionChoice.session_id == bindparam("session_id"),
        IntroductionChoice.user_id == bindparam("user_id"),
    ),
)
_STRIP = (
    select(Message)
    .options(
        selectinload(Message.author), selectinload(Message.reactions), selectinload(Message.prompt)
    )
    .where(
        Message.session_id == bindparam("session_id"),
        Message.kind == KIND,
        Message.deleted_at.is_(None),
        Message.author_id.not_in(union(*_HIDDEN_FROM).scalar_subquery()),
        Message.seq < bindparam("before_id"),
    )
    .order_by(Message.seq.desc())
    .limit(bindparam("limit"))
)


def _listed(text: str) -> str:
    """ "grief, endings, LGBTQ+ affirmative practice" as "grief, endings and LGBTQ+ ..."."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def draft(user: User) -> str:
    """A short introduction from the member's profile, leaving out what they left empty:
    "Hi, I'm Sam (they/them), a second-year trainee in person-centred counselling at
    Metanoia, based in Leeds. Interested in grief and LGBTQ+ affirmative practice."
    """
    opening = f"Hi, I'm {user.display_name}"
    if user.pronouns.strip():
        opening += f" ({user.pronouns.strip()})"
    stage = STAGE_PHRASES.get(user.training_stage, "")
    modality, trains_at = user.modality.strip(), user.trains_at.strip()
    role = stage
    if modality:
        role = f"{stage or 'working'} in {modality}"
    if trains_at:
        role = f"{role or 'training or practising'} at {trains_at}"
    parts = [opening, role]
    if user.region.strip():
        parts.append(f"based in {user.region.strip()}")
    text = ", ".join(p for p in parts if p) + "."
    interests = _listed(user.interests)
    if interests:
        text += f" Interested in {interests}."
    return text


def _offered(user: User, session: ChatSession, answered: bool, now: datetime, lobby: int) -> bool:
    """Whether the room offers an introduction: not yet answered, in a room open for chat
    (lobby or live, not locked to members) that is not a staff rehearsal."""
    if answered or session.rehearsal_of_id is not None:
        return False
    if rooms.derive_state(session, now, lobby) not in messages.OPEN_STATES:
        return False
    return not session.locked or is_staff(user, session)


def _choice(db: Session, user: User, session: ChatSession) -> IntroductionChoice | None:
    return db.scalar(
        select(IntroductionChoice).where(
            IntroductionChoice.session_id == session.id, IntroductionChoice.user_id == user.id
        )
    )


def offer(
    db: Session, user: User, session: ChatSession, now: datetime, lobby_minutes: int
) -> str | None:
    """The draft to offer `user` in this room, or None: they already posted or skipped
    here, or the room is not open for chat."""
    answered = _choice(db, user, session) is not None
    return draft(user) if _offered(user, session, answered, now, lobby_minutes) else None


def for_join(
    db: Session, user: User, session: ChatSession, now: datetime, lobby_minutes: int
) -> dict[str, Any]:
    """The join ack's `introduction` (`{"draft": ...}` or None, as `offer`) and
    `hidden_member_ids` (as `blocks.hidden_ids`), read in one statement."""
    rows = db.execute(_JOIN_RECORDS, {"session_id": session.id, "user_id": user.id})
    hidden: set[int] = set()
    answered = False
    for member_id, record in rows:
        if record == "hidden":
            hidden.add(member_id)
        else:
            answered = True
    offered = _offered(user, session, answered, now, lobby_minutes)
    return {
        "introduction": {"draft": draft(user)} if offered else None,
        "hidden_member_ids": sorted(hidden),
    }


def _already_answered(choice: IntroductionChoice) -> ChatError:
    if choice.choice == POSTED:
        return ChatError("You have already introduced yourself in this room.", "conflict")
    return ChatError("You skipped the introduction in this room.", "conflict")


def introduce(
    db: Session,
    actor: User,
    session: ChatSession,
    body: str,
    client_id: str,
    now: datetime,
    lobby_minutes: int,
) -> tuple[dict[str, Any], list[RoomEvent]]:
    """Post the member's introduction to the room, once, and record that they posted it
    in the same transaction. A resend with the same client_id returns the stored
    introduction and no event; a second introduction, or one after skipping, is refused
    with `conflict`. Staff may introduce themselves too; lock binds members only."""
    require_view(actor, session)
    earlier = messages.existing(db, session, actor, client_id)
    if earlier is not None:
        if earlier.kind != KIND:
            raise ChatError("That client_id was already used for another message.", "conflict")
        return messages.payloads(db, session, [earlier])[0], []
    messages.require_open(session, now, lobby_minutes)
    sanctions.require_unmuted(db, actor, session, now)
    text = messages.clean_body(body)

    def record_choice(message: Message) -> None:
        # `store` has locked the session row: another tab's introduction has committed.
        if session.locked and not is_staff(actor, session):
            raise ChatError(
                "The facilitator has paused the chat; you can introduce yourself once it reopens.",
                "room_closed",
            )
        answered = _choice(db, actor, session)
        if answered is not None:
            raise _already_answered(answered)
        db.add(IntroductionChoice(session_id=session.id, user_id=actor.id, choice=POSTED,
                                  created_at=now))  # fmt: skip

    message, new = messages.store_once(
        db, session, actor, text, client_id, now, kind=KIND, check=record_choice
    )
    stored = messages.payloads(db, session, [message])[0]
    return stored, [MessagePosted(session.id, stored)] if new else []


def skip(db: Session, actor: User, session: ChatSession, now: datetime) -> str:
    """Record that the member skipped this room's offer; returns their choice, which stays
    "posted" if they already introduced themselves (skipping twice changes nothing)."""
    require_view(actor, session)
    answered = _choice(db, actor, session)
    if answered is not None:
        return answered.choice
    db.add(IntroductionChoice(session_id=session.id, user_id=actor.id, choice=SKIPPED,
                              created_at=now))  # fmt: skip
    try:
        db.commit()
    except IntegrityError:  # another tab answered at the same moment: theirs stands
        db.rollback()
        answered = _choice(db, actor, session)
        if answered is None:
            raise
        return answered.choice
    return SKIPPED


def strip(
    db: Session, viewer: User, session: ChatSession, before_id: int | None = None
) -> dict[str, Any]:
    """The introductions posted in this room for its "who's here" strip, oldest first:
    the last STRIP_PAGE (before `before_id` if given), without members hidden from
    `viewer` by a block, or introductions deleted or removed."""
    require_view(viewer, session)
    values = {
        "session_id": session.id,
        "user_id": viewer.id,
        "before_id": before_id if before_id is not None else session.last_message_id + 1,
        "limit": STRIP_PAGE + 1,
    }
    rows = list(db.scalars(_STRIP, values))
    page = list(reversed(rows[:STRIP_PAGE]))
    return {
        "introductions": messages.payloads(db, session, page),
        "more_before": len(rows) > STRIP_PAGE,
    }


def export(db: Session, user: User) -> list[dict[str, Any]]:
    """The member's answers to introduction offers, for their data export."""
    rows = db.scalars(
        select(IntroductionChoice)
        .where(IntroductionChoice.user_id == user.id)
        .order_by(IntroductionChoice.created_at, IntroductionChoice.session_id)
    )
    return [
        {"session_id": c.session_id, "choice": c.choice, "created_at": c.created_at.isoformat()}
        for c in rows
    ]


def forget(db: Session, user: User, now: datetime) -> None:
    """On account deletion (uncommitted; the caller commits): an introduction describes
    its author by name, place and training, so theirs vanish from history as if they had
    deleted them, and their answers to offers go."""
    db.execute(
        update(Message)
        .where(Message.author_id == user.id, Message.kind == KIND, Message.deleted_at.is_(None))
        .values(deleted_at=now, deleted_by_id=user.id)
    )
    db.execute(delete(IntroductionChoice).where(IntroductionChoice.user_id == user.id))
