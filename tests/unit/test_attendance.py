"""Attendance: the interval maths, recording visits, the staff's table, eligibility for a
CPD certificate at its boundaries, issuing once and verifying codes typed any which way."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.config import ConfigError, from_environment
from chat.errors import ChatError, Forbidden
from chat.models import Certificate, ChatSession, User, Visit
from chat.services import attendance, questions
from tests.helpers import make_session, make_user
from tests.unit.builders import LOBBY, live, send

T0 = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # the room's start (London is on GMT)
WINDOW = (T0, T0 + timedelta(minutes=60))


def m(minutes: float) -> datetime:
    """`minutes` after 20:00 on the room's day."""
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("visits", "minutes"),
    [
        pytest.param([], 0, id="no visits"),
        pytest.param([(10, 40)], 30, id="one visit"),
        pytest.param([(0, 30), (10, 40)], 40, id="two tabs overlapping count once"),
        pytest.param([(0, 60), (5, 10), (20, 50)], 60, id="tabs inside a longer visit"),
        pytest.param([(0, 20), (25, 45)], 40, id="a reconnect's gap is not counted"),
        pytest.param([(0, 20), (20, 45)], 45, id="visits that touch add up"),
        pytest.param([(40, 50), (0, 10), (5, 15)], 25, id="in any order"),
        pytest.param([(-15, 10)], 10, id="lobby time before the start is clipped"),
        pytest.param([(50, 75)], 10, id="time after the end is clipped"),
        pytest.param([(-30, -5), (61, 90)], 0, id="wholly outside the session"),
        pytest.param([(-10, 90)], 60, id="longer than the session"),
    ],
)
def test_present_time_is_the_union_of_visits_within_the_session(
    visits: list[tuple[float, float]], minutes: float
) -> None:
    spans = [(m(a), m(b)) for a, b in visits]
    assert attendance.present_time(spans, WINDOW) == timedelta(minutes=minutes)


def visit(
    dbs: Session, user: User, room: ChatSession, start: float, end: float | None, sid: str = ""
) -> None:
    """A visit from `start` to `end` minutes after the room's start (None: still open)."""
    dbs.add(
        Visit(
            session_id=room.id,
            user_id=user.id,
            sid=sid or uuid.uuid4().hex,
            joined_at=m(start),
            left_at=m(end) if end is not None else None,
        )
    )
    dbs.commit()


def open_visits(dbs: Session) -> list[tuple[int, str]]:
    dbs.expire_all()
    rows = dbs.execute(select(Visit.session_id, Visit.sid).where(Visit.left_at.is_(None)))
    return sorted((session_id, sid) for session_id, sid in rows)


def test_a_rejoin_on_the_same_connection_opens_no_second_visit(
    dbs: Session, member: User, room: ChatSession
) -> None:
    attendance.arrive(dbs, member, room, "sid-1", m(1))
    attendance.arrive(dbs, member, room, "sid-1", m(3))  # roles changed: the client re-joins
    attendance.arrive(dbs, member, room, "sid-2", m(4))  # a second tab
    assert open_visits(dbs) == [(room.id, "sid-1"), (room.id, "sid-2")]
    attendance.depart(dbs, "sid-1", m(10), session_id=room.id)
    attendance.arrive(dbs, member, room, "sid-1", m(12))  # back after leaving: a new visit
    visits = dbs.scalars(select(Visit).where(Visit.sid == "sid-1").order_by(Visit.id)).all()
    assert [(v.joined_at, v.left_at) for v in visits] == [(m(1), m(10)), (m(12), None)]


def test_depart_closes_one_sessions_visits_or_all_of_a_connections(
    dbs: Session, member: User, room: ChatSession, organiser: User
) -> None:
    other = make_session(dbs, organiser)
    attendance.arrive(dbs, member, room, "sid-1", m(1))
    attendance.arrive(dbs, member, other, "sid-1", m(1))
    attendance.arrive(dbs, member, room, "sid-2", m(1))
    attendance.depart(dbs, "sid-1", m(5), session_id=other.id)  # leave one room
    assert open_visits(dbs) == [(room.id, "sid-1"), (room.id, "sid-2")]
    attendance.depart(dbs, "sid-1", m(6), user_id=member.id)  # the connection dropped
    assert open_visits(dbs) == [(room.id, "sid-2")]


