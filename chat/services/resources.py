"""Resources: links that facilitators and members share in a session's room (an article,
a free training, a book), upvoted by others, one featured by staff; collected into the
session's recap and into a searchable library across sessions.

Only http and https links with a host are accepted, so a shared link can never run script
(`javascript:`) or carry a document (`data:`). Votes are rows with one primary key per
(resource, member) and counts are always derived from them, as the question queue's are.
A removed resource keeps its row (who removed it, when) and vanishes from the panel, the
recap and the library.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from chat.errors import ChatError, Forbidden, NotFound, RateLimited, ValidationError
from chat.events import ResourceChanged, RoomEvent
from chat.models import ChatSession, Resource, ResourceVote, Series, User
from chat.services import audit, messages, sanctions
from chat.services.roles import is_staff, require_staff, require_view

MIN_TITLE, MAX_TITLE = 3, 200
MAX_URL = 2000
MAX_NOTE = 500
SCHEMES = ("http", "https")
# Members share one resource per 20 seconds and up to 10 in a session; staff are exempt.
SHARE_INTERVAL = timedelta(seconds=20)
MAX_PER_MEMBER = 10
PAGE_SIZE = 20
# Characters a link may not hold: whitespace, control characters and backslashes (which
# some browsers read as "/", so the host they go to is not the one shown).
_UNSAFE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f\\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# ---- validation -------------------------------------------------------------------------


def check_url(url: str) -> str:
    """The link, trimmed, if it is an absolute http or https link with a host and no
    credentials; else ChatError (`invalid`) saying what is wrong."""
    text = url.strip()
    if not text:
        raise ChatError("Paste the link to the resource.", "invalid")
    if len(text) > MAX_URL:
        raise ChatError(f"Links can be up to {MAX_URL:,} characters long.", "invalid")
    if _UNSAFE_IN_URL.search(text):
        raise ChatError("A link cannot contain spaces or line breaks.", "invalid")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (a port that is not a number raises ValueError here)
    except ValueError:
        raise ChatError("That does not look like a web link.", "invalid") from None
    if parts.scheme.lower() not in SCHEMES:
        raise ChatError(
            "Only web links starting with https:// or http:// can be shared.", "invalid"
        )
    if parts.username is not None or parts.password is not None:
        raise ChatError("Links with a user name or password in them cannot be shared.", "invalid")
    if not parts.hostname:
        raise ChatError(
            "Give the full link, with the site's name (https://example.org/…).", "invalid"
        )
    return text


def domain(url: str) -> str:
    """The site a link goes to, as people recognise it: "example.org" for
    https://www.Example.org/page."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub("", text).split())


