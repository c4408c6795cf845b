"""The run sheet of prompts (Q1..Qn) and steering the hour with it.

A prompt gets its Q number when it is first posted, in the order prompts are asked, so
the chat always reads Q1, Q2, Q3. Changing the current prompt (post, go back, extend,
skip, auto-advance) compares and swaps the session's `prompt_revision`: a facilitator's
click and the clock of any server process cannot both move the room on.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from chat.errors import ChatError, NotFound, ValidationError
from chat.events import MessagePosted, RoomEvent, RunSheetChanged
from chat.models import ChatSession, Message, Prompt, User
from chat.services import controls, messages, rooms
from chat.services.roles import require_staff

MAX_PROMPT = 500
MAX_PROMPTS = 30
DEFAULT_MINUTES = 10
MIN_MINUTES, MAX_MINUTES = 1, 60
MAX_PROMPT_EXTENSION = 30
# A prompt whose time ran out longer ago than this belongs to a session long over: the
# clock stops looking at it, so its query stays small as the weeks go by.
AUTO_ADVANCE_WINDOW = timedelta(days=1)
# "Q1:", "Q1.", "1.", "1)", "- ", "* " at the start of a pasted line are numbering.
_NUMBERING = re.compile(r"^\s*(?:[Qq]?\d+\s*[:.)\-]|[-*•])\s*")


def prompt_payload(prompt: Prompt) -> dict[str, Any]:
    """A prompt as the run sheet shows it to staff."""
    return {
        "id": prompt.id,
        "position": prompt.position,
        "body": prompt.body,
        "duration_minutes": prompt.duration_minutes,
        "number": prompt.number,
        "posted_at": prompt.posted_at.isoformat() if prompt.posted_at else None,
        "skipped": prompt.skipped,
    }


def next_prompt(session: ChatSession) -> Prompt | None:
    """The first prompt on the run sheet that is neither posted nor skipped."""
    return next((p for p in session.prompts if p.posted_at is None and not p.skipped), None)


def run_sheet_payload(session: ChatSession) -> dict[str, Any]:
    """The `run_sheet` event body: every prompt in planned order, and which is next."""
    upcoming = next_prompt(session)
    return {
        "session_id": session.id,
        "prompts": [prompt_payload(p) for p in session.prompts],
        "next_id": upcoming.id if upcoming else None,
        "current_id": session.current_prompt_id,
    }


def _run_sheet_changed(session: ChatSession) -> RunSheetChanged:
    return RunSheetChanged(session.id, run_sheet_payload(session))


def parse_lines(text: str) -> list[str]:
    """Pasted text as prompt bodies: one per non-empty line, list numbering removed."""
    return [
        _NUMBERING.sub("", line).strip()
        for line in text.splitlines()
        if _NUMBERING.sub("", line).strip()
    ]


def _check(body: str, duration_minutes: int, field: str = "body") -> str:
    errors: dict[str, str] = {}
    text = body.strip()
    if not text:
        errors[field] = "Write the prompt."
    elif len(text) > MAX_PROMPT:
        errors[field] = f"Keep each prompt to {MAX_PROMPT} characters or fewer."
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        errors["duration_minutes"] = f"Plan {MIN_MINUTES} to {MAX_MINUTES} minutes."
    if errors:
        raise ValidationError(errors)
    return text


def _get(session: ChatSession, prompt_id: int) -> Prompt:
    prompt = next((p for p in session.prompts if p.id == prompt_id), None)
    if prompt is None:
        raise NotFound("That prompt is not on this session's run sheet.")
    return prompt


def _renumber(session: ChatSession) -> None:
    for position, prompt in enumerate(session.prompts, start=1):
        prompt.position = position


def add_prompts(
    db: Session,
    actor: User,
    session: ChatSession,
    bodies: list[str],
    duration_minutes: int,
    now: datetime,
    field: str = "body",
) -> tuple[list[Prompt], list[RoomEvent]]:
    """Add prompts to the end of the run sheet (one typed, or many pasted as lines)."""
    require_staff(actor, session)
    if not bodies:
        raise ValidationError({field: "Write at least one prompt."})
    texts = [_check(body, duration_minutes, field) for body in bodies]
    if len(session.prompts) + len(texts) > MAX_PROMPTS:
        raise ValidationError({field: f"A run sheet holds up to {MAX_PROMPTS} prompts."})
    added = [Prompt(body=text, duration_minutes=duration_minutes, created_at=now) for text in texts]
    session.prompts.extend(added)
    _renumber(session)
    db.commit()
    return added, [_run_sheet_changed(session)]


def _unposted(prompt: Prompt, doing: str) -> None:
    if prompt.number is not None:
        raise ChatError(f"Q{prompt.number} has been posted; {doing}", "conflict")


def edit_prompt(
    db: Session,
    actor: User,
    session: ChatSession,
    prompt_id: int,
    body: str,
    duration_minutes: int,
    now: datetime,
) -> list[RoomEvent]:
    """Change a prompt's words or planned minutes before it is posted."""
    require_staff(actor, session)
    prompt = _get(session, prompt_id)
    _unposted(prompt, "it stays as it was asked.")
    prompt.body = _check(body, duration_minutes)
    prompt.duration_minutes = duration_minutes
    db.commit()
    return [_run_sheet_changed(session)]


