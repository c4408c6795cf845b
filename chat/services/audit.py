"""The audit log: every moderation action and report resolution, who, what, to whom, when, why.

Other services call `record` in the same transaction as the action, so an action is
never stored without its entry (or the other way round).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from chat.models import AuditEntry, ChatSession, User


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
