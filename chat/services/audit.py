"""The audit log: every moderation action and report resolution, who, what, to whom, when, why.

Other services call `record` in the same transaction as the action, so an action is
never stored without its entry (or the other way round). Organisers list it with
`entries` and download it with `to_csv`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from chat.models import AuditEntry, ChatSession, User
from chat.services.spreadsheet import write_csv

PAGE = 100
CSV_COLUMNS = (
    "created_at",
    "action",
    "actor_id",
    "actor",
    "subject_id",
    "subject",
    "session_id",
    "session",
    "target",
    "reason",
)


def record(
    db: Session,
    actor: User,
    action: str,
    now: datetime,
    *,
    subject: User | None = None,
    session: ChatSession | None = None,
    target: str = "",
    reason: str = "",
) -> AuditEntry:
    """Add an entry (uncommitted: the caller commits it with the action it describes)."""
    entry = AuditEntry(
        created_at=now,
        action=action,
        actor_id=actor.id,
        actor_name=actor.display_name,
        subject_id=subject.id if subject is not None else None,
        subject_name=subject.display_name if subject is not None else "",
        session_id=session.id if session is not None else None,
        target=target[:200],
        reason=reason[:1000],
    )
    db.add(entry)
    return entry


def _filtered(query: Any, session_id: int | None, person_id: int | None) -> Any:
    if session_id is not None:
        query = query.where(AuditEntry.session_id == session_id)
    if person_id is not None:
        query = query.where(
            or_(AuditEntry.actor_id == person_id, AuditEntry.subject_id == person_id)
        )
    return query


def entries(
    db: Session,
    session_id: int | None = None,
    person_id: int | None = None,
    limit: int | None = PAGE,
    offset: int = 0,
) -> list[AuditEntry]:
    """Entries newest first, optionally only one session's or those where one person
    acted or was acted upon (`limit=None` for all of them)."""
    query = _filtered(select(AuditEntry), session_id, person_id)
    query = query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query))


def people(db: Session) -> list[tuple[int, str]]:
    """Everyone who appears in the log, as actor or subject: (id, current name), by name."""
    ids = set(db.scalars(select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None))))
    ids |= set(db.scalars(select(AuditEntry.subject_id).where(AuditEntry.subject_id.is_not(None))))
    if not ids:
        return []
    rows = db.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return sorted(((uid, name) for uid, name in rows), key=lambda row: (row[1].lower(), row[0]))


def sessions(db: Session) -> list[ChatSession]:
    """The sessions that appear in the log, newest first."""
    ids = select(AuditEntry.session_id).where(AuditEntry.session_id.is_not(None)).distinct()
    query = select(ChatSession).where(ChatSession.id.in_(ids))
    return list(db.scalars(query.order_by(ChatSession.starts_at.desc())))


def to_csv(rows: Iterable[AuditEntry], session_titles: Mapping[int, str] | None = None) -> str:
    """The entries as CSV (RFC 4180, a header row), times in UTC ISO 8601. Cells that a
    spreadsheet would read as a formula are neutralised."""
    titles = session_titles or {}

    def row(e: AuditEntry) -> dict[str, Any]:
        return dict(
            zip(
                CSV_COLUMNS,
                (
                    e.created_at.isoformat(),
                    e.action,
                    e.actor_id if e.actor_id is not None else "",
                    e.actor_name,
                    e.subject_id if e.subject_id is not None else "",
                    e.subject_name,
                    e.session_id if e.session_id is not None else "",
                    titles.get(e.session_id, "") if e.session_id is not None else "",
                    e.target,
                    e.reason,
                ),
                strict=True,
            )
        )

    return write_csv(CSV_COLUMNS, map(row, rows))
