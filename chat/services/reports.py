"""Reports: members flag a message or question to the session's moderators, who resolve
or dismiss it.

Who reported is shown to staff only; the reported person never sees a report about
themselves. So a report about one of the session's staff (a facilitator's words, say)
goes to the organisers only, and never to an organiser it is about. The reporter hears
only the acknowledgement that it was received: the outcome is the moderators' business
(and a "dismissed" could read as "we did not believe you").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from chat.errors import ChatError, Forbidden, NotFound
from chat.events import OrganiserReport, ReportChanged, RoomEvent
from chat.models import REPORT_REASONS, ChatSession, Message, Question, Report, User
from chat.services import audit, limits, messages, questions
from chat.services.roles import is_staff, require_staff, require_view

MAX_NOTE = 1000
MAX_RESOLUTION = 300
EXCERPT = 140
OUTCOMES = ("resolved", "dismissed")
# What each reason means, in the words the report dialog and the queue use.
REASON_LABELS = {
    "harassment": "Harassment or hostility",
    "confidentiality": "Breaks client confidentiality",
    "safeguarding": "Safeguarding concern",
    "spam": "Spam or advertising",
    "other": "Something else",
}
assert tuple(REASON_LABELS) == REPORT_REASONS


def _clean(text: str, limit: int, what: str) -> str:
    cleaned = text.strip()
    if len(cleaned) > limit:
        raise ChatError(f"Keep the {what} to {limit} characters or fewer.", "invalid")
    return cleaned


def _target(report: Report) -> dict[str, Any]:
    """Where the reported text is: a message (by its id in the session) or a question."""
    if report.message is not None:
        return {
            "kind": "message",
            "id": report.message.seq,
            "removed": report.message.deleted_at is not None,
        }
    assert report.question is not None
    return {"kind": "question", "id": report.question.id, "removed": False}


def _excerpt(report: Report) -> str:
    text = report.message.body if report.message is not None else ""
    if report.question is not None:
        text = report.question.body
    return text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + "…"


def target_label(report: Report) -> str:
    """How the audit log names a report: "report 3 (message 12)"."""
    target = _target(report)
    return f"report {report.id} ({target['kind']} {target['id']})"


def view(report: Report) -> dict[str, Any]:
    """A report as the session's staff see it (the `report` event, the join ack)."""
    return {
        "id": report.id,
        "session_id": report.session_id,
        "reason": report.reason,
        "reason_label": REASON_LABELS[report.reason],
        "note": report.note,
        "urgent": report.urgent,
        "status": report.status,
        "reporter": {"id": report.reporter.id, "name": report.reporter.display_name},
        "reported": {"id": report.reported_user.id, "name": report.reported_user.display_name},
        "target": _target(report),
        "excerpt": _excerpt(report),
        "created_at": report.created_at.isoformat(),
        "resolved_at": report.resolved_at.isoformat() if report.resolved_at else None,
        "resolution": report.resolution,
    }


def _with_relations() -> Any:
    return select(Report).options(
        selectinload(Report.reporter),
        selectinload(Report.reported_user),
        selectinload(Report.message),
        selectinload(Report.question),
    )


def may_see(viewer: User, session: ChatSession, report: Report) -> bool:
    """Staff see the session's reports, except any about themselves; a report about one
    of the session's staff is for the organisers alone."""
    if report.reported_user_id == viewer.id or not is_staff(viewer, session):
        return False
    return viewer.is_organiser or not is_staff(report.reported_user, session)


def open_reports(db: Session, session: ChatSession, viewer: User) -> list[dict[str, Any]]:
    """The session's open reports that `viewer` may see: urgent first, then oldest first."""
    rows = db.scalars(
        _with_relations()
        .where(Report.session_id == session.id, Report.status == "open")
        .order_by(Report.urgent.desc(), Report.created_at, Report.id)
    )
    return [view(r) for r in rows if may_see(viewer, session, r)]


def open_by_session(db: Session, viewer: User) -> list[tuple[ChatSession, int, int]]:
    """For an organiser's dashboard: every session with open reports (none about the
    viewer), with its open and urgent counts, most urgent first."""
    rows = db.execute(
        select(
            Report.session_id,
            func.count(),
            func.count().filter(Report.urgent.is_(True)),
            func.min(Report.created_at),
        )
        .where(Report.status == "open", Report.reported_user_id != viewer.id)
        .group_by(Report.session_id)
    ).all()
    found = {s.id: s for s in db.scalars(select(ChatSession).where(ChatSession.id.in_(
        [row[0] for row in rows])))}  # fmt: skip
    ordered = sorted(rows, key=lambda row: (-row[2], row[3]))
    return [(found[sid], int(n), int(urgent)) for sid, n, urgent, _ in ordered]


