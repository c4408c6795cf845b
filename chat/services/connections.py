"""Connections: a member asks another to connect, with a short note; once the other
accepts, each sees the contact details the other chose to share.

Requests go only to members listed in the directory, never across a block (in either
direction, and without saying that a block is the reason), and at most
`CHAT_CONNECTION_REQUESTS_PER_DAY` a day per sender, counted from the stored requests so
the limit holds across processes. The addressee answers (accept, decline or report to
the organisers); the requester may withdraw while it waits; either side may end an
accepted connection. Blocking ends whatever was open between the two.

"People you met" suggests, after a session, those who were in the same room, are
listed in the directory and share an interest or a region with the viewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from chat.errors import ChatError, Forbidden, NotFound, RateLimited, ValidationError
from chat.models import (
    REPORT_REASONS,
    Block,
    ChatSession,
    Connection,
    ConnectionReport,
    User,
    Visit,
)
from chat.services import audit, blocks, rooms

MAX_NOTE = 300
MAX_REPORT_NOTE = 1000
MAX_RESOLUTION = 300
PAGE = 20
WINDOW = timedelta(hours=24)
OUTCOMES = ("resolved", "dismissed")
# Open: the two are connected or one is waiting for the other's answer.
OPEN = ("pending", "accepted")
CANT_SEND = "You can't send this member a request."
NO_MEMBER = "There is no such member in the directory."
NO_REQUEST = "There is no such request."


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, its number (from 1) and whether another follows."""

    items: list[Any]
    number: int
    has_next: bool


@dataclass(frozen=True)
class Contact:
    """The contact details a connection chose to share (either may be empty)."""

    email: str
    website: str


@dataclass(frozen=True)
class Suggestion:
    """A member the viewer met in a session, and why they might want to connect."""

    member: User
    reasons: list[str]


def _page(db: Session, query: Any, number: int) -> Page:
    number = max(number, 1)
    rows = list(db.scalars(query.limit(PAGE + 1).offset((number - 1) * PAGE)))
    return Page(rows[:PAGE], number, len(rows) > PAGE)


def _between(one_id: int, other_id: int) -> Any:
    """The condition for a connection between two members, whoever asked."""
    return or_(
        (Connection.requester_id == one_id) & (Connection.addressee_id == other_id),
        (Connection.requester_id == other_id) & (Connection.addressee_id == one_id),
    )


def _open_between(db: Session, one_id: int, other_id: int) -> Connection | None:
    query = select(Connection).where(_between(one_id, other_id), Connection.status.in_(OPEN))
    return db.scalars(query.order_by(Connection.id.desc())).first()


def _clean_note(note: str, limit: int, field: str = "note") -> str:
    cleaned = note.strip()
    if len(cleaned) > limit:
        raise ValidationError(
            {field: f"Keep the note to {limit} characters or fewer ({len(cleaned)} now)."}
        )
    return cleaned


