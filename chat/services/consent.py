"""The review window: after a session ends, each participant chooses what the recap shows
of what they wrote (keep with their name, show as "A participant", or withdraw).

The window (the series' `review_hours`, 48 without a series) is when participants are
reminded to choose. Choices may still change after it closes: the recap is built from the
current choices whenever it is shown, so a change after publication applies at once.

A question a facilitator made from a message (`Question.from_message_id`) repeats that
message's words, so it shares the message's fate: choosing for the message chooses for
the question too, and the question cannot be chosen for on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from chat.errors import ChatError, Forbidden, NotFound, ValidationError
from chat.models import CONSENT_CHOICES, ChatSession, Message, Question, User
from chat.services import clock, messages, rooms
from chat.services.roles import require_view

DEFAULT_REVIEW_HOURS = 48  # for a session without a series
MIN_REVIEW_HOURS, MAX_REVIEW_HOURS = 1, 14 * 24
# How far back the banner looks for sessions: the longest window plus a session's own
# length and generous extensions, so the exact check can run on a handful of rows.
_REMINDER_LOOKBACK = timedelta(hours=MAX_REVIEW_HOURS, days=7)
KINDS = ("message", "question")
CHOICE_LABELS = {
    "keep": "Keep with my name",
    "anonymise": "Show without my name",
    "withdraw": "Withdraw from the recap",
}
OPENING = 60  # characters of a message quoted in its legend


def review_closes_at(session: ChatSession) -> datetime:
    """When the review window closes: the session's end plus its series' review hours."""
    hours = session.series.review_hours if session.series is not None else DEFAULT_REVIEW_HOURS
    return rooms.ends_at(session) + timedelta(hours=hours)


def has_ended(session: ChatSession, now: datetime) -> bool:
    """True once the session is over (a cancelled session never ran, so never ends)."""
    return not session.cancelled and now >= rooms.ends_at(session)


def window_open(session: ChatSession, now: datetime) -> bool:
    """True from the session's end until its review window closes."""
    return has_ended(session, now) and now < review_closes_at(session)


@dataclass(frozen=True)
class Item:
    """One of a participant's messages or questions, as the review page lists it."""

    kind: str  # "message" or "question"
    id: int  # the message's seq, or the question's id
    body: str
    created_at: datetime  # pages show it in the viewer's zone
    prompt_number: int | None  # the Q number a message answered
    consent: str
    removed: bool = False  # removed by a moderator: never in the recap, nothing to choose
    follows: int | None = None  # a question made from this message seq follows its choice

    @property
    def key(self) -> str:
        """The form field name, like "message-12"."""
        return f"{self.kind}-{self.id}"

    @property
    def choosable(self) -> bool:
        """Whether its author can choose for it on its own."""
        return not self.removed and self.follows is None

    @property
    def opening(self) -> str:
        """The start of the text on one line, for a legend."""
        line = " ".join(self.body.split())
        return line if len(line) <= OPENING else line[: OPENING - 1].rstrip() + "…"


@dataclass(frozen=True)
class Review:
    """A participant's review page for one session."""

    session: ChatSession
    closes_at: datetime
    window_open: bool
    items: tuple[Item, ...]

    @property
    def messages(self) -> tuple[Item, ...]:
        """The participant's messages, in the order sent."""
        return tuple(i for i in self.items if i.kind == "message")

    @property
    def questions(self) -> tuple[Item, ...]:
        """The participant's questions, in the order asked."""
        return tuple(i for i in self.items if i.kind == "question")

    def message(self, seq: int) -> Item | None:
        """The participant's message with this seq, if it is listed."""
        return next((i for i in self.messages if i.id == seq), None)


def _mine(db: Session, user: User, session: ChatSession) -> tuple[list[Message], list[Question]]:
    """The user's own messages (not those they deleted) and questions (withdrawn ones are
    gone) in this session."""
    written = db.scalars(
        select(Message)
        .options(selectinload(Message.prompt))
        .where(
            Message.session_id == session.id,
            Message.author_id == user.id,
            Message.kind == "message",
        )
        .order_by(Message.seq)
    )
    own = [m for m in written if m.deleted_at is None or messages.removed_by_moderator(m)]
    asked = db.scalars(
        select(Question)
        .where(Question.session_id == session.id, Question.author_id == user.id)
        .order_by(Question.id)
    )
    return own, list(asked)


def my_items(db: Session, user: User, session: ChatSession) -> list[Item]:
    """The user's messages, then their questions, each with its current choice."""
    own, asked = _mine(db, user, session)
    items = [
        Item(
            kind="message",
            id=m.seq,
            body="" if m.deleted_at is not None else m.body,  # never re-show removed text
            created_at=m.created_at,
            prompt_number=m.prompt.number if m.prompt is not None else None,
            consent=m.consent,
            removed=m.deleted_at is not None,
        )
        for m in own
    ]
    items += [
        Item(
            kind="question",
            id=q.id,
            body=q.body,
            created_at=q.created_at,
            prompt_number=None,
            consent=q.consent,
            follows=q.from_message_id,
        )
        for q in asked
    ]
    return items


