"""The audit log: recording, listing newest first with filters, and CSV that is safe to open."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from chat.models import ChatSession, User
from chat.services import audit
from tests.helpers import START, make_session, make_user


@pytest.fixture
def writer(dbs: Session) -> User:
    return make_user(dbs, "writer@example.org", "Wren Writer")


@pytest.fixture
def logged(dbs: Session, organiser: User, guest: User, member: User, writer: User, room):
    """Four entries a minute apart: two in `room`, one in another session, one ban."""
    other = make_session(dbs, organiser, guest)
    at = [START + timedelta(minutes=i) for i in range(4)]
    audit.record(dbs, guest, "mute", at[0], subject=member, session=room, reason="Heated")
    audit.record(dbs, guest, "resolve_report", at[1], subject=writer, session=room,
                 target="report 1 (message 3)", reason="Handled")  # fmt: skip
    audit.record(dbs, organiser, "remove", at[2], subject=writer, session=other, reason="Spam")
    audit.record(dbs, organiser, "ban", at[3], subject=member, reason="Repeated harassment")
    dbs.commit()
    return other


def actions(rows) -> list[str]:
    return [e.action for e in rows]


def test_entries_are_newest_first_and_filter_by_session_and_person(
    dbs: Session, logged: ChatSession, room: ChatSession, guest: User, member: User, writer: User
) -> None:
    assert actions(audit.entries(dbs)) == ["ban", "remove", "resolve_report", "mute"]
    assert actions(audit.entries(dbs, session_id=room.id)) == ["resolve_report", "mute"]
    assert actions(audit.entries(dbs, person_id=member.id)) == ["ban", "mute"]  # as subject
    assert actions(audit.entries(dbs, person_id=guest.id)) == ["resolve_report", "mute"]  # actor
    both = audit.entries(dbs, session_id=logged.id, person_id=writer.id)
    assert actions(both) == ["remove"]
    assert audit.entries(dbs, session_id=logged.id, person_id=guest.id) == []


def test_entries_page_with_limit_and_offset(dbs: Session, logged: ChatSession) -> None:
    assert actions(audit.entries(dbs, limit=2)) == ["ban", "remove"]
    assert actions(audit.entries(dbs, limit=2, offset=2)) == ["resolve_report", "mute"]
    assert audit.entries(dbs, limit=2, offset=4) == []


def test_people_and_sessions_for_the_filters(
    dbs: Session, logged: ChatSession, room: ChatSession, guest: User, member: User,
    organiser: User, writer: User,
) -> None:  # fmt: skip
    assert audit.people(dbs) == [
        (guest.id, "Dr Guest"), (organiser.id, "Olu"), (member.id, "Tam"),
        (writer.id, "Wren Writer"),
    ]  # fmt: skip
    assert {s.id for s in audit.sessions(dbs)} == {room.id, logged.id}


def test_csv_has_a_header_every_entry_and_session_titles(
    dbs: Session, logged: ChatSession, room: ChatSession
) -> None:
    text = audit.to_csv(audit.entries(dbs), {room.id: "Endings"})
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(audit.CSV_COLUMNS)
    assert [r["action"] for r in rows] == ["ban", "remove", "resolve_report", "mute"]
    report = rows[2]
    assert (report["actor"], report["subject"], report["session"], report["target"]) == (
        "Dr Guest", "Wren Writer", "Endings", "report 1 (message 3)",
    )  # fmt: skip
    assert report["created_at"] == (START + timedelta(minutes=1)).isoformat()
    assert rows[0]["session_id"] == "" and rows[0]["session"] == ""


@pytest.mark.parametrize(
    ("reason", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindent", "'\tindent"),
        ('a = b, said "they"\nthen left', 'a = b, said "they"\nthen left'),
        ("", ""),
    ],
)
def test_csv_neutralises_formulas_and_quotes_properly(
    dbs: Session, guest: User, member: User, room: ChatSession, reason: str, cell: str
) -> None:
    audit.record(dbs, guest, "mute", START, subject=member, session=room, reason=reason)
    dbs.commit()
    text = audit.to_csv(audit.entries(dbs))
    assert "\r\n" in text  # RFC 4180 line ends
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row["reason"] == cell


def test_a_formula_in_a_name_is_neutralised_too(dbs: Session, guest: User, room) -> None:
    villain = make_user(dbs, "v@example.org", "=cmd|' /C calc'!A0")
    audit.record(dbs, guest, "mute", START, subject=villain, session=room)
    dbs.commit()
    (row,) = list(csv.DictReader(io.StringIO(audit.to_csv(audit.entries(dbs)), newline="")))
    assert row["subject"] == "'=cmd|' /C calc'!A0"