def _changed(db: Session, session: ChatSession, report: Report) -> list[RoomEvent]:
    """`report` for the session's staff; if it is about one of them, for every organiser
    but the one it is about (on every tab, whether or not they are in the room)."""
    body = view(report)
    if not is_staff(report.reported_user, session):
        return [ReportChanged(session.id, body)]
    organisers = db.scalars(
        select(User.id)
        .where(User.is_organiser.is_(True), User.id != report.reported_user_id)
        .order_by(User.id)
    )
    return [OrganiserReport(session.id, body, user_id=uid) for uid in organisers]


def _reported_text(
    db: Session,
    actor: User,
    session: ChatSession,
    message_id: int | None,
    question_id: int | None,
) -> tuple[Message | None, Question | None, int]:
    """The message or question being reported (visible to `actor`) and its author's id."""
    if (message_id is None) == (question_id is None):
        raise ChatError("Report exactly one message_id or question_id.", "invalid")
    if message_id is not None:
        message = messages.get_message(db, session, message_id)
        return message, None, message.author_id
    question = db.get(Question, question_id)
    if (
        question is None
        or question.session_id != session.id
        or not questions.visible(question, actor, is_staff(actor, session))
    ):
        raise NotFound("That question is not there any more.")
    return None, question, question.author_id


def file_report(
    db: Session,
    actor: User,
    session: ChatSession,
    *,
    message_id: int | None = None,
    question_id: int | None = None,
    reason: str,
    note: str,
    now: datetime,
    flood: limits.Limiter | None = None,
) -> tuple[int, list[RoomEvent]]:
    """A member reports a message or question of this session; its staff hear `report`.

    Reporting the same thing again while the earlier report is open returns that report's
    id and tells nobody again. A safeguarding report is urgent. With `flood`, members
    (not staff) are held to the report rate limit.
    """
    require_view(actor, session)
    if reason not in REPORT_REASONS:
        raise ChatError(f"reason must be one of {', '.join(REPORT_REASONS)}.", "invalid")
    text = _clean(note, MAX_NOTE, "note")
    message, question, author_id = _reported_text(db, actor, session, message_id, question_id)
    if author_id == actor.id:
        raise Forbidden("You cannot report something you wrote yourself.")
    same_target = (
        Report.message_id == message.id
        if message is not None
        else Report.question_id == getattr(question, "id", None)
    )
    earlier = db.scalar(
        select(Report.id).where(
            Report.reporter_id == actor.id, Report.status == "open", same_target
        )
    )
    if earlier is not None:
        return earlier, []
    if flood is not None:
        limits.check_report(flood, actor, session, now)
    report = Report(
        session_id=session.id,
        reporter_id=actor.id,
        reported_user_id=author_id,
        message_id=message.id if message is not None else None,
        question_id=question.id if question is not None else None,
        reason=reason,
        note=text,
        urgent=reason == "safeguarding",
        status="open",
        created_at=now,
    )
    db.add(report)
    db.commit()
    stored = db.scalar(_with_relations().where(Report.id == report.id))
    assert stored is not None
    return stored.id, _changed(db, session, stored)


def resolve(
    db: Session,
    actor: User,
    session: ChatSession,
    report_id: int,
    outcome: str,
    note: str,
    now: datetime,
) -> tuple[dict[str, Any], list[RoomEvent]]:
    """Staff of the session close an open report as resolved or dismissed, with a note.

    The audit log records it in the same transaction; two moderators closing the same
    report at once cannot both succeed (the second is told it is already closed).
    """
    require_staff(actor, session)
    if outcome not in OUTCOMES:
        raise ChatError(f"outcome must be one of {', '.join(OUTCOMES)}.", "invalid")
    text = _clean(note, MAX_RESOLUTION, "note")
    report = db.scalar(
        _with_relations().where(Report.id == report_id, Report.session_id == session.id)
    )
    if report is None or not may_see(actor, session, report):
        raise NotFound("There is no such report in this session.")
    if report.status != "open":
        raise ChatError(f"This report was already {report.status}.", "conflict")
    closed = db.execute(
        update(Report)
        .where(Report.id == report.id, Report.status == "open")
        .values(status=outcome, resolved_at=now, resolved_by_id=actor.id, resolution=text)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise ChatError("Another moderator closed this report a moment ago.", "conflict")
    action = "resolve_report" if outcome == "resolved" else "dismiss_report"
    audit.record(
        db,
        actor,
        action,
        now,
        subject=report.reported_user,
        session=session,
        target=target_label(report),
        reason=text,
    )
    db.commit()
    db.refresh(report)
    return view(report), _changed(db, session, report)
