"""Attendance: who was in a session's room and for how long, the staff's attendance table,
and CPD certificates of attendance that anyone can verify by their code.

Each connection's time in a room is a `Visit`, opened by `arrive` and closed by `depart`.
A member's time present is the union of their visits (two tabs count once, reconnects
add up), clipped to the session's live time: lobby time before the start and time after
the end do not count toward CPD. A visit still open (its server restarted before it could
close it) counts until now or the session's end, whichever is earlier.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden
from chat.models import Certificate, ChatSession, Message, Question, User, UTCDateTime, Visit
from chat.services import clock, roles, rooms
from chat.services.pdf import Document
from chat.services.spreadsheet import write_csv

Interval = tuple[datetime, datetime]

# Crockford's base 32: no I, L, O or U, so a code read aloud or typed is hard to get wrong.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_PREFIX = "TT"
CODE_LENGTH = 8  # 40 random bits
_LOOKALIKES = str.maketrans("OIL", "011")
CSV_COLUMNS = ("name", "minutes_present", "share_percent", "messages", "questions")
FORMER_MEMBER = "Former member"


def present_time(intervals: Iterable[Interval], window: Interval) -> timedelta:
    """How much of `window` the union of `intervals` covers: overlaps count once."""
    start, end = window
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals)
    total = timedelta(0)
    run: Interval | None = None
    for a, b in clipped:
        if b <= a:
            continue
        if run is None or a > run[1]:
            if run is not None:
                total += run[1] - run[0]
            run = (a, b)
        else:
            run = (run[0], max(run[1], b))
    if run is not None:
        total += run[1] - run[0]
    return total


# Run on every join: composed once, bound at each call.
_ALREADY_OPEN = (
    select(Visit.id)
    .where(
        Visit.session_id == bindparam("session_id"),
        Visit.sid == bindparam("sid"),
        Visit.left_at.is_(None),
    )
    .exists()
)
_ARRIVE = insert(Visit).from_select(
    ["session_id", "user_id", "sid", "joined_at"],
    select(
        bindparam("session_id", type_=Integer()),
        bindparam("user_id", type_=Integer()),
        bindparam("sid", type_=String()),
        bindparam("now", type_=UTCDateTime()),
    ).where(~_ALREADY_OPEN),
)


def arrive(db: Session, user: User, session: ChatSession, sid: str, now: datetime) -> None:
    """Open a visit for this connection, unless it already has one open in the session
    (clients re-join on the same connection when roles change). One INSERT ... SELECT."""
    if session.rehearsal_of_id is not None:
        return  # a rehearsal is practice, not attendance
    values = {"session_id": session.id, "user_id": user.id, "sid": sid, "now": now}
    db.connection().execute(_ARRIVE, values)  # the session would read values as rows
    db.commit()


def depart(
    db: Session,
    sid: str,
    now: datetime,
    session_id: int | None = None,
    user_id: int | None = None,
) -> None:
    """Close this connection's open visits: in one session, or everywhere (a disconnect);
    `user_id`, when known, narrows it to that member's visits."""
    query = update(Visit).where(Visit.sid == sid, Visit.left_at.is_(None))
    if session_id is not None:
        query = query.where(Visit.session_id == session_id)
    if user_id is not None:
        query = query.where(Visit.user_id == user_id)
    db.execute(query.values(left_at=now).execution_options(synchronize_session=False))
    db.commit()


def live_window(session: ChatSession) -> Interval:
    """The time that counts toward attendance: from going live to the end."""
    return rooms.live_from(session), rooms.ends_at(session)


def _time_present(
    db: Session, session: ChatSession, now: datetime, user_id: int | None = None
) -> dict[int, timedelta]:
    """Each visitor's time present so far (or only `user_id`'s)."""
    start, end = live_window(session)
    counted = (start, max(start, min(now, end)))  # nothing counts beyond now
    query = select(Visit.user_id, Visit.joined_at, Visit.left_at).where(
        Visit.session_id == session.id
    )
    if user_id is not None:
        query = query.where(Visit.user_id == user_id)
    visits: dict[int, list[Interval]] = defaultdict(list)
    for visitor, joined_at, left_at in db.execute(query):
        visits[visitor].append((joined_at, left_at if left_at is not None else counted[1]))
    return {visitor: present_time(spans, counted) for visitor, spans in visits.items()}