def _require_reviewable(
    db: Session, user: User, session: ChatSession, now: datetime
) -> tuple[list[Message], list[Question]]:
    """The user's messages and questions, if they wrote any here and the session ended."""
    require_view(user, session)
    own, asked = _mine(db, user, session)
    if not own and not asked:
        raise Forbidden("You wrote nothing in this session, so there is nothing to review.")
    if not has_ended(session, now):
        ends = clock.format_local(rooms.ends_at(session), session.time_zone)
        raise ChatError(
            f"You can review your messages once the session has ended ({ends}).", "conflict"
        )
    return own, asked


def review(db: Session, user: User, session: ChatSession, now: datetime) -> Review:
    """The user's review page: Forbidden for non-participants, conflict before the end."""
    _require_reviewable(db, user, session, now)
    return Review(
        session=session,
        closes_at=review_closes_at(session),
        window_open=window_open(session, now),
        items=tuple(my_items(db, user, session)),
    )


def _check_choice(choice: str, field: str) -> None:
    if choice not in CONSENT_CHOICES:
        raise ValidationError({field: "Choose keep, show without my name, or withdraw."})


def set_choices(
    db: Session,
    user: User,
    session: ChatSession,
    choices: Mapping[tuple[str, int], str],
    now: datetime,
) -> int:
    """Store the author's choices, keyed by (kind, id); all or none. Returns how many
    messages and questions changed. A message's choice also applies to the questions made
    from it. Allowed any time after the session ended (see the module's docstring)."""
    own, asked = _require_reviewable(db, user, session, now)
    by_seq = {m.seq: m for m in own}
    by_id = {q.id: q for q in asked}
    errors: dict[str, str] = {}
    for (kind, item_id), choice in choices.items():
        field = f"{kind}-{item_id}"
        if kind not in KINDS:
            raise ValidationError({"kind": "Choose for a message or a question."})
        if (by_seq if kind == "message" else by_id).get(item_id) is None:
            raise NotFound(f"You have no {kind} {item_id} in this session.")
        try:
            _check_choice(choice, field)
        except ValidationError as exc:
            errors.update(exc.fields)
        if kind == "message" and by_seq[item_id].deleted_at is not None:
            raise ChatError("A moderator removed that message: it is not in the recap.", "conflict")
        if kind == "question" and by_id[item_id].from_message_id is not None:
            seq = by_id[item_id].from_message_id
            raise ChatError(
                f"This question was made from your message #{seq}: "
                "choose for that message and the question follows it.",
                "conflict",
            )
    if errors:
        raise ValidationError(errors)
    changed = 0
    for (kind, item_id), choice in choices.items():
        targets: list[Message | Question]
        if kind == "message":
            targets = [by_seq[item_id], *(q for q in asked if q.from_message_id == item_id)]
        else:
            targets = [by_id[item_id]]
        for target in targets:
            if target.consent != choice:
                target.consent = choice
                changed += 1
    db.commit()
    return changed


def set_consent(
    db: Session,
    user: User,
    session: ChatSession,
    kind: str,
    item_id: int,
    choice: str,
    now: datetime,
) -> int:
    """Choose what the recap shows of one message or question (its author only)."""
    return set_choices(db, user, session, {(kind, item_id): choice}, now)


def set_all(db: Session, user: User, session: ChatSession, choice: str, now: datetime) -> int:
    """One choice for every message and question the user wrote in the session (those a
    moderator removed stay out of the recap whatever is chosen). Returns how many changed."""
    own, asked = _require_reviewable(db, user, session, now)
    _check_choice(choice, "all")
    targets: list[Message | Question] = [m for m in own if m.deleted_at is None]
    changed = 0
    for target in [*targets, *asked]:
        if target.consent != choice:
            target.consent = choice
            changed += 1
    db.commit()
    return changed


@dataclass(frozen=True)
class Reminder:
    """A session whose review window is open for this participant."""

    session_id: int
    title: str
    closes_at: datetime


def sessions_to_review(db: Session, user: User, now: datetime) -> list[Reminder]:
    """Ended sessions (not rehearsals) whose review window is open now and in which the
    user wrote a message or asked a question, soonest to close first. One query."""
    wrote = exists().where(
        Message.session_id == ChatSession.id,
        Message.author_id == user.id,
        Message.kind == "message",
        Message.deleted_at.is_(None),
    )
    asked = exists().where(Question.session_id == ChatSession.id, Question.author_id == user.id)
    candidates = db.scalars(
        select(ChatSession)
        .options(joinedload(ChatSession.series))
        .where(
            ChatSession.cancelled.is_(False),
            ChatSession.rehearsal_of_id.is_(None),
            ChatSession.starts_at >= now - _REMINDER_LOOKBACK,
            or_(wrote, asked),
        )
    )
    reminders = [
        Reminder(s.id, s.title, review_closes_at(s)) for s in candidates if window_open(s, now)
    ]
    return sorted(reminders, key=lambda r: (r.closes_at, r.session_id))