def test_a_rehearsal_records_no_attendance(
    dbs: Session, guest: User, organiser: User, room: ChatSession
) -> None:
    room.rehearsal_of_id = make_session(dbs, organiser).id
    dbs.commit()
    attendance.arrive(dbs, guest, room, "sid-1", m(1))
    assert open_visits(dbs) == []


def test_an_open_visit_counts_until_now_or_the_end(
    dbs: Session, member: User, room: ChatSession
) -> None:
    visit(dbs, member, room, -5, None)  # its server restarted: never closed
    assert attendance.standing(dbs, member, room, m(20), 75).present == timedelta(minutes=20)
    assert attendance.standing(dbs, member, room, m(90), 75).present == timedelta(minutes=60)


SHORT = timedelta(seconds=3.6)  # 74.9% of 60 minutes is 44 min 56.4 s


@pytest.mark.parametrize(
    ("present", "share", "shown", "eligible"),
    [
        pytest.param(timedelta(minutes=45), 75, 75.0, True, id="exactly 75%"),
        pytest.param(timedelta(minutes=45) - SHORT, 75, 74.9, False, id="74.9%"),
        pytest.param(timedelta(minutes=45) - timedelta(seconds=1), 75, 74.9, False, id="1s short"),
        pytest.param(timedelta(minutes=60), 75, 100.0, True, id="all of it"),
        pytest.param(timedelta(minutes=30), 50, 50.0, True, id="a lower share, set by config"),
        pytest.param(timedelta(0), 75, 0.0, False, id="never came"),
    ],
)
def test_eligibility_boundaries(
    dbs: Session,
    member: User,
    room: ChatSession,
    present: timedelta,
    share: int,
    shown: float,
    eligible: bool,
) -> None:
    if present:
        dbs.add(Visit(session_id=room.id, user_id=member.id, sid="s", joined_at=m(0),
                      left_at=m(0) + present))  # fmt: skip
        dbs.commit()
    standing = attendance.standing(dbs, member, room, m(61), share)
    assert standing.share_percent == shown
    assert standing.eligible is eligible
    assert attendance.eligible(dbs, member, room, m(61), share) is eligible
    # and never while the session is still on, however long they stayed
    assert attendance.eligible(dbs, member, room, m(59), share) is False


def test_the_share_is_of_the_session_as_extended_and_lobby_time_does_not_count(
    dbs: Session, member: User, room: ChatSession
) -> None:
    visit(dbs, member, room, -14, 50)  # 64 minutes on the page, 50 of them live
    room.extra_minutes = 10  # the session ran to 21:10: 50 of 70 minutes is 71.4%
    dbs.commit()
    standing = attendance.standing(dbs, member, room, m(80), 75)
    assert (standing.minutes, standing.length_minutes, standing.share_percent) == (50, 70, 71.4)
    assert not standing.eligible
    room.extra_minutes = 0
    room.opened_at = m(-10)  # opened early: the live time starts at 19:50
    dbs.commit()
    standing = attendance.standing(dbs, member, room, m(80), 75)
    assert (standing.minutes, standing.length_minutes) == (60, 70)
    assert standing.eligible


@pytest.mark.parametrize(("raw", "share"), [(None, 75), ("60", 60), ("100", 100), ("1", 1)])
def test_the_certificate_share_comes_from_the_environment(
    tmp_path: Path, raw: str | None, share: int
) -> None:
    env = {"SECRET_KEY": "x"} | ({"CHAT_CERTIFICATE_SHARE": raw} if raw else {})
    assert from_environment(tmp_path, env=env)["CHAT_CERTIFICATE_SHARE"] == share


@pytest.mark.parametrize("raw", ["0", "101", "-5", "75%"])
def test_a_certificate_share_that_is_not_a_percentage_is_refused(tmp_path: Path, raw: str) -> None:
    with pytest.raises(ConfigError, match="CHAT_CERTIFICATE_SHARE"):
        from_environment(tmp_path, env={"SECRET_KEY": "x", "CHAT_CERTIFICATE_SHARE": raw})