def move_prompt(
    db: Session, actor: User, session: ChatSession, prompt_id: int, offset: int
) -> list[RoomEvent]:
    """Move a prompt up (-1) or down (+1) the run sheet."""
    require_staff(actor, session)
    prompt = _get(session, prompt_id)
    order = list(session.prompts)
    at = order.index(prompt)
    to = at + offset
    if offset not in (-1, 1) or not 0 <= to < len(order):
        raise ChatError("That prompt cannot move further.", "conflict")
    order[at], order[to] = order[to], order[at]
    for position, item in enumerate(order, start=1):
        item.position = position
    db.commit()
    db.refresh(session, ["prompts"])
    return [_run_sheet_changed(session)]


def delete_prompt(
    db: Session, actor: User, session: ChatSession, prompt_id: int
) -> list[RoomEvent]:
    """Remove a prompt that has not been posted."""
    require_staff(actor, session)
    prompt = _get(session, prompt_id)
    _unposted(prompt, "it stays in the record.")
    session.prompts.remove(prompt)
    _renumber(session)
    db.commit()
    return [_run_sheet_changed(session)]


# ---- steering ---------------------------------------------------------------------------


def _swap(db: Session, session: ChatSession, **values: Any) -> None:
    """Change the current-prompt columns if nobody else did since `session` was read.

    The UPDATE also locks the session row until commit. Raises `conflict` if it lost.
    """
    expected = session.prompt_revision
    swapped = db.execute(
        update(ChatSession)
        .where(ChatSession.id == session.id, ChatSession.prompt_revision == expected)
        .values(prompt_revision=expected + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if swapped.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise ChatError("Someone else has just moved the room on; look again.", "conflict")
    # The row already holds these: record them as loaded, not as changes to write again.
    for name, value in {"prompt_revision": expected + 1, **values}.items():
        set_committed_value(session, name, value)


def _make_current(
    db: Session, author: User, session: ChatSession, prompt: Prompt, now: datetime
) -> tuple[dict[str, Any] | None, list[RoomEvent]]:
    """Pin `prompt` as the current question, posting it in the chat the first time."""
    ends = now + timedelta(minutes=prompt.duration_minutes)
    _swap(db, session, current_prompt_id=prompt.id, prompt_ends_at=ends)
    posted: dict[str, Any] | None = None
    events: list[RoomEvent] = []
    if prompt.number is None:
        highest = db.scalar(select(func.max(Prompt.number)).where(Prompt.session_id == session.id))
        prompt.number = (highest or 0) + 1
        prompt.posted_at = now
        prompt.skipped = False
        message = messages.store(
            db, session, author, prompt.body, now, kind="prompt", prompt=prompt
        )
        posted = messages.payload(message, session)
        events.append(MessagePosted(session.id, posted))
    db.commit()
    events += [controls.room_changed(db, session, now), _run_sheet_changed(session)]
    return posted, events


def post_prompt(
    db: Session,
    actor: User,
    session: ChatSession,
    prompt_id: int | None,
    now: datetime,
    lobby_minutes: int,
) -> tuple[dict[str, Any] | None, list[RoomEvent]]:
    """Post the next prompt (or the one named) as the current question.

    A prompt already posted becomes current again without a second chat message.
    Returns the chat message when one was posted.
    """
    require_staff(actor, session)
    messages.require_open(session, now, lobby_minutes)
    prompt = _get(session, prompt_id) if prompt_id is not None else next_prompt(session)
    if prompt is None:
        raise ChatError("There are no more prompts on the run sheet.", "conflict")
    if prompt.id == session.current_prompt_id:
        raise ChatError(f"Q{prompt.number} is already the current question.", "conflict")
    return _make_current(db, actor, session, prompt, now)


def previous_prompt(
    db: Session, actor: User, session: ChatSession, now: datetime, lobby_minutes: int
) -> list[RoomEvent]:
    """Go back: the prompt posted before the current one becomes current again."""
    require_staff(actor, session)
    messages.require_open(session, now, lobby_minutes)
    current = controls.current_prompt(session)
    earlier = None
    if current is not None:
        earlier = next((p for p in session.prompts if p.number == current["number"] - 1), None)
    if earlier is None:
        raise ChatError("There is no earlier question to go back to.", "conflict")
    return _make_current(db, actor, session, earlier, now)[1]


def skip_prompt(
    db: Session, actor: User, session: ChatSession, now: datetime, lobby_minutes: int
) -> list[RoomEvent]:
    """Skip the next prompt: it stays on the run sheet and can still be posted by hand."""
    require_staff(actor, session)
    messages.require_open(session, now, lobby_minutes)
    upcoming = next_prompt(session)
    if upcoming is None:
        raise ChatError("There is no next prompt to skip.", "conflict")
    _swap(db, session)  # so a racing auto-advance does not post what was just skipped
    upcoming.skipped = True
    db.commit()
    return [_run_sheet_changed(session)]


def extend_prompt(
    db: Session,
    actor: User,
    session: ChatSession,
    minutes: int,
    now: datetime,
    lobby_minutes: int,
) -> list[RoomEvent]:
    """Give the current question a few more minutes before it is time to move on."""
    require_staff(actor, session)
    messages.require_open(session, now, lobby_minutes)
    if not 1 <= minutes <= MAX_PROMPT_EXTENSION:
        raise ChatError(f"Extend by 1 to {MAX_PROMPT_EXTENSION} minutes.", "invalid")
    if session.current_prompt_id is None or session.prompt_ends_at is None:
        raise ChatError("There is no current question to extend.", "conflict")
    _swap(db, session, prompt_ends_at=max(session.prompt_ends_at, now) + timedelta(minutes=minutes))
    db.commit()
    return [controls.room_changed(db, session, now)]


def set_auto_advance(
    db: Session, actor: User, session: ChatSession, enabled: bool, now: datetime
) -> list[RoomEvent]:
    """Turn on or off posting the next prompt by itself when the current one's time is up."""
    require_staff(actor, session)
    session.auto_advance = enabled
    db.commit()
    return [controls.room_changed(db, session, now)]


def _poster(db: Session, session: ChatSession) -> User | None:
    """Who posts an automatic prompt: whoever posted the current one."""
    message = db.scalar(
        select(Message)
        .options(selectinload(Message.author))
        .where(
            Message.session_id == session.id,
            Message.kind == "prompt",
            Message.prompt_id == session.current_prompt_id,
        )
        .order_by(Message.seq)
        .limit(1)
    )
    if message is not None:
        return message.author
    return session.facilitators[0] if session.facilitators else None


def due_prompts(db: Session, now: datetime, lobby_minutes: int) -> list[RoomEvent]:
    """Auto-advance: post the next prompt in live sessions whose current time is up.

    Safe to call from every process's clock: the compare-and-swap lets one post it.
    """
    candidates = db.scalars(
        select(ChatSession)
        .options(selectinload(ChatSession.prompts), selectinload(ChatSession.facilitators))
        .where(
            ChatSession.auto_advance.is_(True),
            ChatSession.prompt_ends_at <= now,
            ChatSession.prompt_ends_at > now - AUTO_ADVANCE_WINDOW,
        )
    ).all()
    events: list[RoomEvent] = []
    for session in candidates:
        upcoming = next_prompt(session)
        if upcoming is None or rooms.derive_state(session, now, lobby_minutes) != rooms.LIVE:
            continue
        poster = _poster(db, session)
        if poster is None:
            continue
        try:
            events += _make_current(db, poster, session, upcoming, now)[1]
        except ChatError:  # another process, or a facilitator's click, got there first
            continue
    return events
