"""Who may do what in a session: facilitators of that session and organisers are staff."""

from __future__ import annotations

from chat.errors import Forbidden, NotFound
from chat.models import ChatSession, User


def is_facilitator(user: User, session: ChatSession) -> bool:
    """True if `user` facilitates this session (a facilitator of another is a member here)."""
    return any(f.id == user.id for f in session.facilitators)


def is_staff(user: User, session: ChatSession) -> bool:
    """Facilitators of this session and organisers steer and moderate it."""
    return user.is_organiser or is_facilitator(user, session)


def author_role(user: User, session: ChatSession) -> str:
    """The badge shown beside a name: facilitator (of this session), organiser or member."""
    if is_facilitator(user, session):
        return "facilitator"
    return "organiser" if user.is_organiser else "member"


def require_view(user: User, session: ChatSession) -> None:
    """Members see every session's room except cancelled ones; staff see all.

    A rehearsal is private to its session's staff: anyone else is told it is not there.
    """
    if session.rehearsal_of_id is not None and not is_staff(user, session):
        raise NotFound("There is no such session.")
    if session.cancelled and not is_staff(user, session):
        raise Forbidden("This session was cancelled.")


def require_staff(user: User, session: ChatSession) -> None:
    """Only this session's facilitators and organisers may steer it."""
    require_view(user, session)
    if not is_staff(user, session):
        raise Forbidden("Only this session's facilitators and organisers can do that.")


def require_organiser(actor: User, refusal: str) -> None:
    """Organisers only: anyone else is refused with `refusal`."""
    if not actor.is_organiser:
        raise Forbidden(refusal)
