"""Room state: derived from the schedule plus the organiser's overrides, announced once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chat.errors import ChatError
from chat.events import SessionStateChanged
from chat.models import ChatSession, User
from chat.services.roles import require_staff

SCHEDULED, LOBBY, LIVE, ENDED, CANCELLED = "scheduled", "lobby", "live", "ended", "cancelled"
FINAL_STATES = (ENDED, CANCELLED)
MAX_EXTENSION_MINUTES = 120


def ends_at(session: ChatSession) -> datetime:
    """When the session ends: an explicit end, else start + duration + extensions."""
    if session.ended_at is not None:
        return session.ended_at
    return session.starts_at + timedelta(minutes=session.duration_minutes + session.extra_minutes)


def live_from(session: ChatSession) -> datetime:
    """When the session goes live: the scheduled start, or earlier if opened early."""
    if session.opened_at is not None and session.opened_at < session.starts_at:
        return session.opened_at
    return session.starts_at


def lobby_opens_at(session: ChatSession, lobby_minutes: int) -> datetime:
    """When the lobby opens: `lobby_minutes` before the start."""
    return session.starts_at - timedelta(minutes=lobby_minutes)


def derive_state(session: ChatSession, now: datetime, lobby_minutes: int) -> str:
    """The state at `now`: scheduled → lobby → live → ended, or cancelled."""
    if session.cancelled:
        return CANCELLED
    if now >= ends_at(session):
        return ENDED
    if now >= live_from(session):
        return LIVE
    if now >= lobby_opens_at(session, lobby_minutes):
        return LOBBY
    return SCHEDULED


def state_payload(session: ChatSession, now: datetime, lobby_minutes: int) -> dict[str, Any]:
    """The `state` event body clients use for banners and countdowns."""
    return {
        "session_id": session.id,
        "state": derive_state(session, now, lobby_minutes),
        "starts_at": live_from(session).isoformat(),
        "ends_at": ends_at(session).isoformat(),
        "lobby_opens_at": lobby_opens_at(session, lobby_minutes).isoformat(),
        "server_time": now.isoformat(),
    }


def announce_if_changed(
    db: Session, session: ChatSession, now: datetime, lobby_minutes: int
) -> list[SessionStateChanged]:
    """Return the state event if the state moved since it was last announced.

    A compare-and-swap on `announced_state` makes only one process broadcast a change.
    """
    new_state = derive_state(session, now, lobby_minutes)
    old_state = session.announced_state
    if new_state == old_state:
        return []
    swapped = db.execute(
        update(ChatSession)
        .where(ChatSession.id == session.id, ChatSession.announced_state == old_state)
        .values(announced_state=new_state)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    if swapped.rowcount != 1:  # type: ignore[attr-defined]
        return []
    session.announced_state = new_state
    return [SessionStateChanged(session.id, state_payload(session, now, lobby_minutes))]


def due_transitions(db: Session, now: datetime, lobby_minutes: int) -> list[SessionStateChanged]:
    """Sessions whose state moved since it was last announced; each is announced once.

    Idempotent: calling it again, or from a second process, returns nothing new.
    """
    horizon = now + timedelta(minutes=lobby_minutes)
    candidates = db.scalars(
        select(ChatSession).where(
            ChatSession.announced_state.not_in(FINAL_STATES),
            ChatSession.starts_at <= horizon,
        )
    ).all()
    events: list[SessionStateChanged] = []
    for session in candidates:
        events.extend(announce_if_changed(db, session, now, lobby_minutes))
    return events


def _override(
    db: Session,
    actor: User,
    session: ChatSession,
    now: datetime,
    lobby_minutes: int,
    allowed: tuple[str, ...],
    refusal: str,
    change: Callable[[ChatSession], None],
) -> list[SessionStateChanged]:
    """Apply a facilitator's or organiser's override; the room hears the new state and times."""
    require_staff(actor, session)
    if derive_state(session, now, lobby_minutes) not in allowed:
        raise ChatError(refusal, "conflict")
    change(session)
    session.revision += 1
    db.commit()
    events = announce_if_changed(db, session, now, lobby_minutes)
    return events or [SessionStateChanged(session.id, state_payload(session, now, lobby_minutes))]


def open_now(
    db: Session, actor: User, session: ChatSession, now: datetime, lobby_minutes: int
) -> list[SessionStateChanged]:
    """Open the room early: it goes live now instead of at the scheduled start."""

    def change(s: ChatSession) -> None:
        s.opened_at = now

    refusal = "Only a session that has not started can be opened early."
    return _override(db, actor, session, now, lobby_minutes, (SCHEDULED, LOBBY), refusal, change)


def extend(
    db: Session, actor: User, session: ChatSession, minutes: int, now: datetime, lobby_minutes: int
) -> list[SessionStateChanged]:
    """Give a session in its lobby or live more time."""
    require_staff(actor, session)
    if not 1 <= minutes <= MAX_EXTENSION_MINUTES:
        raise ChatError(f"Extend by 1 to {MAX_EXTENSION_MINUTES} minutes.", "invalid")

    def change(s: ChatSession) -> None:
        s.extra_minutes += minutes

    refusal = "Only a session in its lobby or live can be extended."
    return _override(db, actor, session, now, lobby_minutes, (LOBBY, LIVE), refusal, change)


def end_now(
    db: Session, actor: User, session: ChatSession, now: datetime, lobby_minutes: int
) -> list[SessionStateChanged]:
    """End the session now; the room becomes read-only."""

    def change(s: ChatSession) -> None:
        s.ended_at = now

    refusal = "Only a session in its lobby or live can be ended."
    return _override(db, actor, session, now, lobby_minutes, (LOBBY, LIVE), refusal, change)
