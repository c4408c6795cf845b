"""A member's own data: everything the app holds about them, as one JSON document.

It holds what they wrote and did, never what others did about them that would name
someone else: reports against them (which would reveal reporters), who moderated them, or
other people's messages. Token hashes and the password hash are secrets and stay out.
Times are ISO 8601 in UTC.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from chat.models import (
    ApiToken,
    BackstageMessage,
    Certificate,
    ChatSession,
    ConductAcceptance,
    Message,
    Question,
    QuestionVote,
    Reaction,
    Report,
    Sanction,
    User,
    Visit,
    session_facilitators,
)
from chat.services import connections, directory, introductions, messages, resources

FORMAT_VERSION = 1
SECRET_FIELDS = frozenset({"password_hash"})


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def _plain(value: Any) -> Any:
    return _iso(value) if isinstance(value, datetime) else value


def profile(user: User) -> dict[str, Any]:
    """Every column of the user's row except secrets (new columns join automatically)."""
    return {
        column.key: _plain(getattr(user, column.key))
        for column in inspect(User).columns
        if column.key not in SECRET_FIELDS
    }


def _session_ref(session: ChatSession | None, session_id: int | None) -> dict[str, Any]:
    return {"id": session_id, "title": session.title if session is not None else None}


def _sessions(db: Session, ids: set[int]) -> dict[int, ChatSession]:
    if not ids:
        return {}
    return {s.id: s for s in db.scalars(select(ChatSession).where(ChatSession.id.in_(ids)))}


def _rows(db: Session, model: Any, where: Any) -> list[Any]:
    """Rows of `model` matching `where`, in the order they were made."""
    return list(db.scalars(select(model).where(where).order_by(model.id)))


def _message(message: Message, session: ChatSession) -> dict[str, Any]:
    return {
        "session": _session_ref(session, message.session_id),
        "id": message.seq,
        "created_at": _iso(message.created_at),
        "kind": message.kind,
        "body": message.body,
        "reply_to": message.reply_to,
        "consent": message.consent,
        "edited": message.edited_at is not None,
        "edited_at": _iso(message.edited_at),
        "original_body": message.original_body,
        "moderator_note": message.moderator_note,
        "sensitive": message.sensitive,
        "deleted": message.deleted_at is not None,
        "deleted_at": _iso(message.deleted_at),
        "removed_by_moderator": messages.removed_by_moderator(message),
        "removal_reason": message.deleted_reason,
    }


def _question(question: Question, session: ChatSession) -> dict[str, Any]:
    return {
        "session": _session_ref(session, question.session_id),
        "id": question.id,
        "created_at": _iso(question.created_at),
        "body": question.body,
        "anonymous": question.anonymous,
        "status": question.status,
        "consent": question.consent,
        "edited_by_staff": question.edited_by_staff,
        "answered_at": _iso(question.answered_at),
    }


