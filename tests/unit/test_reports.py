"""Reports: who may file one and about what, the staff queue's order, resolving, audit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import ChatError
from chat.events import OrganiserReport, ReportChanged
from chat.models import AuditEntry, ChatSession, Report, User
from chat.services import messages, questions, reports
from tests.helpers import make_session, make_user
from tests.unit.builders import LOBBY, live, send


@pytest.fixture
def writer(dbs: Session) -> User:
    """The member whose words are reported."""
    return make_user(dbs, "writer@example.org", "Wren Writer")


@pytest.fixture
def said(dbs: Session, writer: User, room: ChatSession) -> dict:
    return send(dbs, writer, room, "Something hurtful about another trainee")


def file(dbs: Session, actor: User, room: ChatSession, **kw):
    kw.setdefault("reason", "harassment")
    kw.setdefault("note", "")
    kw.setdefault("now", live(room, kw.pop("minute", 10)))
    return reports.file_report(dbs, actor, room, **kw)


def ask(dbs: Session, user: User, room: ChatSession, anonymous: bool = False) -> dict:
    asked, _ = questions.ask(
        dbs, user, room, "Why do endings hurt?", anonymous, str(uuid.uuid4()), live(room), LOBBY
    )
    return asked


def test_a_member_reports_a_message_and_staff_hear_it_with_the_reporter(
    dbs: Session, member: User, writer: User, room: ChatSession, said: dict
) -> None:
    report_id, events = file(dbs, member, room, message_id=said["id"], note="Unkind")
    assert [type(e) for e in events] == [ReportChanged]
    body = events[0].payload
    assert body["id"] == report_id and body["session_id"] == room.id
    assert body["reporter"] == {"id": member.id, "name": "Tam"}
    assert body["reported"] == {"id": writer.id, "name": "Wren Writer"}
    assert body["target"] == {"kind": "message", "id": said["id"], "removed": False}
    assert body["excerpt"] == "Something hurtful about another trainee"
    assert (body["reason"], body["note"], body["urgent"], body["status"]) == (
        "harassment", "Unkind", False, "open",
    )  # fmt: skip


def test_a_question_can_be_reported_even_an_anonymous_one(
    dbs: Session, member: User, writer: User, room: ChatSession
) -> None:
    asked = ask(dbs, writer, room, anonymous=True)
    _, events = file(dbs, member, room, question_id=asked["id"], reason="spam")
    body = events[0].payload
    assert body["target"] == {"kind": "question", "id": asked["id"], "removed": False}
    assert body["reported"]["id"] == writer.id  # staff see who asked anyway


def test_safeguarding_is_urgent_and_sorted_first(
    dbs: Session, member: User, writer: User, organiser: User, room: ChatSession, said: dict
) -> None:
    other = send(dbs, writer, room, "Another message")
    third = make_user(dbs, "third@example.org", "Third")
    file(dbs, member, room, message_id=said["id"], minute=1)
    file(dbs, third, room, message_id=said["id"], reason="spam", minute=2)
    urgent_id, events = file(dbs, member, room, message_id=other["id"],
                             reason="safeguarding", minute=3)  # fmt: skip
    assert events[0].payload["urgent"] is True
    queue = reports.open_reports(dbs, room, organiser)
    assert queue[0]["id"] == urgent_id
    assert [r["created_at"] for r in queue[1:]] == sorted(r["created_at"] for r in queue[1:])
    assert [r["urgent"] for r in queue] == [True, False, False]
    assert reports.open_by_session(dbs, organiser) == [(room, 3, 1)]


def test_reporting_again_while_open_returns_the_same_report(
    dbs: Session, member: User, room: ChatSession, said: dict, guest: User
) -> None:
    first, events = file(dbs, member, room, message_id=said["id"])
    again, repeat = file(dbs, member, room, message_id=said["id"], reason="other")
    assert (again, repeat) == (first, [])
    assert len(dbs.scalars(select(Report)).all()) == 1
    reports.resolve(dbs, guest, room, first, "resolved", "", live(room, 20))
    later, events = file(dbs, member, room, message_id=said["id"])
    assert later != first and events  # once closed, a new report is a new report


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"reason": "rude"}, "invalid"),
        ({"reason": ""}, "invalid"),
        ({"note": "x" * 1001}, "invalid"),
        ({"message_id": None}, "invalid"),  # neither message nor question
        ({"question_id": 1}, "invalid"),  # both
        ({"message_id": 999}, "not_found"),
    ],
)
def test_bad_reports_are_refused(
    dbs: Session, member: User, room: ChatSession, said: dict, change: dict, code: str
) -> None:
    kw = {"message_id": said["id"], **change}
    with pytest.raises(ChatError) as refused:
        file(dbs, member, room, **kw)
    assert refused.value.code == code
    assert dbs.scalars(select(Report)).all() == []


def test_a_note_of_exactly_the_limit_is_kept(
    dbs: Session, member: User, room: ChatSession, said: dict
) -> None:
    _, events = file(dbs, member, room, message_id=said["id"], note="n" * reports.MAX_NOTE)
    assert len(events[0].payload["note"]) == reports.MAX_NOTE


def test_you_cannot_report_yourself_or_what_you_cannot_see(
    dbs: Session, member: User, writer: User, organiser: User, room: ChatSession, said: dict
) -> None:
    with pytest.raises(ChatError) as own:
        file(dbs, writer, room, message_id=said["id"])
    assert own.value.code == "forbidden"
    messages.delete_message(dbs, writer, room, said["id"], live(room, 6))
    with pytest.raises(ChatError) as gone:
        file(dbs, member, room, message_id=said["id"])
    assert gone.value.code == "not_found"
    dismissed = ask(dbs, writer, room)
    questions.moderate(dbs, organiser, room, dismissed["id"], "dismiss", live(room))
    with pytest.raises(ChatError) as hidden:  # a dismissed question is not the member's to see
        file(dbs, member, room, question_id=dismissed["id"])
    assert hidden.value.code == "not_found"
    elsewhere = make_session(dbs, organiser)
    with pytest.raises(ChatError) as wrong_room:  # message ids are per session
        file(dbs, member, elsewhere, message_id=said["id"])
    assert wrong_room.value.code == "not_found"


def test_staff_resolve_with_an_audit_entry(
    dbs: Session, member: User, writer: User, guest: User, room: ChatSession, said: dict
) -> None:
    report_id, _ = file(dbs, member, room, message_id=said["id"])
    body, events = reports.resolve(
        dbs, guest, room, report_id, "resolved", "Spoke to them", live(room, 20)
    )
    assert body["status"] == "resolved" and body["resolution"] == "Spoke to them"
    assert events[0].payload["status"] == "resolved"
    entry = dbs.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_id, entry.subject_id, entry.session_id) == (
        "resolve_report", guest.id, writer.id, room.id,
    )  # fmt: skip
    assert entry.target == f"report {report_id} (message {said['id']})"
    assert entry.reason == "Spoke to them" and entry.created_at == live(room, 20)
    assert reports.open_reports(dbs, room, guest) == []


def test_dismissing_is_audited_as_such_and_closing_twice_conflicts(
    dbs: Session, member: User, organiser: User, guest: User, room: ChatSession, said: dict
) -> None:
    report_id, _ = file(dbs, member, room, message_id=said["id"])
    reports.resolve(dbs, organiser, room, report_id, "dismissed", "", live(room, 20))
    assert dbs.scalars(select(AuditEntry.action)).all() == ["dismiss_report"]
    with pytest.raises(ChatError) as twice:
        reports.resolve(dbs, guest, room, report_id, "resolved", "", live(room, 21))
    assert twice.value.code == "conflict"
    assert len(dbs.scalars(select(AuditEntry)).all()) == 1


def test_only_this_sessions_staff_may_resolve(
    dbs: Session, member: User, organiser: User, room: ChatSession, said: dict
) -> None:
    report_id, _ = file(dbs, member, room, message_id=said["id"])
    other_guest = make_user(dbs, "other@example.org", "Other Guest")
    make_session(dbs, organiser, other_guest)
    for who in (member, other_guest):
        with pytest.raises(ChatError) as refused:
            reports.resolve(dbs, who, room, report_id, "resolved", "", live(room, 20))
        assert refused.value.code == "forbidden"
    assert len(reports.open_reports(dbs, room, organiser)) == 1
    assert dbs.scalars(select(AuditEntry)).all() == []


@pytest.mark.parametrize(
    ("outcome", "note", "report_id", "code"),
    [
        ("fixed", "", None, "invalid"),
        ("resolved", "x" * 301, None, "invalid"),
        ("resolved", "", 999, "not_found"),
    ],
)
def test_bad_resolutions_are_refused(
    dbs: Session, member: User, guest: User, room: ChatSession, said: dict,
    outcome: str, note: str, report_id: int | None, code: str,
) -> None:  # fmt: skip
    filed, _ = file(dbs, member, room, message_id=said["id"])
    with pytest.raises(ChatError) as refused:
        reports.resolve(dbs, guest, room, report_id or filed, outcome, note, live(room, 20))
    assert refused.value.code == code


def test_a_report_of_another_session_is_not_found_here(
    dbs: Session, member: User, organiser: User, guest: User, room: ChatSession, said: dict
) -> None:
    report_id, _ = file(dbs, member, room, message_id=said["id"])
    other = make_session(dbs, organiser, guest)
    other.starts_at = room.starts_at + timedelta(days=7)
    dbs.commit()
    with pytest.raises(ChatError) as refused:
        reports.resolve(dbs, guest, other, report_id, "resolved", "", live(room, 20))
    assert refused.value.code == "not_found"


def test_the_queue_shows_a_removed_message_as_removed(
    dbs: Session, member: User, guest: User, room: ChatSession, said: dict
) -> None:
    file(dbs, member, room, message_id=said["id"])
    messages.delete_message(dbs, guest, room, said["id"], live(room, 11))
    (queued,) = reports.open_reports(dbs, room, guest)
    assert queued["target"]["removed"] is True
    assert queued["excerpt"].startswith("Something hurtful")  # the moderators still see it


def test_a_report_about_a_facilitator_goes_to_the_organisers_alone(
    dbs: Session, member: User, guest: User, organiser: User, room: ChatSession
) -> None:
    second = make_user(dbs, "second@example.org", "Second Organiser", organiser=True)
    prompt = send(dbs, guest, room, "A facilitator's careless remark")
    report_id, events = file(dbs, member, room, message_id=prompt["id"])
    assert [(type(e), e.user_id) for e in events] == [
        (OrganiserReport, organiser.id), (OrganiserReport, second.id),
    ]  # fmt: skip
    assert reports.open_reports(dbs, room, guest) == []  # never shown to the one reported
    assert [r["id"] for r in reports.open_reports(dbs, room, organiser)] == [report_id]
    with pytest.raises(ChatError) as refused:
        reports.resolve(dbs, guest, room, report_id, "dismissed", "", live(room, 20))
    assert refused.value.code == "not_found"
    _, closed = reports.resolve(dbs, second, room, report_id, "resolved", "", live(room, 20))
    assert {e.user_id for e in closed} == {organiser.id, second.id}


def test_a_report_about_an_organiser_never_reaches_them(
    dbs: Session, member: User, organiser: User, room: ChatSession
) -> None:
    second = make_user(dbs, "second@example.org", "Second Organiser", organiser=True)
    said = send(dbs, organiser, room, "An organiser's remark")
    report_id, events = file(dbs, member, room, message_id=said["id"])
    assert [e.user_id for e in events] == [second.id]
    assert reports.open_reports(dbs, room, organiser) == []
    assert reports.open_by_session(dbs, organiser) == []
    assert reports.open_by_session(dbs, second) == [(room, 1, 0)]
    with pytest.raises(ChatError) as refused:
        reports.resolve(dbs, organiser, room, report_id, "dismissed", "", live(room, 20))
    assert refused.value.code == "not_found"