def test_a_certificate_is_refused_before_the_end_and_below_the_share(
    dbs: Session, member: User, room: ChatSession
) -> None:
    visit(dbs, member, room, 0, 44)
    with pytest.raises(ChatError) as early:
        attendance.issue_certificate(dbs, member, room, m(59), 75)
    assert early.value.code == "conflict"
    with pytest.raises(Forbidden) as short:
        attendance.issue_certificate(dbs, member, room, m(61), 75)
    assert "present for 44 of 60 minutes (73.3%)" in short.value.message
    assert "needs 75%" in short.value.message
    assert dbs.scalars(select(Certificate)).all() == []


def test_a_cancelled_session_gives_no_certificate(
    dbs: Session, member: User, organiser: User, room: ChatSession
) -> None:
    visit(dbs, member, room, 0, 60)
    room.cancelled = True
    dbs.commit()
    with pytest.raises(Forbidden):
        attendance.issue_certificate(dbs, member, room, m(61), 75)
    with pytest.raises(Forbidden):  # not even for staff, who may still see the room
        attendance.issue_certificate(dbs, organiser, room, m(61), 75)


def test_a_certificate_is_issued_once_and_verifies(
    dbs: Session, member: User, room: ChatSession
) -> None:
    visit(dbs, member, room, -3, 30, sid="a")
    visit(dbs, member, room, 20, 50, sid="b")  # a second tab
    certificate = attendance.issue_certificate(dbs, member, room, m(70), 75)
    assert (
        certificate.name,
        certificate.session_title,
        certificate.facilitators,
        certificate.session_date,
        certificate.minutes_attended,
        certificate.issued_at,
    ) == ("Tam", "Endings", "Dr Guest", "Tue 1 Dec 2026, 20:00 to 21:00 GMT", 50, m(70))
    assert attendance.normalise_code(certificate.code) == certificate.code
    again = attendance.issue_certificate(dbs, member, room, m(200), 75)
    assert again.code == certificate.code
    assert len(dbs.scalars(select(Certificate)).all()) == 1
    # What was issued stays issued, even if the account is renamed later.
    member.display_name = "Tam Renamed"
    dbs.commit()
    found = attendance.verify(dbs, certificate.code.lower().replace("-", " "))
    assert found is not None and found.name == "Tam"
    assert attendance.issued_on(dbs, certificate) == "1 Dec 2026"


def test_codes_are_easy_to_read_and_distinct() -> None:
    codes = {attendance.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        prefix, first, second = code.split("-")
        assert prefix == "TT" and len(first) == len(second) == 4
        assert set(first + second) <= set(attendance.CODE_ALPHABET)
        assert not set(first + second) & set("ILOU")


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("TT-7K3M-9QX2", "TT-7K3M-9QX2"),
        ("tt-7k3m-9qx2", "TT-7K3M-9QX2"),
        ("  TT 7K3M 9QX2 ", "TT-7K3M-9QX2"),
        ("7K3M9QX2", "TT-7K3M-9QX2"),
        ("7k3m\u20139qx2", "TT-7K3M-9QX2"),  # an en dash from a word processor
        ("TT-7K3M-9QXZ", "TT-7K3M-9QXZ"),
        ("TT-0I1L-OOAB", "TT-0111-00AB"),  # O for 0, I and L for 1
        ("TT-7K3M-9QX", None),
        ("TT-7K3M-9QX22", None),
        ("TT-7K3M-9QXU", None),  # U is not in the alphabet
        ("", None),
        ("x" * 10_000, None),
    ],
)
def test_codes_are_normalised_from_what_people_type(typed: str, printed: str | None) -> None:
    assert attendance.normalise_code(typed) == printed


def test_verify_finds_nothing_for_an_unknown_or_malformed_code(
    dbs: Session, member: User, room: ChatSession
) -> None:
    visit(dbs, member, room, 0, 60)
    issued = attendance.issue_certificate(dbs, member, room, m(61), 75)
    unknown = "TT-0000-0000" if issued.code != "TT-0000-0000" else "TT-1111-1111"
    assert attendance.verify(dbs, unknown) is None
    assert attendance.verify(dbs, "not a code") is None
    assert attendance.verify(dbs, f" {issued.code.lower()} ") is issued


