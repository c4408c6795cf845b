"""Invitations and facilitators: who steers each session, and how a guest becomes one.

An organiser invites a guest by email. The link carries the invitation's id and a random
nonce, signed with the app's secret key; only the nonce's SHA-256 is stored, so a copy of
the database cannot be turned into working links. A link works once, until it expires,
for the invited address only, and makes its user facilitator of that one session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chat.errors import ChatError, NotFound, ValidationError
from chat.events import StaffChanged
from chat.models import ChatSession, Invitation, User
from chat.services import accounts, clock, rooms
from chat.services.roles import require_organiser

INVITATION_LIFETIME = timedelta(days=14)
MAX_TOKEN_LENGTH = 500
_SALT = "invitation"
_INVALID = "This invitation link is not valid. Ask the organiser for a new one."
ORGANISERS_ONLY = "Only organisers can manage a session's facilitators."


class InvitationError(ChatError):
    """An invitation link that cannot be used; `reason` says which case it is.

    Reasons: ``invalid`` (tampered, unknown or signed with another key), ``revoked``,
    ``used``, ``expired``, ``closed`` (the session was cancelled or has ended) and
    ``wrong_email`` (signed in with another address than the one invited).
    """

    def __init__(
        self, reason: str, message: str, code: str, invitation: Invitation | None = None
    ) -> None:
        super().__init__(message, code)
        self.reason = reason
        self.invitation = invitation


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _serializer(secret_key: str | bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def _require_not_rehearsal(session: ChatSession) -> None:
    if session.rehearsal_of_id is not None:
        raise ChatError(
            "This is a rehearsal room; manage the facilitators of the session it rehearses.",
            "conflict",
        )


def _closed_problem(session: ChatSession, now: datetime) -> str | None:
    """Why nobody can be invited to this session any more, or None."""
    if session.rehearsal_of_id is not None:
        return "This is a rehearsal room; invite guests to the session it rehearses."
    if session.cancelled:
        return "This session was cancelled, so nobody can be invited to facilitate it."
    if rooms.ends_at(session) <= now:
        return "This session has ended, so nobody can be invited to facilitate it."
    return None


def mask_email(email: str) -> str:
    """Show enough of an address to recognise it, e.g. "g***@example.org"."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def create_invitation(
    db: Session,
    actor: User,
    session: ChatSession,
    email: str,
    secret_key: str | bytes,
    now: datetime,
    valid_for: timedelta = INVITATION_LIFETIME,
) -> tuple[Invitation, str]:
    """Invite `email` to facilitate `session`; return the invitation and its link token.

    The token is shown once (only a hash of its nonce is kept). Inviting the same address
    again revokes its earlier pending link, so only the newest one works.
    """
    require_organiser(actor, ORGANISERS_ONLY)
    address = accounts.normalise_email(email)
    if problem := accounts.email_problem(address):
        raise ValidationError({"email": problem})
    if problem := _closed_problem(session, now):
        raise ChatError(problem, "conflict")
    if any(f.email == address for f in session.facilitators):
        raise ValidationError({"email": f"{address} already facilitates this session."})
    earlier = select(Invitation).where(
        Invitation.session_id == session.id,
        Invitation.email == address,
        Invitation.used_at.is_(None),
        Invitation.revoked_at.is_(None),
    )
    for old in db.scalars(earlier):
        old.revoked_at = now
    nonce = secrets.token_urlsafe(24)
    invitation = Invitation(
        session_id=session.id,
        email=address,
        nonce_hash=_digest(nonce),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + valid_for,
    )
    db.add(invitation)
    db.flush()  # the id goes into the signed token
    token = _serializer(secret_key).dumps([invitation.id, nonce])
    db.commit()
    return invitation, token


def _state_problem(invitation: Invitation, now: datetime) -> InvitationError | None:
    """Why this genuine invitation cannot be used now, or None."""
    if invitation.revoked_at is not None:
        return InvitationError(
            "revoked",
            "This invitation was withdrawn by the organiser. "
            "Ask them for a new one if you still expect to facilitate.",
            "conflict",
            invitation,
        )
    if invitation.used_at is not None:
        return InvitationError(
            "used",
            "This invitation has already been used. Each link works once: if you accepted "
            "it, sign in with that account; otherwise ask the organiser for a new one.",
            "conflict",
            invitation,
        )
    if invitation.expires_at <= now:
        when = clock.format_local(invitation.expires_at, invitation.session.time_zone)
        return InvitationError(
            "expired",
            f"This invitation expired on {when}; ask the organiser for a new one.",
            "conflict",
            invitation,
        )
    if problem := _closed_problem(invitation.session, now):
        return InvitationError("closed", problem, "conflict", invitation)
    return None


def check_invitation(db: Session, token: str, secret_key: str | bytes, now: datetime) -> Invitation:
    """The invitation this link stands for, if it can still be accepted.

    Raises InvitationError: ``not_found`` for a link that was tampered with or names no
    invitation; ``conflict`` for one that was revoked, used or has expired, or whose
    session was cancelled or has ended.
    """
    invalid = InvitationError("invalid", _INVALID, "not_found")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise invalid
    try:
        payload = _serializer(secret_key).loads(token)
    except BadData:
        raise invalid from None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or type(payload[0]) is not int
        or not isinstance(payload[1], str)
    ):
        raise invalid
    invitation_id, nonce = payload
    invitation = db.get(Invitation, invitation_id)
    if invitation is None or not hmac.compare_digest(invitation.nonce_hash, _digest(nonce)):
        raise invalid
    if problem := _state_problem(invitation, now):
        raise problem
    return invitation


