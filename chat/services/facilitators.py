"""Speciality facilitators: a facilitator's public profile, and the schedule by speciality.

A facilitator lists their speciality interests on their profile (a comma-separated list,
tidied by accounts.comma_list into "Grief, Trauma"). Anyone who can read the schedule
can read the profile of someone who facilitates a session; other members have none.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, literal, select
from sqlalchemy.orm import Session

from chat.errors import NotFound
from chat.models import ChatSession, User, session_facilitators

NO_PROFILE = "There is no facilitator profile here."


def speciality_items(specialities: str) -> list[str]:
    """The specialities in a profile's comma-separated list."""
    return [item.strip() for item in (specialities or "").split(",") if item.strip()]


def speciality_choices(sessions: list[ChatSession]) -> list[str]:
    """The specialities of these sessions' facilitators, once each (ignoring case), A to Z."""
    found: dict[str, str] = {}
    for session in sessions:
        for person in session.facilitators:
            for item in speciality_items(person.specialities):
                found.setdefault(item.lower(), item)
    return [found[key] for key in sorted(found)]


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def facilitated_by_speciality(speciality: str) -> ColumnElement[bool]:
    """A condition on ChatSession: one of its facilitators lists `speciality` (ignoring
    case) as a whole item of their comma-separated specialities."""
    listed = literal(", ") + User.specialities + literal(",")
    return exists().where(
        session_facilitators.c.session_id == ChatSession.id,
        User.id == session_facilitators.c.user_id,
        listed.ilike(f"%, {_like_escaped(speciality.strip())},%", escape="\\"),
    )


def _facilitates_any(user_id: int) -> ColumnElement[bool]:
    return exists().where(
        session_facilitators.c.user_id == user_id,
        ChatSession.id == session_facilitators.c.session_id,
        ChatSession.cancelled.is_(False),
        ChatSession.rehearsal_of_id.is_(None),
    )


def facilitator(db: Session, user_id: int) -> User:
    """The member with this id if they facilitate a session (not cancelled) and still
    have an account; NotFound otherwise, so the page says nothing about other members."""
    user = db.scalar(
        select(User).where(User.id == user_id, User.deleted_at.is_(None), _facilitates_any(user_id))
    )
    if user is None:
        raise NotFound(NO_PROFILE)
    return user
