"""Account deletion: a member removes their profile and withdraws what they wrote.

The row stays, renamed "Former member", so the live history still reads and the votes and
reactions they gave stay counted (anonymously). Everything that identifies them goes:
the profile, the email (freed for a new registration), the password, API tokens, and
their place as facilitator of sessions still to come. Every message and question they
wrote is withdrawn from recaps, and the resources they shared leave the library. The
audit log keeps the names it copied: it is a record. Issued certificates keep the name
they certify, so they still verify.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from chat.errors import Forbidden, ValidationError
from chat.events import RoomEvent, SignedOut
from chat.models import ApiToken, ChatSession, Message, Question, User, session_facilitators
from chat.services import (
    accounts,
    connections,
    directory,
    introductions,
    limits,
    resources,
    rooms,
)

FORMER_MEMBER = "Former member"
# Not an argon2 hash, so no password can ever match it.
UNUSABLE_PASSWORD = "!deleted"
WRONG_PASSWORD = "That password is not right."


def placeholder_email(user: User) -> str:
    """A unique address on the reserved .invalid domain, which never receives mail."""
    return f"deleted-{user.id}@invalid"


def _check_password(
    db: Session,
    user: User,
    password: str,
    now: datetime,
    limiter: limits.Limiter | None,
    address: str,
) -> None:
    try:
        if limiter is None:
            confirmed = accounts.authenticate(db, user.email, password)
        else:  # guesses here use up the same allowance as the sign-in form's
            confirmed = limits.sign_in(db, limiter, user.email, password, address, now)
    except ValidationError:
        raise ValidationError({"password": WRONG_PASSWORD}) from None
    if confirmed.id != user.id:
        raise ValidationError({"password": WRONG_PASSWORD})


def _require_not_last_organiser(db: Session, user: User) -> None:
    if not user.is_organiser:
        return
    others = db.scalar(
        select(func.count())
        .select_from(User)
        .where(User.is_organiser, User.id != user.id, User.deleted_at.is_(None))
    )
    if not others:
        raise Forbidden(
            "You are the only organiser, so the community would have nobody to run it. "
            "Make another organiser first (flask users create --organiser), then delete "
            "your account."
        )


def _leave_future_sessions(db: Session, user: User, now: datetime) -> None:
    facilitating = db.scalars(
        select(ChatSession)
        .join(session_facilitators, session_facilitators.c.session_id == ChatSession.id)
        .where(session_facilitators.c.user_id == user.id)
    )
    for session in list(facilitating):
        if rooms.ends_at(session) > now:
            session.facilitators = [f for f in session.facilitators if f.id != user.id]


def delete_account(
    db: Session,
    user: User,
    password: str,
    now: datetime,
    *,
    limiter: limits.Limiter | None = None,
    address: str = "",
) -> list[RoomEvent]:
    """Delete `user`'s account once they confirm with their password (ValidationError if
    it is wrong); the last organiser is refused (Forbidden). With a `limiter`, wrong
    passwords count against the sign-in limits (RateLimited when used up). Returns the
    event that disconnects the tabs they still have open."""
    if user.deleted_at is not None:
        raise Forbidden("This account was already deleted.")
    _check_password(db, user, password, now, limiter, address)
    _require_not_last_organiser(db, user)
    _leave_future_sessions(db, user, now)
    user.deleted_at = now
    user.display_name = FORMER_MEMBER
    for field in ("pronouns", "trains_at", "modality", "training_stage", "interests", "bio"):
        setattr(user, field, "")
    user.time_zone = ""
    for field in ("region", "specialities", "contact_email", "contact_website"):
        setattr(user, field, "")
    user.directory_listed = False  # the directory card goes, with its search words
    directory.forget(db, user)
    user.email = placeholder_email(user)
    user.password_hash = UNUSABLE_PASSWORD
    user.is_organiser = False
    db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    connections.forget(db, user)  # their connections and requests, and the blocks they made
    db.execute(update(Message).where(Message.author_id == user.id).values(consent="withdraw"))
    db.execute(update(Question).where(Question.author_id == user.id).values(consent="withdraw"))
    resources.withdraw_all(db, user, now)  # their links leave the room, recaps and library
    introductions.forget(db, user, now)  # an introduction describes them: it vanishes
    db.commit()
    gone = {"message": "This account was deleted, so this page is signed out."}
    return [SignedOut(0, gone, user_id=user.id)]