def email_matches(invitation: Invitation, user: User) -> bool:
    """True if `user` signed up with the address the invitation was sent to."""
    return accounts.normalise_email(user.email) == invitation.email


def wrong_email_message(invitation: Invitation, user: User) -> str:
    """The refusal shown to someone signed in with another address than the invited one."""
    masked = mask_email(invitation.email)
    return (
        f"This invitation is for {masked}, but you are signed in as {user.email}. "
        f"Sign out, then register or sign in with {masked}, "
        "or ask the organiser to invite the address you use."
    )


def claim(db: Session, invitation: Invitation, user: User, now: datetime) -> bool:
    """Mark the invitation used by `user` unless someone already used or revoked it.

    One conditional UPDATE, so of two simultaneous accepts (in any process) exactly one
    wins. True if this call won; the caller commits.
    """
    result = db.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(used_at=now, used_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def accept_invitation(
    db: Session, token: str, user: User, secret_key: str | bytes, now: datetime
) -> tuple[ChatSession, list[StaffChanged]]:
    """Use the link: `user` (who must have the invited address) facilitates its session."""
    invitation = check_invitation(db, token, secret_key, now)
    if not email_matches(invitation, user):
        raise InvitationError(
            "wrong_email", wrong_email_message(invitation, user), "forbidden", invitation
        )
    if not claim(db, invitation, user, now):
        db.rollback()
        db.refresh(invitation)
        raise _state_problem(invitation, now) or InvitationError(
            "used", "This invitation has already been used.", "conflict", invitation
        )
    session = invitation.session
    if not any(f.id == user.id for f in session.facilitators):
        session.facilitators.append(user)
    db.commit()
    db.refresh(invitation)
    return session, [StaffChanged(session.id, {"session_id": session.id})]


def get_invitation(db: Session, invitation_id: int) -> Invitation:
    """The invitation with this id, or NotFound."""
    invitation = db.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound("There is no such invitation.")
    return invitation


def revoke_invitation(
    db: Session, actor: User, invitation_id: int, now: datetime, session_id: int | None = None
) -> Invitation:
    """Withdraw a pending invitation so its link stops working (organisers only).

    With `session_id`, an invitation to another session is NotFound. Revoking twice is
    harmless; an invitation that was already accepted cannot be revoked (revoke the
    facilitator instead).
    """
    require_organiser(actor, ORGANISERS_ONLY)
    invitation = get_invitation(db, invitation_id)
    if session_id is not None and invitation.session_id != session_id:
        raise NotFound("There is no such invitation.")
    result = db.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    db.refresh(invitation)
    if result.rowcount != 1 and invitation.used_at is not None:  # type: ignore[attr-defined]
        raise ChatError(
            "This invitation was already accepted; revoke the facilitator instead.", "conflict"
        )
    return invitation


def pending_invitations(db: Session, session: ChatSession, now: datetime) -> list[Invitation]:
    """Invitations to `session` that can still be accepted, oldest first."""
    query = (
        select(Invitation)
        .where(
            Invitation.session_id == session.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.created_at, Invitation.id)
    )
    return list(db.scalars(query))


def add_facilitator(
    db: Session, actor: User, session: ChatSession, email: str
) -> list[StaffChanged]:
    """Make a registered user a co-facilitator of `session` (organisers only)."""
    require_organiser(actor, ORGANISERS_ONLY)
    _require_not_rehearsal(session)
    address = accounts.normalise_email(email)
    if problem := accounts.email_problem(address):
        raise ValidationError({"email": problem})
    user = db.scalar(select(User).where(User.email == address))
    if user is None:
        raise ValidationError(
            {"email": "No account uses this address; send an invitation instead."}
        )
    if any(f.id == user.id for f in session.facilitators):
        raise ValidationError({"email": f"{user.display_name} already facilitates this session."})
    session.facilitators.append(user)
    db.commit()
    return [StaffChanged(session.id, {"session_id": session.id})]


def revoke_facilitator(
    db: Session, actor: User, session: ChatSession, user_id: int
) -> list[StaffChanged]:
    """Remove a facilitator from `session` and from its rehearsal rooms (organisers only).

    Everyone in those rooms is told to re-join, so the revoked facilitator loses the
    controls at once.
    """
    require_organiser(actor, ORGANISERS_ONLY)
    _require_not_rehearsal(session)
    if not any(f.id == user_id for f in session.facilitators):
        raise NotFound("That person does not facilitate this session.")
    changed = [session]
    session.facilitators = [f for f in session.facilitators if f.id != user_id]
    rehearsals = db.scalars(select(ChatSession).where(ChatSession.rehearsal_of_id == session.id))
    for rehearsal in rehearsals:
        if any(f.id == user_id for f in rehearsal.facilitators):
            rehearsal.facilitators = [f for f in rehearsal.facilitators if f.id != user_id]
            changed.append(rehearsal)
    db.commit()
    return [StaffChanged(s.id, {"session_id": s.id}) for s in changed]