def test_the_table_is_for_staff_and_sums_each_persons_time(
    dbs: Session, member: User, guest: User, organiser: User, room: ChatSession
) -> None:
    anna = make_user(dbs, "anna@example.org", "anna Early")
    gone = make_user(dbs, "gone@example.org", "Zed Gone")
    visit(dbs, guest, room, -10, 65)
    visit(dbs, member, room, 0, 20, sid="t1")
    visit(dbs, member, room, 10, 40, sid="t2")  # a second tab: counted once
    visit(dbs, member, room, 50, 55)  # after a reconnect
    visit(dbs, anna, room, 0, 45)
    visit(dbs, gone, room, 30, None)  # still open at 20:45
    gone.deleted_at = m(100)
    dbs.commit()
    send(dbs, member, room, "Endings can be gentle", now=live(room, 5))
    send(dbs, member, room, "Or abrupt", now=live(room, 6))
    send(dbs, anna, room, "Hello all", now=live(room, 7))
    questions.ask(dbs, member, room, "How do we end well?", False, str(uuid.uuid4()), m(8), LOBBY)
    with pytest.raises(Forbidden):
        attendance.table(dbs, member, room, m(45))
    for staff in (guest, organiser):
        table = attendance.table(dbs, staff, room, m(45))
        assert (table.title, table.live, table.length_minutes) == (
            "Endings",
            (room.starts_at, room.starts_at + timedelta(hours=1)),
            60,
        )
        rows = [(r.name, r.minutes, r.share_percent, r.messages, r.questions) for r in table.rows]
        assert rows == [
            ("anna Early", 45, 75.0, 1, 0),
            ("Dr Guest", 45, 75.0, 0, 0),  # so far: it is 20:45
            ("Former member", 15, 25.0, 0, 0),
            ("Tam", 40, 66.6, 2, 1),  # rounded down: 66.67% is not yet 66.7%
        ]
    after = attendance.table(dbs, organiser, room, m(120))
    assert [(r.name, r.minutes) for r in after.rows] == [
        ("anna Early", 45),
        ("Dr Guest", 60),
        ("Former member", 30),
        ("Tam", 45),
    ]
    parsed = list(csv.DictReader(io.StringIO(attendance.table_csv(after))))
    assert parsed[0] == {
        "name": "anna Early",
        "minutes_present": "45",
        "share_percent": "75.0",
        "messages": "1",
        "questions": "0",
    }
    assert [row["name"] for row in parsed] == [r.name for r in after.rows]


def test_the_csv_never_hands_a_spreadsheet_a_formula(
    dbs: Session, organiser: User, room: ChatSession
) -> None:
    sly = make_user(dbs, "sly@example.org", "=HYPERLINK(1)")
    visit(dbs, sly, room, 0, 10)
    parsed = list(csv.reader(io.StringIO(attendance.table_csv(attendance.table(
        dbs, organiser, room, m(61))))))  # fmt: skip
    assert parsed[1][0] == "'=HYPERLINK(1)"


def test_the_certificate_pdf_opens_and_says_what_it_certifies(
    dbs: Session, member: User, room: ChatSession
) -> None:
    member.display_name = "Zoë Łukaszewicz"
    dbs.commit()
    visit(dbs, member, room, 0, 58)
    certificate = attendance.issue_certificate(dbs, member, room, m(61), 75)
    url = f"https://traineetalk.test/certificates/verify?code={certificate.code}"
    pdf = attendance.certificate_pdf(certificate, url, "1 Dec 2026")
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in (
        "Certificate of attendance",
        "Zoë Łukaszewicz",
        "attended the #TraineeTalk session",
        "Endings",
        "facilitated by Dr Guest",
        "on Tue 1 Dec 2026, 20:00 to 21:00 GMT",
        "Minutes attended: 58",
        f"Verification code: {certificate.code}",
        url,
        "Issued 1 Dec 2026",
    ):
        assert expected in text, expected
    assert reader.metadata.title == "Certificate of attendance: Zoë Łukaszewicz"