def _minutes(visits: list[Visit], now: datetime) -> int:
    """Whole minutes covered by the visits, overlapping tabs counted once; a visit still
    open counts until `now`."""
    spans = sorted((v.joined_at, v.left_at or now) for v in visits)
    total = 0.0
    start, end = spans[0]
    for joined, left in spans[1:]:
        if joined > end:
            total += (end - start).total_seconds()
            start, end = joined, left
        else:
            end = max(end, left)
    total += (end - start).total_seconds()
    return int(max(total, 0) // 60)


def _attendance(visits: list[Visit], sessions: dict[int, ChatSession], now: datetime) -> list:
    by_session: dict[int, list[Visit]] = defaultdict(list)
    for visit in visits:
        by_session[visit.session_id].append(visit)
    return [
        {
            "session": _session_ref(sessions.get(sid), sid),
            "minutes": _minutes(rows, now),
            "visits": [
                {"joined_at": _iso(v.joined_at), "left_at": _iso(v.left_at)}
                for v in sorted(rows, key=lambda v: (v.joined_at, v.id))
            ],
        }
        for sid, rows in sorted(by_session.items())
    ]


def export(db: Session, user: User, now: datetime) -> dict[str, Any]:
    """Everything the app holds about `user`: profile, messages, questions, votes,
    reactions, reports they made, sanctions, attendance, certificates, agreement
    acceptances and API tokens (when made, never their hashes)."""
    own_messages = _rows(db, Message, Message.author_id == user.id)
    own_questions = _rows(db, Question, Question.author_id == user.id)
    visits = _rows(db, Visit, Visit.user_id == user.id)
    reports = _rows(db, Report, Report.reporter_id == user.id)  # never reports against them
    backstage = _rows(db, BackstageMessage, BackstageMessage.author_id == user.id)
    sanctions = _rows(db, Sanction, Sanction.user_id == user.id)
    votes = db.execute(
        select(QuestionVote.question_id, Question.session_id, QuestionVote.created_at)
        .join(Question, Question.id == QuestionVote.question_id)
        .where(QuestionVote.user_id == user.id)
        .order_by(QuestionVote.created_at, QuestionVote.question_id)
    ).all()
    reactions = db.execute(
        select(Message.session_id, Message.seq, Reaction.kind, Reaction.created_at)
        .join(Message, Message.id == Reaction.message_id)
        .where(Reaction.user_id == user.id)
        .order_by(Reaction.created_at, Message.seq)
    ).all()
    facilitated = list(
        db.scalars(
            select(session_facilitators.c.session_id).where(
                session_facilitators.c.user_id == user.id
            )
        )
    )
    ids = {row.session_id for row in (*own_messages, *own_questions, *visits, *reports)}
    ids |= {row.session_id for row in backstage}
    ids |= {s.session_id for s in sanctions if s.session_id is not None}
    ids |= {row[1] for row in votes} | {row[0] for row in reactions} | set(facilitated)
    sessions = _sessions(db, ids)
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": _iso(now),
        "profile": profile(user),
        "messages": [_message(m, sessions[m.session_id]) for m in own_messages],
        "backstage_messages": [
            {
                "session": _session_ref(sessions.get(b.session_id), b.session_id),
                "created_at": _iso(b.created_at),
                "body": b.body,
            }
            for b in backstage
        ],
        "reactions": [
            {
                "session": _session_ref(sessions.get(sid), sid),
                "message_id": seq,
                "kind": kind,
                "created_at": _iso(at),
            }
            for sid, seq, kind, at in reactions
        ],
        "questions": [_question(q, sessions[q.session_id]) for q in own_questions],
        "votes": [
            {
                "session": _session_ref(sessions.get(sid), sid),
                "question_id": qid,
                "created_at": _iso(at),
            }
            for qid, sid, at in votes
        ],
        "reports_made": [
            {
                "session": _session_ref(sessions.get(r.session_id), r.session_id),
                "message_id": r.message.seq if r.message is not None else None,
                "question_id": r.question_id,
                "reason": r.reason,
                "note": r.note,
                "status": r.status,
                "created_at": _iso(r.created_at),
            }
            for r in reports
        ],
        "sanctions": [
            {
                "kind": s.kind,
                "session": _session_ref(sessions.get(s.session_id), s.session_id)
                if s.session_id is not None
                else None,
                "reason": s.reason,
                "created_at": _iso(s.created_at),
                "until": _iso(s.until),
                "lifted_at": _iso(s.lifted_at),
            }
            for s in sanctions
        ],
        "facilitated_sessions": [
            _session_ref(sessions.get(sid), sid) for sid in sorted(facilitated)
        ],
        "attendance": _attendance(visits, sessions, now),
        "certificates": [
            {
                "code": c.code,
                "session": _session_ref(sessions.get(c.session_id or 0), c.session_id),
                "session_title": c.session_title,
                "minutes_attended": c.minutes_attended,
                "issued_at": _iso(c.issued_at),
            }
            for c in db.scalars(
                select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
            )
        ],
        "agreement_acceptances": [
            {"version": a.version_id, "accepted_at": _iso(a.accepted_at)}
            for a in db.scalars(
                select(ConductAcceptance)
                .where(ConductAcceptance.user_id == user.id)
                .order_by(ConductAcceptance.version_id)
            )
        ],
        "resources_shared": resources.export(db, user),
        "introduction_choices": introductions.export(db, user),
        "directory_card": directory.export(db, user),
        **connections.export(db, user),  # connections, blocks, connection_reports_made
        "api_tokens": _tokens(db, user),
    }


def _tokens(db: Session, user: User) -> dict[str, Any]:
    created = list(
        db.scalars(
            select(ApiToken.created_at).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
        )
    )
    return {"count": len(created), "created_at": [_iso(at) for at in created]}