def clean(title: str, url: str, note: str) -> tuple[str, str, str]:
    """Check a resource's title (3 to 200 characters), link and note (up to 500); every
    field that is wrong is named in one ValidationError."""
    errors: dict[str, str] = {}
    clean_title = _one_line(title)
    if len(clean_title) < MIN_TITLE:
        errors["title"] = f"Give the resource a title of at least {MIN_TITLE} characters."
    elif len(clean_title) > MAX_TITLE:
        errors["title"] = f"Keep the title to {MAX_TITLE} characters or fewer."
    clean_url = ""
    try:
        clean_url = check_url(url)
    except ChatError as exc:
        errors["url"] = exc.message
    clean_note = _CONTROL.sub("", note.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(clean_note) > MAX_NOTE:
        errors["note"] = f"Keep the note to {MAX_NOTE} characters or fewer."
    if errors:
        raise ValidationError(errors)
    return clean_title, clean_url, clean_note


# ---- what the room sees -----------------------------------------------------------------


def _votes_of(resource_id: Any) -> Any:
    return (
        select(func.count())
        .select_from(ResourceVote)
        .where(ResourceVote.resource_id == resource_id)
        .scalar_subquery()
    )


def _payload(resource: Resource, author: User, votes: int) -> dict[str, Any]:
    return {
        "id": resource.id,
        "session_id": resource.session_id,
        "title": resource.title,
        "url": resource.url,
        "domain": resource.domain,
        "note": resource.note,
        "author": {"id": author.id, "name": author.display_name},
        "votes": votes,
        "featured": resource.featured,
        "created_at": resource.created_at.isoformat(),
    }


def _changed(db: Session, resource: Resource) -> ResourceChanged:
    votes = db.scalar(
        select(func.count())
        .select_from(ResourceVote)
        .where(ResourceVote.resource_id == resource.id)
    )
    return ResourceChanged(resource.session_id, _payload(resource, resource.author, votes or 0))


# Read on every join: one statement, composed once, bound at each call. The panel's
# order: the featured one first, then the most upvoted, then the newest.
_VOTES = _votes_of(Resource.id)
_PANEL = (
    select(
        Resource,
        User,
        _VOTES.label("votes"),
        exists()
        .where(ResourceVote.resource_id == Resource.id, ResourceVote.user_id == bindparam("viewer"))
        .label("voted"),
    )
    .join(User, User.id == Resource.author_id)
    .where(Resource.session_id == bindparam("session_id"), Resource.removed_at.is_(None))
    .order_by(Resource.featured.desc(), _VOTES.desc(), Resource.id.desc())
)


def panel(db: Session, session: ChatSession, viewer: User) -> list[dict[str, Any]]:
    """The room's resources as the join ack carries them, each with whether `viewer`
    upvoted it (`voted`); removed ones are left out."""
    rows = db.execute(_PANEL, {"session_id": session.id, "viewer": viewer.id})
    return [
        {**_payload(resource, author, votes), "voted": bool(voted)}
        for resource, author, votes, voted in rows
    ]


def _get(db: Session, session: ChatSession, resource_id: int) -> Resource:
    resource = db.get(Resource, resource_id)
    if resource is None or resource.session_id != session.id or resource.removed_at is not None:
        raise NotFound("That resource is not in this session.")
    return resource


# ---- what people do --------------------------------------------------------------------


def _require_sharing(
    db: Session, actor: User, session: ChatSession, now: datetime, lobby_minutes: int
) -> None:
    """Sharing and voting, like chatting, happen while the room is open (lobby or live),
    not while a facilitator has paused it, and not by a muted member."""
    messages.require_open(session, now, lobby_minutes)
    if session.locked and not is_staff(actor, session):
        raise ChatError("The facilitator has paused the room for now.", "room_closed")
    sanctions.require_unmuted(db, actor, session, now)


def _check_limits(db: Session, actor: User, session: ChatSession, now: datetime) -> None:
    """A courtesy limit, read from the database so that every process agrees (two tabs
    sharing at the very same moment may both pass, as with the question queue's interval)."""
    theirs = (Resource.session_id == session.id) & (Resource.author_id == actor.id)
    shared = db.scalar(
        select(func.count()).select_from(Resource).where(theirs, Resource.removed_at.is_(None))
    )
    if (shared or 0) >= MAX_PER_MEMBER:
        raise ChatError(
            f"You have shared {MAX_PER_MEMBER} resources in this session, the most one "
            "person can. Remove one to share another.",
            "rate_limited",
        )
    last = db.scalar(select(func.max(Resource.created_at)).where(theirs))
    if last is not None and now - last < SHARE_INTERVAL:
        wait = math.ceil((SHARE_INTERVAL - (now - last)).total_seconds())
        raise RateLimited("One resource every 20 seconds, please.", retry_after=wait)


def _existing(db: Session, session: ChatSession, actor: User, client_id: str) -> Resource | None:
    return db.scalar(
        select(Resource).where(
            Resource.session_id == session.id,
            Resource.author_id == actor.id,
            Resource.client_id == client_id,
        )
    )


def share(
    db: Session,
    actor: User,
    session: ChatSession,
    title: str,
    url: str,
    note: str,
    client_id: str,
    now: datetime,
    lobby_minutes: int,
) -> tuple[dict[str, Any], list[RoomEvent]]:
    """Share a link in the room; once per client_id. Returns the resource and the event
    everyone in the room hears."""
    require_view(actor, session)
    earlier = _existing(db, session, actor, client_id)
    if earlier is not None:
        return _changed(db, earlier).payload, []
    _require_sharing(db, actor, session, now, lobby_minutes)
    clean_title, clean_url, clean_note = clean(title, url, note)
    if not is_staff(actor, session):
        _check_limits(db, actor, session, now)
    resource = Resource(
        session_id=session.id,
        author=actor,
        client_id=client_id,
        title=clean_title,
        url=clean_url,
        domain=domain(clean_url),
        note=clean_note,
        featured=False,
        created_at=now,
    )
    db.add(resource)
    try:
        db.commit()
    except IntegrityError:  # the same client_id from another tab at the same moment
        db.rollback()
        winner = _existing(db, session, actor, client_id)
        if winner is None:
            raise
        return _changed(db, winner).payload, []
    event = ResourceChanged(session.id, _payload(resource, actor, 0))
    return event.payload, [event]


def vote(
    db: Session,
    actor: User,
    session: ChatSession,
    resource_id: int,
    active: bool,
    now: datetime,
    lobby_minutes: int,
) -> tuple[int, list[RoomEvent]]:
    """Upvote (`active`) someone else's resource, or take the vote back; idempotent.
    Returns the new count. Upvotes say others found it useful, so not your own."""
    require_view(actor, session)
    resource = _get(db, session, resource_id)
    if resource.author_id == actor.id:
        raise Forbidden("You shared this one; upvotes are for other people's resources.")
    _require_sharing(db, actor, session, now, lobby_minutes)
    existing = db.get(ResourceVote, (resource.id, actor.id))
    changed = active != (existing is not None)
    if active and existing is None:
        db.add(ResourceVote(resource_id=resource.id, user_id=actor.id, created_at=now))
    elif not active and existing is not None:
        db.delete(existing)
    try:
        db.commit()
    except IntegrityError:  # the same vote from another tab at the same moment
        db.rollback()
        changed = False
    event = _changed(db, resource)
    return event.payload["votes"], [event] if changed else []


def feature(
    db: Session, actor: User, session: ChatSession, resource_id: int, featured: bool
) -> list[RoomEvent]:
    """Feature a resource at the top of the panel, or stop featuring it (staff only).
    One is featured at a time: featuring another unfeatures the one before."""
    require_staff(actor, session)
    resource = _get(db, session, resource_id)
    if resource.featured == featured:
        return []
    touched = [resource]
    if featured:
        touched += db.scalars(
            select(Resource).where(
                Resource.session_id == session.id,
                Resource.featured,
                Resource.id != resource.id,
            )
        )
        for other in touched[1:]:
            other.featured = False
    resource.featured = featured
    db.commit()
    return [_changed(db, r) for r in touched]


def remove(
    db: Session, actor: User, session: ChatSession, resource_id: int, now: datetime
) -> list[RoomEvent]:
    """Take a resource out of the panel, the recap and the library: its sharer may, and
    so may staff (written to the audit log when it is someone else's)."""
    require_view(actor, session)
    resource = _get(db, session, resource_id)
    staff = is_staff(actor, session)
    if resource.author_id != actor.id and not staff:
        raise Forbidden("You can only remove resources you shared.")
    resource.removed_at = now
    resource.removed_by_id = actor.id
    resource.featured = False
    if resource.author_id != actor.id:
        audit.record(
            db, actor, "remove_resource", now, subject=resource.author, session=session,
            target=f"resource {resource.id}", reason=resource.url,
        )  # fmt: skip
    db.commit()
    gone = {"id": resource.id, "session_id": session.id, "removed": True}
    return [ResourceChanged(session.id, gone)]


def withdraw_all(db: Session, user: User, now: datetime) -> None:
    """A deleted account's resources leave the panels, recaps and library (uncommitted:
    account deletion commits it with the rest)."""
    db.execute(
        update(Resource)
        .where(Resource.author_id == user.id, Resource.removed_at.is_(None))
        .values(removed_at=now, removed_by_id=user.id, featured=False)
    )


# ---- recap, library and a member's own data ---------------------------------------------


@dataclass(frozen=True)
class SharedResource:
    """A resource as the recap and the library show it."""

    id: int
    title: str
    url: str
    domain: str
    note: str
    votes: int
    featured: bool
    shared_by: str
    session_id: int
    session_title: str
    session_starts_at: datetime

    @property
    def votes_label(self) -> str:
        """Like "1 upvote" or "3 upvotes"."""
        return f"{self.votes} upvote{'' if self.votes == 1 else 's'}"


def _shown() -> ColumnElement[bool]:
    """Resources anyone may still see: not removed, not of a deleted account, not of a
    cancelled session or a rehearsal."""
    return and_(
        Resource.removed_at.is_(None),
        User.deleted_at.is_(None),
        ChatSession.cancelled.is_(false()),
        ChatSession.rehearsal_of_id.is_(None),
    )


def _shared(rows: Any) -> list[SharedResource]:
    return [
        SharedResource(
            id=r.id,
            title=r.title,
            url=r.url,
            domain=r.domain,
            note=r.note,
            votes=votes,
            featured=r.featured,
            shared_by=author.display_name,
            session_id=session.id,
            session_title=session.title,
            session_starts_at=session.starts_at,
        )
        for r, author, session, votes in rows
    ]


def _listing() -> Any:
    return (
        select(Resource, User, ChatSession, _VOTES.label("votes"))
        .join(User, User.id == Resource.author_id)
        .join(ChatSession, ChatSession.id == Resource.session_id)
        .where(_shown())
    )


def for_recap(db: Session, session: ChatSession) -> list[SharedResource]:
    """A session's resources for its recap: featured first, then by upvotes, then in the
    order shared."""
    query = (
        _listing()
        .where(Resource.session_id == session.id)
        .order_by(Resource.featured.desc(), _VOTES.desc(), Resource.id)
    )
    return _shared(db.execute(query))


@dataclass(frozen=True)
class LibraryPage:
    """One page of the library, and how many there are."""

    items: list[SharedResource]
    page: int
    pages: int
    total: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def library(
    db: Session,
    query: str = "",
    topic: str = "",
    session_id: int | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> LibraryPage:
    """Resources across sessions, most upvoted then newest first, PAGE_SIZE a page.

    Every word of `query` must appear in the title, the note or the domain; `topic`
    matches the session's title or its series' name; `session_id` keeps one session's.
    Matching uses the database's own case-insensitive LIKE: resources are a handful per
    session, so even years of weekly sessions are a few thousand rows, scanned in
    milliseconds; a trigram or full-text index can come if that ever changes.
    """
    conditions: list[ColumnElement[bool]] = [true()]
    for word in query.split()[:10]:
        pattern = _like(word)
        conditions.append(
            or_(
                Resource.title.ilike(pattern, escape="\\"),
                Resource.note.ilike(pattern, escape="\\"),
                Resource.domain.ilike(pattern, escape="\\"),
            )
        )
    if topic.strip():
        pattern = _like(topic.strip())
        in_series = select(Series.id).where(Series.name.ilike(pattern, escape="\\"))
        conditions.append(
            or_(ChatSession.title.ilike(pattern, escape="\\"), ChatSession.series_id.in_(in_series))
        )
    if session_id is not None:
        conditions.append(Resource.session_id == session_id)
    matching = _listing().where(*conditions)
    total = db.scalar(select(func.count()).select_from(matching.subquery())) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    rows = db.execute(
        matching.order_by(_VOTES.desc(), Resource.created_at.desc(), Resource.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return LibraryPage(_shared(rows), page, pages, total)


def library_sessions(db: Session, limit: int = 100) -> list[ChatSession]:
    """The sessions that have resources in the library, newest first (for the filter)."""
    having = (
        select(Resource.session_id)
        .join(User, User.id == Resource.author_id)
        .join(ChatSession, ChatSession.id == Resource.session_id)
        .where(_shown())
    )
    return list(
        db.scalars(
            select(ChatSession)
            .options(selectinload(ChatSession.series))
            .where(ChatSession.id.in_(having))
            .order_by(ChatSession.starts_at.desc())
            .limit(limit)
        )
    )


def export(db: Session, user: User) -> list[dict[str, Any]]:
    """Every resource `user` shared, removed ones included, for their own data."""
    rows = db.execute(
        select(Resource, ChatSession.title)
        .join(ChatSession, ChatSession.id == Resource.session_id)
        .where(Resource.author_id == user.id)
        .order_by(Resource.id)
    )
    return [
        {
            "session": {"id": r.session_id, "title": title},
            "id": r.id,
            "title": r.title,
            "url": r.url,
            "note": r.note,
            "featured": r.featured,
            "created_at": r.created_at.isoformat(timespec="seconds"),
            "removed_at": r.removed_at.isoformat(timespec="seconds") if r.removed_at else None,
        }
        for r, title in rows
    ]
