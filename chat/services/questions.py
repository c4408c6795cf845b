"""The question queue: members ask (perhaps anonymously), vote, edit or withdraw; staff
approve, dismiss, restore, edit, merge, spotlight and mark answered.

Votes are rows with one primary key per (question, member), and counts are always
derived from them, so concurrent votes count exactly in any number of processes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from chat.errors import ChatError, Forbidden, NotFound, RateLimited
from chat.events import QuestionChanged, RoomEvent
from chat.models import ChatSession, Question, QuestionVote, User
from chat.services import controls, messages, rooms, sanctions
from chat.services.roles import is_staff, require_staff, require_view

MIN_BODY, MAX_BODY = 5, 500
ASK_INTERVAL = timedelta(seconds=30)
DEFAULT_MAX_OPEN = 3
ACTIVE = ("pending", "open", "spotlit")  # counted against a member's limit; editable
PUBLIC = ("open", "spotlit", "answered")  # everyone in the room sees these
ASKING_STATES = (rooms.SCHEDULED, rooms.LOBBY, rooms.LIVE)
# Which moderation action moves a question from which statuses to which.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "approve": (("pending",), "open"),
    "dismiss": (("pending", "open", "spotlit"), "dismissed"),
    "restore": (("dismissed",), "open"),
    "spotlight": (("pending", "open", "answered"), "spotlit"),
    "reopen": (("spotlit",), "open"),  # spotlit by mistake: back in the queue
    "answer": (("open", "spotlit"), "answered"),
}


def clean_question(body: str) -> str:
    """Trim and check a question's text: 5 to 500 characters of plain text."""
    text = messages.clean_body(body) if body.strip() else ""
    if len(text) < MIN_BODY:
        raise ChatError(f"Write a question of at least {MIN_BODY} characters.", "invalid")
    if len(text) > MAX_BODY:
        raise ChatError(f"Keep questions to {MAX_BODY} characters or fewer.", "invalid")
    return text


def vote_counts(db: Session, question_ids: Iterable[int]) -> dict[int, int]:
    """Votes per question, counted from the vote rows."""
    ids = list(question_ids)
    if not ids:
        return {}
    rows = db.execute(
        select(QuestionVote.question_id, func.count())
        .where(QuestionVote.question_id.in_(ids))
        .group_by(QuestionVote.question_id)
    )
    counts = dict.fromkeys(ids, 0)
    counts.update({qid: n for qid, n in rows})
    return counts


def _body(question: Question, votes: int, show_author: bool) -> dict[str, Any]:
    author = None
    if show_author:
        author = {"id": question.author.id, "name": question.author.display_name}
    return {
        "id": question.id,
        "session_id": question.session_id,
        "body": question.body,
        "status": question.status,
        "anonymous": question.anonymous,
        "author": author,
        "votes": votes,
        "edited": question.edited_by_staff,
        "merged_into": question.merged_into_id,
        "from_message_id": question.from_message_id,
        "created_at": question.created_at.isoformat(),
        "answered_at": question.answered_at.isoformat() if question.answered_at else None,
    }


def visible(question: Question, viewer: User, staff: bool) -> bool:
    """Public statuses for everyone; the rest for staff and the question's author."""
    return question.status in PUBLIC or staff or question.author_id == viewer.id


def view(question: Question, votes: int, viewer: User, staff: bool) -> dict[str, Any]:
    """A question as `viewer` sees it: an anonymous asker is named only to staff and
    to the asker."""
    show = not question.anonymous or staff or question.author_id == viewer.id
    return _body(question, votes, show)


def _changed(
    db: Session, question: Question, was_public: bool, votes: int | None = None
) -> QuestionChanged:
    if votes is None:
        votes = vote_counts(db, [question.id])[question.id]
    public = _body(question, votes, not question.anonymous) if question.status in PUBLIC else None
    return QuestionChanged(
        question.session_id,
        _body(question, votes, True),
        public=public,
        author_id=question.author_id,
        was_public=was_public,
    )