def _wait_words(seconds: int) -> str:
    """'3 hours 20 minutes', 'a minute': how long until the next request is possible."""
    minutes = max(1, -(-seconds // 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append("an hour" if hours == 1 else f"{hours} hours")
    if minutes:
        parts.append("a minute" if minutes == 1 else f"{minutes} minutes")
    return " ".join(parts)


def _check_daily_limit(db: Session, sender: User, now: datetime, limit: int) -> None:
    """RateLimited once `sender` made `limit` requests in the 24 hours before `now`
    (0: no limit). Withdrawn and declined requests count: they were sent."""
    if limit <= 0:
        return
    recent = list(
        db.scalars(
            select(Connection.created_at)
            .where(Connection.requester_id == sender.id, Connection.created_at > now - WINDOW)
            .order_by(Connection.created_at.desc())
            .limit(limit)
        )
    )
    if len(recent) < limit:
        return
    # The oldest of the last `limit` requests leaves the window first.
    retry_after = max(1, int((recent[-1] + WINDOW - now).total_seconds()))
    raise RateLimited(
        f"You can send up to {limit} connection requests a day. You can send the next "
        f"one in {_wait_words(retry_after)}.",
        retry_after,
    )


def requestable(db: Session, sender: User, addressee_id: int) -> User:
    """The member `sender` may ask to connect with, or the reason they may not: NotFound
    for someone not in the directory, Forbidden across a block (not saying so), a
    conflict when a request or connection between them is already open."""
    if addressee_id == sender.id:
        raise ChatError("You can't send a connection request to yourself.")
    other = db.get(User, addressee_id)
    if other is None or other.deleted_at is not None or not other.directory_listed:
        raise NotFound(NO_MEMBER)
    if blocks.between(db, sender.id, other.id):
        raise Forbidden(CANT_SEND)
    existing = _open_between(db, sender.id, other.id)
    if existing is not None:
        if existing.status == "accepted":
            raise ChatError(f"You are already connected with {other.display_name}.", "conflict")
        if existing.requester_id == sender.id:
            raise ChatError(
                f"You already sent {other.display_name} a request; it is waiting for their answer.",
                "conflict",
            )
        raise ChatError(
            f"{other.display_name} already sent you a request: accept theirs on your "
            "Connections page instead.",
            "conflict",
        )
    return other


def request(
    db: Session, sender: User, addressee_id: int, note: str, now: datetime, limit: int
) -> Connection:
    """`sender` asks `addressee_id` to connect, with a note of up to 300 characters; at
    most `limit` requests in any 24 hours (0: no limit). Errors as in `requestable`,
    ValidationError for the note, RateLimited saying when the next one is possible."""
    other = requestable(db, sender, addressee_id)
    text = _clean_note(note, MAX_NOTE)
    _check_daily_limit(db, sender, now, limit)
    connection = Connection(
        requester_id=sender.id, addressee_id=other.id, note=text, status="pending", created_at=now
    )
    db.add(connection)
    db.commit()
    return connection


def _answer(
    db: Session, connection_id: int, who: Any, status: str, now: datetime, *, was: str
) -> Connection:
    """Move a connection `who` may act on from `was` to `status`, once (a second tab's
    answer to the same request is told it was already answered)."""
    connection = db.get(Connection, connection_id)
    if connection is None or not who(connection):
        raise NotFound(NO_REQUEST)
    if connection.status != was:
        raise ChatError(f"This request was already {connection.status}.", "conflict")
    changed = db.execute(
        update(Connection)
        .where(Connection.id == connection.id, Connection.status == was)
        .values(status=status, responded_at=now)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise ChatError("This request was answered a moment ago.", "conflict")
    db.commit()
    db.refresh(connection)
    return connection


def accept(db: Session, user: User, connection_id: int, now: datetime) -> Connection:
    """The addressee accepts a pending request: the two are connected."""

    def addressed_and_unblocked(c: Connection) -> bool:
        return c.addressee_id == user.id and not blocks.between(db, c.requester_id, user.id)

    return _answer(db, connection_id, addressed_and_unblocked, "accepted", now, was="pending")


def decline(db: Session, user: User, connection_id: int, now: datetime) -> Connection:
    """The addressee declines a pending request (the requester may ask again later)."""
    return _answer(
        db, connection_id, lambda c: c.addressee_id == user.id, "declined", now, was="pending"
    )


def withdraw(db: Session, user: User, connection_id: int, now: datetime) -> Connection:
    """The requester withdraws a request still waiting for an answer."""
    return _answer(
        db, connection_id, lambda c: c.requester_id == user.id, "withdrawn", now, was="pending"
    )


def remove(db: Session, user: User, connection_id: int, now: datetime) -> Connection:
    """Either side ends an accepted connection: contact details are no longer shared."""
    return _answer(
        db,
        connection_id,
        lambda c: user.id in (c.requester_id, c.addressee_id),
        "withdrawn",
        now,
        was="accepted",
    )


def block_member(db: Session, blocker: User, blocked_id: int, now: datetime) -> None:
    """`blocker` blocks `blocked_id`, and whatever was open between them ends with it:
    the blocker's own pending request is withdrawn, the other's declined, and an accepted
    connection ends. All in one transaction with the block."""
    pending = (_between(blocker.id, blocked_id), Connection.status == "pending")
    db.execute(
        update(Connection)
        .where(*pending, Connection.requester_id == blocker.id)
        .values(status="withdrawn", responded_at=now)
    )
    db.execute(
        update(Connection)
        .where(*pending, Connection.addressee_id == blocker.id)
        .values(status="declined", responded_at=now)
    )
    db.execute(
        update(Connection)
        .where(_between(blocker.id, blocked_id), Connection.status == "accepted")
        .values(status="withdrawn", responded_at=now)
    )
    try:
        blocks.block(db, blocker, blocked_id, now)  # commits the changes above with it
    except ChatError:
        db.rollback()
        raise
    db.commit()  # blocking twice commits nothing in blocks.block


def contact_for(db: Session, viewer: User, other: User) -> Contact | None:
    """`other`'s shared contact details, for `viewer` only when the two are connected
    and neither blocked the other; None otherwise."""
    connection = _open_between(db, viewer.id, other.id)
    if connection is None or connection.status != "accepted":
        return None
    if blocks.between(db, viewer.id, other.id):
        return None
    return Contact(other.contact_email, other.contact_website)


def state_with(db: Session, viewer: User) -> dict[int, str]:
    """For each member the viewer has an open connection with: "connected", "sent" (the
    viewer is waiting for their answer) or "received" (they are waiting for the viewer's)."""
    rows = db.scalars(
        select(Connection).where(
            or_(Connection.requester_id == viewer.id, Connection.addressee_id == viewer.id),
            Connection.status.in_(OPEN),
        )
    )
    states: dict[int, str] = {}
    for c in rows:
        if c.status == "accepted":
            states[c.addressee_id if c.requester_id == viewer.id else c.requester_id] = "connected"
        elif c.requester_id == viewer.id:
            states[c.addressee_id] = "sent"
        else:
            states[c.requester_id] = "received"
    return states


def _incoming_query(user: User) -> Any:
    requester = aliased(User)
    return (
        select(Connection)
        .join(requester, requester.id == Connection.requester_id)
        .where(
            Connection.addressee_id == user.id,
            Connection.status == "pending",
            requester.deleted_at.is_(None),
            Connection.requester_id.not_in(blocks.hidden_from(user.id)),
        )
    )


def incoming(db: Session, user: User, page: int = 1) -> Page:
    """Requests waiting for `user`'s answer, newest first."""
    query = _incoming_query(user).options(selectinload(Connection.requester))
    return _page(db, query.order_by(Connection.created_at.desc(), Connection.id.desc()), page)


def incoming_count(db: Session, user: User) -> int:
    """How many requests wait for `user`'s answer (for the site's navigation)."""
    return int(db.scalar(select(func.count()).select_from(_incoming_query(user).subquery())) or 0)


def outgoing(db: Session, user: User, page: int = 1) -> Page:
    """`user`'s requests still waiting for an answer, newest first."""
    query = (
        select(Connection)
        .where(Connection.requester_id == user.id, Connection.status == "pending")
        .options(selectinload(Connection.addressee))
        .order_by(Connection.created_at.desc(), Connection.id.desc())
    )
    return _page(db, query, page)


@dataclass(frozen=True)
class Connected:
    """An accepted connection as one side sees it: the other member and what they share."""

    connection: Connection
    member: User
    contact: Contact


def connected(db: Session, user: User, page: int = 1) -> Page:
    """`user`'s accepted connections, the other member and the contact details each chose
    to share, by name."""
    other = aliased(User)
    other_id = case(
        (Connection.requester_id == user.id, Connection.addressee_id),
        else_=Connection.requester_id,
    )
    query = (
        select(Connection, other)
        .join(other, other.id == other_id)
        .where(
            or_(Connection.requester_id == user.id, Connection.addressee_id == user.id),
            Connection.status == "accepted",
            other.id.not_in(blocks.hidden_from(user.id)),
        )
        .order_by(other.display_name, other.id)
    )
    number = max(page, 1)
    rows = db.execute(query.limit(PAGE + 1).offset((number - 1) * PAGE)).all()
    items = [Connected(c, m, Contact(m.contact_email, m.contact_website)) for c, m in rows[:PAGE]]
    return Page(items, number, len(rows) > PAGE)


def blocked(db: Session, user: User, page: int = 1) -> Page:
    """The members `user` blocked, by name, for the list where they can unblock."""
    query = (
        select(User)
        .join(Block, Block.blocked_id == User.id)
        .where(Block.blocker_id == user.id)
        .order_by(User.display_name, User.id)
    )
    return _page(db, query, page)


def report(
    db: Session, reporter: User, connection_id: int, reason: str, note: str, now: datetime
) -> ConnectionReport:
    """The addressee reports a request to the organisers (a pending one is declined with
    it). One open report per request."""
    connection = db.get(Connection, connection_id)
    if connection is None or connection.addressee_id != reporter.id:
        raise NotFound(NO_REQUEST)
    if connection.status not in ("pending", "declined"):
        raise ChatError(f"This request was already {connection.status}.", "conflict")
    if reason not in REPORT_REASONS:
        raise ValidationError({"reason": "Choose a reason for the report."})
    text = _clean_note(note, MAX_REPORT_NOTE)
    already = db.scalar(
        select(ConnectionReport.id).where(
            ConnectionReport.connection_id == connection.id, ConnectionReport.status == "open"
        )
    )
    if already is not None:
        raise ChatError("You already reported this request.", "conflict")
    if connection.status == "pending":
        connection.status = "declined"
        connection.responded_at = now
    filed = ConnectionReport(
        connection_id=connection.id,
        reporter_id=reporter.id,
        reason=reason,
        note=text,
        status="open",
        created_at=now,
    )
    db.add(filed)
    db.commit()
    return filed


def open_reports(db: Session, actor: User, page: int = 1) -> Page:
    """Open reports of connection requests, oldest first, for organisers."""
    if not actor.is_organiser:
        raise Forbidden("Only organisers see reports of connection requests.")
    query = (
        select(ConnectionReport)
        .where(ConnectionReport.status == "open")
        .options(
            selectinload(ConnectionReport.connection).selectinload(Connection.requester),
            selectinload(ConnectionReport.reporter),
        )
        .order_by(ConnectionReport.created_at, ConnectionReport.id)
    )
    return _page(db, query, page)


def resolve_report(
    db: Session, actor: User, report_id: int, outcome: str, note: str, now: datetime
) -> ConnectionReport:
    """An organiser closes an open report as resolved or dismissed, with a note; the audit
    log records it in the same transaction, naming the member whose request it was."""
    if not actor.is_organiser:
        raise Forbidden("Only organisers resolve reports of connection requests.")
    if outcome not in OUTCOMES:
        raise ChatError(f"outcome must be one of {', '.join(OUTCOMES)}.")
    text = _clean_note(note, MAX_RESOLUTION)
    filed = db.get(ConnectionReport, report_id)
    if filed is None:
        raise NotFound("There is no such report.")
    closed = db.execute(
        update(ConnectionReport)
        .where(ConnectionReport.id == report_id, ConnectionReport.status == "open")
        .values(status=outcome, resolved_at=now, resolved_by_id=actor.id, resolution=text)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise ChatError(f"This report was already {filed.status}.", "conflict")
    audit.record(
        db,
        actor,
        "resolve_connection_report" if outcome == "resolved" else "dismiss_connection_report",
        now,
        subject=filed.connection.requester,
        target=f"connection report {filed.id}",
        reason=text,
    )
    db.commit()
    db.refresh(filed)
    return filed


def _terms(text: str) -> dict[str, str]:
    """The comma-separated interests, compared trimmed and case-insensitively, each with
    the spelling to show."""
    terms = (part.strip() for part in text.split(","))
    return {term.casefold(): term for term in terms if term}


def _and_list(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _reasons(viewer: User, other: User) -> list[str]:
    mine = _terms(viewer.interests)
    shared = [term for key, term in _terms(other.interests).items() if key in mine]
    reasons = [f"You both mentioned {_and_list(shared)}"] if shared else []
    region = other.region.strip()
    if region and region.casefold() == viewer.region.strip().casefold():
        reasons.append(f"Also in {region}")
    return reasons


def attended(db: Session, user: User, session: ChatSession) -> bool:
    """Whether `user` was in the session's room at some point."""
    query = select(Visit.id).where(Visit.session_id == session.id, Visit.user_id == user.id)
    return db.scalar(query.limit(1)) is not None


def can_see_suggestions(db: Session, user: User, session: ChatSession, now: datetime) -> bool:
    """Whether `user` may see who they met in `session`: it ended and they were there."""
    if session.cancelled or session.rehearsal_of_id is not None:
        return False
    return rooms.ends_at(session) <= now and attended(db, user, session)


def people_you_met(
    db: Session, viewer: User, session: ChatSession, now: datetime, page: int = 1
) -> Page:
    """After a session the viewer attended: others who were in the room, are listed in
    the directory, are not behind a block, are not already connected or asked, and share
    an interest or the region with the viewer; each with why (Suggestion), most in
    common first."""
    if session.cancelled or session.rehearsal_of_id is not None or rooms.ends_at(session) > now:
        raise ChatError("Suggestions appear once the session has ended.", "conflict")
    if not attended(db, viewer, session):
        raise Forbidden("Only members who were in this session's room see who they met.")
    asked = select(Connection.addressee_id).where(
        Connection.requester_id == viewer.id, Connection.status.in_(OPEN)
    )
    asked_by = select(Connection.requester_id).where(
        Connection.addressee_id == viewer.id, Connection.status.in_(OPEN)
    )
    attendees = (
        select(User)
        .where(
            User.id.in_(select(Visit.user_id).where(Visit.session_id == session.id)),
            User.id != viewer.id,
            User.directory_listed.is_(True),
            User.deleted_at.is_(None),
            User.id.not_in(blocks.hidden_from(viewer.id)),
            User.id.not_in(asked),
            User.id.not_in(asked_by),
        )
        .order_by(User.display_name, User.id)
    )
    # The candidates are bounded by one session's attendees (a room of hundreds at most),
    # so comparing the free-text interests in Python over that set is fine; the directory's
    # search across all members uses the database's own text matching instead.
    found = [Suggestion(m, r) for m in db.scalars(attendees) if (r := _reasons(viewer, m))]
    found.sort(key=lambda s: -len(s.reasons))  # stable: by name within each group
    number = max(page, 1)
    start = (number - 1) * PAGE
    return Page(found[start : start + PAGE], number, len(found) > start + PAGE)


def forget(db: Session, user: User) -> None:
    """On account deletion: every connection of `user`'s (either side) and the blocks
    they made go (uncommitted: the deletion commits)."""
    db.execute(
        delete(Connection).where(
            or_(Connection.requester_id == user.id, Connection.addressee_id == user.id)
        )
    )
    db.execute(delete(Block).where(Block.blocker_id == user.id))


def export(db: Session, user: User) -> dict[str, Any]:
    """`user`'s connections (the other's name, who asked, the status; the note only of
    requests they wrote), the members they blocked, and the requests they reported."""
    rows = db.scalars(
        select(Connection)
        .where(or_(Connection.requester_id == user.id, Connection.addressee_id == user.id))
        .options(selectinload(Connection.requester), selectinload(Connection.addressee))
        .order_by(Connection.id)
    )
    made = db.execute(
        select(User.display_name, Block.created_at)
        .join(Block, Block.blocked_id == User.id)
        .where(Block.blocker_id == user.id)
        .order_by(Block.created_at, User.id)
    ).all()
    reported = db.scalars(
        select(ConnectionReport)
        .where(ConnectionReport.reporter_id == user.id)
        .order_by(ConnectionReport.id)
    )
    return {
        "connections": [_exported(c, user) for c in rows],
        "blocks": [{"name": name, "created_at": _iso(at)} for name, at in made],
        "connection_reports_made": [
            {
                "reason": r.reason,
                "note": r.note,
                "status": r.status,
                "created_at": _iso(r.created_at),
            }
            for r in reported
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def _exported(connection: Connection, user: User) -> dict[str, Any]:
    sent = connection.requester_id == user.id
    other = connection.addressee if sent else connection.requester
    return {
        "with": other.display_name,
        "direction": "sent" if sent else "received",
        "status": connection.status,
        "note": connection.note if sent else None,
        "created_at": _iso(connection.created_at),
        "responded_at": _iso(connection.responded_at),
    }
