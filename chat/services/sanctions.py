"""Sanctions in force: is a member muted, removed or banned right now (one query each).

Kept apart from moderation.py, which imposes and lifts them, so that every path that
must check them (sending, reacting, asking, voting, joining, signing in) can import
this module without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from chat.errors import Forbidden, Muted
from chat.models import ChatSession, Sanction, User
from chat.services.clock import format_local

MUTE, REMOVE, BAN = "mute", "remove", "ban"


# Asked on every connect and every event: composed once, bound at each call.
_BINDING = (
    select(Sanction)
    .where(
        Sanction.user_id == bindparam("user_id"),
        Sanction.kind.in_(bindparam("kinds", expanding=True)),
        Sanction.lifted_at.is_(None),
        or_(Sanction.until.is_(None), Sanction.until > bindparam("now")),
        or_(Sanction.kind == BAN, Sanction.session_id == bindparam("session_id")),
    )
    .order_by(Sanction.id.desc())
    .limit(1)
)


def binding(
    db: Session, user_id: int, session_id: int | None, now: datetime, kinds: Iterable[str]
) -> Sanction | None:
    """The newest sanction of one of `kinds` that binds this user now: not lifted, not
    expired, and in this session (a ban binds everywhere). None if there is none."""
    values = {"user_id": user_id, "kinds": list(kinds), "now": now, "session_id": session_id}
    return db.scalar(_BINDING, values)


def ban_message(ban: Sanction) -> str:
    """What a banned member is told when they try to sign in or take part."""
    return f"Your account has been suspended from the community by an organiser: {ban.reason}"


def require_admitted(db: Session, user: User, session: ChatSession, now: datetime) -> None:
    """Refuse a member who was banned, or removed from this session (`forbidden`)."""
    found = binding(db, user.id, session.id, now, (BAN, REMOVE))
    if found is None:
        return
    if found.kind == BAN:
        raise Forbidden(ban_message(found))
    raise Forbidden(f"You were removed from this session: {found.reason}")


def require_unmuted(db: Session, user: User, session: ChatSession, now: datetime) -> None:
    """Refuse a muted member's writing (`forbidden`, with `until` in the ack)."""
    mute = binding(db, user.id, session.id, now, (MUTE,))
    if mute is None or mute.until is None:
        return
    when = format_local(mute.until, user.time_zone or session.time_zone)
    raise Muted(
        f"A moderator muted you in this session until {when}: {mute.reason}",
        mute.until.isoformat(),
    )


def active_ban(db: Session, user_id: int, now: datetime) -> Sanction | None:
    """The ban in force on this account, if any (sign-in and every request check it)."""
    return binding(db, user_id, None, now, (BAN,))