def _whole_minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def _share_percent(present: timedelta, length: timedelta) -> float:
    """The share of the session present, rounded down to a tenth of a percent, so a
    figure shown as 75.0 really is at least 75%."""
    if length <= timedelta(0):
        return 0.0
    return (present * 1000 // length) / 10


@dataclass(frozen=True)
class Standing:
    """A member's attendance of one session, measured against the certificate's share."""

    present: timedelta
    length: timedelta  # the session's live time
    required_percent: int
    ended: bool

    @property
    def minutes(self) -> int:
        """Whole minutes present (rounded down)."""
        return _whole_minutes(self.present)

    @property
    def length_minutes(self) -> int:
        """The session's length in whole minutes."""
        return _whole_minutes(self.length)

    @property
    def share_percent(self) -> float:
        """The share of the session present, like 74.9."""
        return _share_percent(self.present, self.length)

    @property
    def eligible(self) -> bool:
        """Present for at least the required share of a session that has ended (exact)."""
        if not self.ended or self.length <= timedelta(0):
            return False
        return self.present * 100 >= self.length * self.required_percent


def _took_place(session: ChatSession) -> bool:
    return not session.cancelled and session.rehearsal_of_id is None


def standing(db: Session, user: User, session: ChatSession, now: datetime, share: int) -> Standing:
    """`user`'s attendance of `session` so far, against `share` percent of it."""
    start, end = live_window(session)
    present = _time_present(db, session, now, user.id).get(user.id, timedelta(0))
    ended = _took_place(session) and now >= end
    return Standing(present, max(end - start, timedelta(0)), share, ended)


def eligible(db: Session, user: User, session: ChatSession, now: datetime, share: int) -> bool:
    """True once the session has ended if `user` was present for `share` percent of it."""
    return standing(db, user, session, now, share).eligible


@dataclass(frozen=True)
class Row:
    """One person in the attendance table."""

    user_id: int
    name: str
    minutes: int
    share_percent: float
    messages: int
    questions: int


@dataclass(frozen=True)
class Table:
    """A session's attendance: one row per person who was there, sorted by name."""

    title: str
    live: Interval  # when it was live; pages show it in the viewer's zone
    length_minutes: int
    rows: tuple[Row, ...]


def _messages_written(db: Session, session: ChatSession) -> dict[int, int]:
    """Messages each person wrote in the session (not prompts, announcements or deleted)."""
    query = (
        select(Message.author_id, func.count())
        .where(
            Message.session_id == session.id,
            Message.kind == "message",
            Message.deleted_at.is_(None),
        )
        .group_by(Message.author_id)
    )
    return {int(who): int(n) for who, n in db.execute(query)}


def _questions_asked(db: Session, session: ChatSession) -> dict[int, int]:
    """Questions each person put in the session's queue, whatever became of them."""
    query = (
        select(Question.author_id, func.count())
        .where(Question.session_id == session.id)
        .group_by(Question.author_id)
    )
    return {int(who): int(n) for who, n in db.execute(query)}


def table(db: Session, actor: User, session: ChatSession, now: datetime) -> Table:
    """The attendance table, for the session's facilitators and organisers: each person's
    minutes present, share of the session, messages written and questions asked."""
    roles.require_staff(actor, session)
    present = _time_present(db, session, now)
    written = _messages_written(db, session)
    asked = _questions_asked(db, session)
    people = set(present) | set(written) | set(asked)
    users = db.scalars(select(User).where(User.id.in_(people))).all() if people else []
    start, end = live_window(session)
    length = max(end - start, timedelta(0))
    rows = [
        Row(
            user_id=user.id,
            name=FORMER_MEMBER if user.deleted_at is not None else user.display_name,
            minutes=_whole_minutes(present.get(user.id, timedelta(0))),
            share_percent=_share_percent(present.get(user.id, timedelta(0)), length),
            messages=written.get(user.id, 0),
            questions=asked.get(user.id, 0),
        )
        for user in users
    ]
    rows.sort(key=lambda row: (row.name.casefold(), row.user_id))
    return Table(session.title, (start, end), _whole_minutes(length), tuple(rows))


def table_csv(attendance: Table) -> str:
    """The attendance table as spreadsheet-safe CSV."""
    return write_csv(
        CSV_COLUMNS,
        (
            {
                "name": row.name,
                "minutes_present": row.minutes,
                "share_percent": f"{row.share_percent:.1f}",
                "messages": row.messages,
                "questions": row.questions,
            }
            for row in attendance.rows
        ),
    )


def describe_when(session: ChatSession) -> str:
    """The session's live time in its zone, like "Tue 1 Dec 2026, 20:00 to 21:00 GMT"."""
    tz = clock.zone(session.time_zone)
    start, end = (moment.astimezone(tz) for moment in live_window(session))
    return clock.describe_span(start, end)


def new_code() -> str:
    """A fresh verification code like "TT-7K3M-9QX2"."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{CODE_PREFIX}-{chars[:4]}-{chars[4:]}"


def normalise_code(text: str) -> str | None:
    """A code as typed (any case, spaces or dashes, with or without "TT", O for 0, I or L
    for 1) in its printed form, or None if it cannot be one."""
    cleaned = re.sub(r"[^0-9A-Za-z]", "", (text or "")[:100]).upper()
    if len(cleaned) == len(CODE_PREFIX) + CODE_LENGTH and cleaned.startswith(CODE_PREFIX):
        cleaned = cleaned[len(CODE_PREFIX) :]
    cleaned = cleaned.translate(_LOOKALIKES)
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return f"{CODE_PREFIX}-{cleaned[:4]}-{cleaned[4:]}"


def _existing(db: Session, user: User, session: ChatSession) -> Certificate | None:
    return db.scalars(
        select(Certificate).where(
            Certificate.session_id == session.id, Certificate.user_id == user.id
        )
    ).first()


def issue_certificate(
    db: Session, user: User, session: ChatSession, now: datetime, share: int
) -> Certificate:
    """`user`'s certificate for `session`, issued on the first call and the same one after.

    Refused (conflict) before the session ends, and (forbidden) to anyone present for
    less than `share` percent of it; the refusal says how long they were present.
    """
    roles.require_view(user, session)
    if not _took_place(session):
        raise Forbidden("Certificates are given for sessions that took place.")
    if now < rooms.ends_at(session):
        raise ChatError("Certificates are available once the session has ended.", "conflict")
    issued = _existing(db, user, session)
    if issued is not None:
        return issued
    measured = standing(db, user, session, now, share)
    if not measured.eligible:
        raise Forbidden(
            f"You were present for {measured.minutes} of {measured.length_minutes} minutes "
            f"({measured.share_percent:.1f}%); a certificate of attendance needs {share}%."
        )
    facilitators = ", ".join(f.display_name for f in session.facilitators)
    for _ in range(5):  # a clash of random codes is all but impossible; retry if it happens
        certificate = Certificate(
            code=new_code(),
            session_id=session.id,
            user_id=user.id,
            name=user.display_name,
            session_title=session.title,
            facilitators=facilitators[:300],
            session_date=describe_when(session)[:80],
            minutes_attended=measured.minutes,
            issued_at=now,
        )
        db.add(certificate)
        try:
            db.commit()
            return certificate
        except IntegrityError:
            db.rollback()
            issued = _existing(db, user, session)  # another tab asked at the same moment
            if issued is not None:
                return issued
    raise ChatError("Could not issue a certificate; please try again.", "unavailable")


def verify(db: Session, code: str) -> Certificate | None:
    """The certificate with this code (typed in any reasonable way), or None."""
    printed = normalise_code(code)
    if printed is None:
        return None
    return db.scalars(select(Certificate).where(Certificate.code == printed)).first()


def issued_on(db: Session, certificate: Certificate) -> str:
    """The date of issue, like "1 Dec 2026", in the session's zone (UTC once it is gone)."""
    session = db.get(ChatSession, certificate.session_id) if certificate.session_id else None
    tz = clock.zone(session.time_zone) if session is not None else ZoneInfo("UTC")
    issued = certificate.issued_at.astimezone(tz)
    return f"{issued.day} {issued:%b %Y}"


def certificate_pdf(certificate: Certificate, verify_url: str, issued: str) -> bytes:
    """The certificate as a PDF: who attended what, when and for how long, and where
    anyone can check its code."""
    doc = Document(f"Certificate of attendance: {certificate.name}")
    doc.heading("Certificate of attendance", size=24)
    doc.paragraph("This is to certify that")
    doc.heading(certificate.name, size=20)
    doc.paragraph("attended the #TraineeTalk session")
    doc.heading(certificate.session_title, size=16)
    if certificate.facilitators:
        doc.paragraph(f"facilitated by {certificate.facilitators}")
    doc.paragraph(f"on {certificate.session_date}")
    doc.paragraph(f"Minutes attended: {certificate.minutes_attended}", bold=True)
    doc.ln(6)
    doc.paragraph(f"Verification code: {certificate.code}", bold=True)
    doc.paragraph(f"Check this certificate at {verify_url}")
    doc.paragraph(f"Issued {issued}")
    return doc.to_bytes()