# Read on every join: composed once, bound at each call.
_QUEUE = (
    select(Question)
    .options(selectinload(Question.author))
    .where(Question.session_id == bindparam("session_id"))
    .order_by(Question.id)
)


def queue(db: Session, session: ChatSession, viewer: User) -> dict[str, Any]:
    """The queue as `viewer` may see it, oldest first, with which they asked and voted."""
    staff = is_staff(viewer, session)
    rows = [q for q in db.scalars(_QUEUE, {"session_id": session.id}) if visible(q, viewer, staff)]
    counts = vote_counts(db, [q.id for q in rows])
    voted: Iterable[int] = ()
    if rows:
        voted = db.scalars(
            select(QuestionVote.question_id).where(
                QuestionVote.user_id == viewer.id,
                QuestionVote.question_id.in_([q.id for q in rows]),
            )
        )
    return {
        "questions": [view(q, counts[q.id], viewer, staff) for q in rows],
        "mine": [q.id for q in rows if q.author_id == viewer.id],
        "voted": sorted(voted),
    }


def _get(db: Session, session: ChatSession, question_id: int, viewer: User) -> Question:
    question = db.get(Question, question_id)
    if (
        question is None
        or question.session_id != session.id
        or not visible(question, viewer, is_staff(viewer, session))
    ):
        raise NotFound("That question is not in this session's queue.")
    return question


def _require_asking(session: ChatSession, now: datetime, lobby_minutes: int) -> None:
    state = rooms.derive_state(session, now, lobby_minutes)
    if state not in ASKING_STATES:
        raise ChatError("This session is over; its queue is closed.", "room_closed")


def _check_limits(
    db: Session, actor: User, session: ChatSession, now: datetime, max_open: int
) -> None:
    theirs = (Question.session_id == session.id) & (Question.author_id == actor.id)
    active = db.scalar(
        select(func.count()).select_from(Question).where(theirs, Question.status.in_(ACTIVE))
    )
    if (active or 0) >= max_open:
        raise ChatError(
            f"You have {max_open} questions waiting. Withdraw one, or wait until one is "
            "answered, to ask another.",
            "rate_limited",
        )
    last = db.scalar(select(func.max(Question.created_at)).where(theirs))
    if last is not None and now - last < ASK_INTERVAL:
        wait = math.ceil((ASK_INTERVAL - (now - last)).total_seconds())
        raise RateLimited("One question every 30 seconds, please.", retry_after=wait)


def _existing(db: Session, session: ChatSession, author: User, client_id: str) -> Question | None:
    return db.scalar(
        select(Question).where(
            Question.session_id == session.id,
            Question.author_id == author.id,
            Question.client_id == client_id,
        )
    )


def ask(
    db: Session,
    actor: User,
    session: ChatSession,
    body: str,
    anonymous: bool,
    client_id: str,
    now: datetime,
    lobby_minutes: int,
    max_open: int = DEFAULT_MAX_OPEN,
) -> tuple[dict[str, Any], list[RoomEvent]]:
    """Add a question (pending if the session is pre-moderated); once per client_id.

    Members may have `max_open` questions waiting and ask one per 30 seconds.
    """
    require_view(actor, session)
    earlier = _existing(db, session, actor, client_id)
    if earlier is not None:
        return view(earlier, vote_counts(db, [earlier.id])[earlier.id], actor, True), []
    _require_asking(session, now, lobby_minutes)
    sanctions.require_unmuted(db, actor, session, now)
    text = clean_question(body)
    staff = is_staff(actor, session)
    # Queue this session's askers on its row, so two tabs cannot both pass the limits.
    db.execute(
        update(ChatSession)
        .where(ChatSession.id == session.id)
        .values(question_revision=ChatSession.question_revision + 1)
    )
    db.refresh(session, ["questions_premoderated"])
    try:
        if not staff:
            _check_limits(db, actor, session, now, max_open)
        question = Question(
            session_id=session.id,
            author=actor,
            client_id=client_id,
            body=text,
            anonymous=anonymous,
            status="pending" if session.questions_premoderated and not staff else "open",
            created_at=now,
        )
        db.add(question)
        db.commit()
    except IntegrityError:  # the same client_id from another tab at the same moment
        db.rollback()
        winner = _existing(db, session, actor, client_id)
        if winner is None:
            raise
        return view(winner, vote_counts(db, [winner.id])[winner.id], actor, True), []
    except ChatError:
        db.rollback()
        raise
    return view(question, 0, actor, True), [_changed(db, question, False, votes=0)]


