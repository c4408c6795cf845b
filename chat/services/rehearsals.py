"""Rehearsal: a private copy of a session's room where its staff try the controls alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import ChatError
from chat.models import ChatSession, Prompt, User
from chat.services.roles import require_staff

REHEARSAL_PREFIX = "Rehearsal: "


def start_rehearsal(db: Session, actor: User, session: ChatSession, now: datetime) -> ChatSession:
    """Open a fresh rehearsal room, live from now, with a copy of the run sheet.

    Only the session's facilitators and organisers can see it; it never appears in the
    schedule. Starting again replaces the previous rehearsal, so each try starts clean.
    """
    require_staff(actor, session)
    if session.rehearsal_of_id is not None:
        raise ChatError("This is already a rehearsal; rehearse from the real session.", "conflict")
    for old in db.scalars(select(ChatSession).where(ChatSession.rehearsal_of_id == session.id)):
        db.delete(old)
    db.flush()
    copy = ChatSession(
        title=f"{REHEARSAL_PREFIX}{session.title}",
        description=session.description,
        content_note=session.content_note,
        starts_at=now,
        duration_minutes=session.duration_minutes,
        time_zone=session.time_zone,
        announced_state="live",
        created_at=now,
        rehearsal_of_id=session.id,
        facilitators=list(session.facilitators),
        prompts=[
            Prompt(
                position=p.position,
                body=p.body,
                duration_minutes=p.duration_minutes,
                created_at=now,
            )
            for p in session.prompts
        ],
    )
    db.add(copy)
    db.commit()
    return copy
