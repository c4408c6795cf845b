"""The member directory: members who opted in, found by words of their introduction.

Privacy by default: a member appears only while `directory_listed` is set (off until
they tick it on their profile), never to someone on the other side of a block, and
only to signed-in members. Unticking takes the card away at once: every search reads
the flag, nothing is cached.

Search matches each typed word as the PREFIX of a word of a member's introduction.
Those words are rows of `member_terms`, rewritten when the profile is saved, so a
search is one range of the `term` index per word: `term >= "anx" AND term < "any"`.
Both databases compare terms byte by byte (PostgreSQL through the column's "C"
collation), which is what makes the range exactly "starts with".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.orm import Session

from chat.errors import Unauthenticated
from chat.models import ChatSession, DirectorySession, MemberTerm, User, Visit
from chat.services import blocks, rooms

PAGE_SIZE = 20
TERM_LENGTH = 80
# At most this many words of a search count: each is one index range.
MAX_WORDS = 8
# The introduction fields a search looks in (the bio is on the card, but not searched).
SEARCHED_FIELDS = ("display_name", "modality", "training_stage", "region", "interests", "trains_at")
_WORD = re.compile(r"\w+")
_LAST_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)


def words(text: str) -> list[str]:
    """The lower-cased words of `text`, in order, without repeats (each cut to fit a term)."""
    return list(dict.fromkeys(w[:TERM_LENGTH] for w in _WORD.findall((text or "").lower())))


def member_terms(user: User) -> set[str]:
    """The words a search can find `user` by."""
    return {w for name in SEARCHED_FIELDS for w in words(getattr(user, name))}


def save_card(db: Session, user: User, shown_session_ids: Iterable[int]) -> None:
    """Rewrite `user`'s search terms from their profile, and the sessions their card
    shows: of `shown_session_ids`, those they have a visit in. The caller commits."""
    db.execute(delete(MemberTerm).where(MemberTerm.user_id == user.id))
    db.add_all(MemberTerm(user_id=user.id, term=term) for term in sorted(member_terms(user)))
    wanted = set(shown_session_ids)
    attended = set(db.scalars(select(Visit.session_id).where(Visit.user_id == user.id).distinct()))
    db.execute(delete(DirectorySession).where(DirectorySession.user_id == user.id))
    db.add_all(
        DirectorySession(user_id=user.id, session_id=session_id)
        for session_id in sorted(wanted & attended)
    )


def forget(db: Session, user: User) -> None:
    """Remove everything the directory holds about `user` (account deletion). The
    caller commits."""
    db.execute(delete(MemberTerm).where(MemberTerm.user_id == user.id))
    db.execute(delete(DirectorySession).where(DirectorySession.user_id == user.id))


def export(db: Session, user: User) -> dict[str, Any]:
    """What the directory holds about `user`, for their data download: whether they are
    listed and the sessions they chose to show (the profile's columns are exported as
    they are)."""
    query = (
        select(ChatSession.id, ChatSession.title)
        .join(DirectorySession, DirectorySession.session_id == ChatSession.id)
        .where(DirectorySession.user_id == user.id)
        .order_by(ChatSession.starts_at)
    )
    return {
        "listed": user.directory_listed,
        "shown_sessions": [{"id": id_, "title": title} for id_, title in db.execute(query)],
    }


def attended_sessions(db: Session, user: User, now: datetime) -> list[ChatSession]:
    """Sessions `user` was in the room for that have ended, newest first: what their card
    may show."""
    query = (
        select(ChatSession)
        .where(
            ChatSession.rehearsal_of_id.is_(None),
            ChatSession.cancelled.is_(False),
            exists().where(Visit.session_id == ChatSession.id, Visit.user_id == user.id),
        )
        .order_by(ChatSession.starts_at.desc())
    )
    return [s for s in db.scalars(query) if rooms.ends_at(s) <= now]


def shown_session_ids(db: Session, user: User) -> set[int]:
    """The sessions `user` chose to show on their card."""
    query = select(DirectorySession.session_id).where(DirectorySession.user_id == user.id)
    return set(db.scalars(query))


def shown_sessions(db: Session, user_ids: Iterable[int], now: datetime) -> dict[int, list]:
    """For each member, the sessions their card shows, newest first: those they chose,
    attended, and that have ended (and were not cancelled)."""
    ids = list(user_ids)
    if not ids:
        return {}
    query = (
        select(DirectorySession.user_id, ChatSession)
        .join(ChatSession, ChatSession.id == DirectorySession.session_id)
        .where(
            DirectorySession.user_id.in_(ids),
            ChatSession.rehearsal_of_id.is_(None),
            ChatSession.cancelled.is_(False),
            exists().where(
                Visit.session_id == DirectorySession.session_id,
                Visit.user_id == DirectorySession.user_id,
            ),
        )
        .order_by(ChatSession.starts_at.desc())
    )
    shown: dict[int, list[ChatSession]] = defaultdict(list)
    for user_id, session in db.execute(query):
        if rooms.ends_at(session) <= now:
            shown[user_id].append(session)
    return shown


def _after_prefix(prefix: str) -> str:
    """The smallest string after every string that starts with `prefix` (code point
    order, which is UTF-8 byte order): its last character, plus one."""
    head, last = prefix[:-1], ord(prefix[-1])
    while last == _LAST_CODE_POINT:
        if not head:
            return prefix + chr(_LAST_CODE_POINT)  # unreachable for real words
        head, last = head[:-1], ord(head[-1])
    following = last + 1
    if following in _SURROGATES:
        following = _SURROGATES.stop
    return head + chr(following)


def members_with_prefix(word: str) -> Select[int]:
    """Members with a search term starting with `word`: one range of the `term` index."""
    return select(MemberTerm.user_id).where(
        MemberTerm.term >= word, MemberTerm.term < _after_prefix(word)
    )


def _visible(db: Session, viewer: User | None) -> Select[User]:
    """Members `viewer` may see in the directory (they must be signed in)."""
    if viewer is None or viewer.deleted_at is not None:
        raise Unauthenticated("Sign in to see the member directory.")
    query = select(User).where(User.directory_listed.is_(True), User.deleted_at.is_(None))
    hidden = blocks.hidden_ids(db, viewer.id)
    if hidden:
        query = query.where(User.id.not_in(hidden))
    return query


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Card:
    """One member as the directory shows them, with the sessions they chose to show."""

    member: User
    sessions: list[ChatSession] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    """One page of directory results."""

    cards: list[Card]
    total: int
    page: int
    page_size: int = PAGE_SIZE

    @property
    def has_next(self) -> bool:
        """Whether a later page has more cards."""
        return self.page * self.page_size < self.total

    @property
    def has_previous(self) -> bool:
        """Whether this is not the first page."""
        return self.page > 1


def search(
    db: Session,
    viewer: User | None,
    q: str = "",
    modality: str = "",
    stage: str = "",
    region: str = "",
    interest: str = "",
    page: int = 1,
    *,
    now: datetime,
) -> Page:
    """A page of the directory for `viewer`: listed members they may see, each of whose
    introduction has a word starting with every word of `q`; modality, stage and region
    match exactly (ignoring case), and each word of `interest` begins a word of their
    interests. Unauthenticated without a signed-in viewer."""
    query = _visible(db, viewer)
    for word in words(q)[:MAX_WORDS]:
        query = query.where(User.id.in_(members_with_prefix(word)))
    for name, value in (("modality", modality), ("training_stage", stage), ("region", region)):
        if value.strip():
            column = getattr(User, name)
            query = query.where(func.lower(column) == value.strip().lower())
    for word in words(interest)[:MAX_WORDS]:
        # The index finds the candidates; the interests column confirms where the word is.
        query = query.where(
            User.id.in_(members_with_prefix(word)),
            User.interests.ilike(f"%{_like_escaped(word)}%", escape="\\"),
        )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(page, 1)
    members = list(
        db.scalars(
            query.order_by(func.lower(User.display_name), User.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    sessions = shown_sessions(db, (m.id for m in members), now)
    return Page([Card(m, sessions.get(m.id, [])) for m in members], total, page)


@dataclass(frozen=True)
class Choices:
    """What the directory's filters offer: the values listed members use."""

    modalities: list[str]
    stages: list[str]
    regions: list[str]


def _distinct_ignoring_case(db: Session, base: Select[User], name: str) -> list[str]:
    column = getattr(User, name)
    members = base.where(column != "").subquery()
    value = getattr(members.c, name)
    query = select(func.min(value)).group_by(func.lower(value)).order_by(func.lower(value))
    return [v for v in db.scalars(query) if v]


def choices(db: Session, viewer: User | None, stage_order: Sequence[str]) -> Choices:
    """The modalities, stages and regions of the members `viewer` may see, for the
    filter lists; stages in `stage_order` (accounts.TRAINING_STAGES, which imports us)."""
    base = _visible(db, viewer)
    stages = set(_distinct_ignoring_case(db, base, "training_stage"))
    return Choices(
        modalities=_distinct_ignoring_case(db, base, "modality"),
        stages=[s for s in stage_order if s in stages],
        regions=_distinct_ignoring_case(db, base, "region"),
    )