def vote(
    db: Session,
    actor: User,
    session: ChatSession,
    question_id: int,
    active: bool,
    now: datetime,
    lobby_minutes: int,
) -> tuple[int, list[RoomEvent]]:
    """Upvote (`active`) or take the vote back; idempotent. Returns the new count."""
    require_view(actor, session)
    question = _get(db, session, question_id, actor)
    if question.status in ("dismissed", "merged") or (
        question.status == "pending" and question.author_id != actor.id
    ):
        raise NotFound("That question is not in this session's queue.")
    if question.status == "answered":
        raise ChatError("This question has been answered; voting on it is closed.", "conflict")
    _require_asking(session, now, lobby_minutes)
    sanctions.require_unmuted(db, actor, session, now)
    existing = db.get(QuestionVote, (question.id, actor.id))
    changed = active != (existing is not None)
    if active and existing is None:
        db.add(QuestionVote(question_id=question.id, user_id=actor.id, created_at=now))
    elif not active and existing is not None:
        db.delete(existing)
    try:
        db.commit()
    except IntegrityError:  # the same vote from another tab at the same moment
        db.rollback()
        changed = False
    count = vote_counts(db, [question.id])[question.id]
    return count, [_changed(db, question, question.status in PUBLIC, count)] if changed else []


def edit(
    db: Session, actor: User, session: ChatSession, question_id: int, body: str
) -> list[RoomEvent]:
    """Authors reword their own question until it is answered; staff edit any for clarity,
    and the question then shows that it was edited."""
    require_view(actor, session)
    question = _get(db, session, question_id, actor)
    staff = is_staff(actor, session)
    if not staff:
        if question.author_id != actor.id:
            raise Forbidden("You can only edit your own questions.")
        if question.status not in ACTIVE:
            raise ChatError("This question can no longer be edited.", "conflict")
    elif question.status == "merged":
        raise ChatError("Edit the question it was merged into instead.", "conflict")
    text = clean_question(body)
    if text == question.body:
        return []
    question.body = text
    if staff and question.author_id != actor.id:
        question.edited_by_staff = True
    db.commit()
    return [_changed(db, question, question.status in PUBLIC)]


def withdraw(db: Session, actor: User, session: ChatSession, question_id: int) -> list[RoomEvent]:
    """An author takes back their question (and its votes) until it is answered."""
    require_view(actor, session)
    question = _get(db, session, question_id, actor)
    if question.author_id != actor.id:
        raise Forbidden("You can only withdraw your own questions.")
    if question.status not in ACTIVE:
        raise ChatError("This question can no longer be withdrawn.", "conflict")
    gone = QuestionChanged(
        session.id,
        {
            **_body(question, vote_counts(db, [question.id])[question.id], True),
            "status": "withdrawn",
        },
        author_id=actor.id,
        was_public=question.status in PUBLIC,
    )
    db.delete(question)
    db.commit()
    return [gone]


def moderate(
    db: Session, actor: User, session: ChatSession, question_id: int, action: str, now: datetime
) -> list[RoomEvent]:
    """Approve, dismiss, restore, spotlight, reopen or mark answered (staff only).

    Spotlighting puts any other spotlit question back in the open queue: one question is
    "Now discussing" at a time.
    """
    require_staff(actor, session)
    if action not in TRANSITIONS:
        raise ChatError(f"action must be one of {', '.join(TRANSITIONS)}.", "invalid")
    question = _get(db, session, question_id, actor)
    allowed, target = TRANSITIONS[action]
    if question.status not in allowed:
        raise ChatError(f"A question that is {question.status} cannot be {action}ed.", "conflict")
    touched = [(question, question.status in PUBLIC)]
    if action == "spotlight":
        for other in db.scalars(
            select(Question).where(
                Question.session_id == session.id,
                Question.status == "spotlit",
                Question.id != question.id,
            )
        ):
            other.status = "open"
            touched.append((other, True))
    question.status = target
    question.answered_at = now if target == "answered" else None
    db.commit()
    return [_changed(db, q, was_public) for q, was_public in touched]


def merge(
    db: Session, actor: User, session: ChatSession, question_id: int, into_id: int
) -> list[RoomEvent]:
    """Merge a duplicate into another question: the votes add up, each member's once."""
    require_staff(actor, session)
    source = _get(db, session, question_id, actor)
    target = _get(db, session, into_id, actor)
    if source.id == target.id:
        raise ChatError("Choose two different questions to merge.", "invalid")
    for question in (source, target):
        if question.status in ("merged", "dismissed"):
            raise ChatError(f"Question {question.id} is {question.status}.", "conflict")
    already = select(QuestionVote.user_id).where(QuestionVote.question_id == target.id)
    movable = db.scalars(
        select(QuestionVote).where(
            QuestionVote.question_id == source.id, QuestionVote.user_id.not_in(already)
        )
    )
    for vote_row in movable:
        db.add(
            QuestionVote(
                question_id=target.id, user_id=vote_row.user_id, created_at=vote_row.created_at
            )
        )
    db.execute(delete(QuestionVote).where(QuestionVote.question_id == source.id))
    was_public = source.status in PUBLIC
    source.status = "merged"
    source.merged_into_id = target.id
    db.commit()
    return [_changed(db, source, was_public), _changed(db, target, target.status in PUBLIC)]


def from_message(
    db: Session, actor: User, session: ChatSession, message_id: int, now: datetime
) -> tuple[dict[str, Any], list[RoomEvent]]:
    """Turn a chat message into an open question asked by its author (staff only).

    Doing it twice for one message returns the question already made.
    """
    require_staff(actor, session)
    message = messages.get_message(db, session, message_id)
    client_id = f"message-{message.seq}"
    earlier = _existing(db, session, message.author, client_id)
    if earlier is not None:
        return view(earlier, vote_counts(db, [earlier.id])[earlier.id], actor, True), []
    text = " ".join(message.body.split())
    if len(text) > MAX_BODY:
        text = text[: MAX_BODY - 1].rsplit(" ", 1)[0] + "…"
    question = Question(
        session_id=session.id,
        author=message.author,
        client_id=client_id,
        body=clean_question(text),
        anonymous=False,
        status="open",
        from_message_id=message.seq,
        created_at=now,
    )
    db.add(question)
    db.commit()
    return view(question, 0, actor, True), [_changed(db, question, False, votes=0)]


def set_premoderation(
    db: Session, actor: User, session: ChatSession, enabled: bool, now: datetime
) -> list[RoomEvent]:
    """Choose whether members' new questions wait for approval (staff only)."""
    require_staff(actor, session)
    session.questions_premoderated = enabled
    db.commit()
    return [controls.room_changed(db, session, now)]


def for_transcript(db: Session, session: ChatSession) -> list[tuple[Question, int]]:
    """Every question still in the queue, with its votes, in the order asked."""
    rows = list(
        db.scalars(
            select(Question)
            .options(selectinload(Question.author))
            .where(Question.session_id == session.id)
            .order_by(Question.id)
        )
    )
    counts = vote_counts(db, [q.id for q in rows])
    return [(q, counts[q.id]) for q in rows]
