"""Reports over Socket.IO: the queue as each role sees it, resolving, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from chat.extensions import db
from chat.models import AuditEntry, ChatSession, Report, User
from tests.helpers import make_session, make_user
from tests.sockets.helpers import new_message, received, signed_in


@pytest.fixture
def writer(app) -> User:
    """The member whose message is reported."""
    return make_user(db.session, "wren@example.org", "Wren Writer")


@pytest.fixture
def said(joined, writer: User, room: ChatSession) -> dict:
    sio = joined(writer)
    ack = sio.emit("send_message", new_message(room, "You are all doing it wrong"), callback=True)
    assert ack["ok"], ack
    return {"socket": sio, "message": ack["message"]}


def reporting(room: ChatSession, message_id: int, **extra: Any) -> dict:
    return {"session_id": room.id, "message_id": message_id, "reason": "harassment",
            "note": "Hostile", **extra}  # fmt: skip


def rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Report)) or 0


def test_staff_hear_a_report_live_and_nobody_else_hears_anything(
    joined, guest: User, member: User, organiser: User, room: ChatSession, said: dict
) -> None:
    facilitator, org, reporter = joined(guest), joined(organiser), joined(member)
    bystander = joined(make_user(db.session, "kit@example.org", "Kit"))
    reported = said["socket"]
    for sio in (facilitator, org, reporter, bystander, reported):
        sio.get_received()
    ack = reporter.emit("report", reporting(room, said["message"]["id"]), callback=True)
    assert ack == {"ok": True, "report_id": ack["report_id"]}
    for staff in (facilitator, org):
        (heard,) = received(staff, "report")
        assert heard["id"] == ack["report_id"]
        assert heard["reporter"]["name"] == "Tam Trainee"
        assert heard["reported"]["name"] == "Wren Writer"
    for sio in (reporter, bystander, reported):
        assert sio.get_received() == []


def test_the_join_ack_lists_open_reports_for_staff_only(
    joined, guest: User, member: User, organiser: User, writer: User, room: ChatSession,
    said: dict,
) -> None:  # fmt: skip
    reporter = joined(member)
    reporter.emit("report", reporting(room, said["message"]["id"]), callback=True)
    for user in (guest, organiser):
        ack = joined(user).emit("join", {"session_id": room.id}, callback=True)
        assert [r["reporter"]["name"] for r in ack["reports"]] == ["Tam Trainee"]
    for sio in (reporter, said["socket"]):
        assert sio.emit("join", {"session_id": room.id}, callback=True)["reports"] is None


def test_safeguarding_is_urgent_and_first_in_the_queue(
    joined, guest: User, member: User, room: ChatSession, said: dict
) -> None:
    facilitator, reporter = joined(guest), joined(member)
    later = said["socket"].emit("send_message", new_message(room, "I can't go on"), callback=True)
    reporter.emit("report", reporting(room, said["message"]["id"]), callback=True)
    urgent = reporter.emit(
        "report", reporting(room, later["message"]["id"], reason="safeguarding"), callback=True
    )
    heard = received(facilitator, "report")[-1]
    assert heard["urgent"] is True and heard["id"] == urgent["report_id"]
    ack = facilitator.emit("join", {"session_id": room.id}, callback=True)
    assert ack["reports"][0]["id"] == urgent["report_id"]


def test_resolving_tells_staff_writes_the_audit_log_and_cannot_happen_twice(
    joined, guest: User, member: User, organiser: User, writer: User, room: ChatSession,
    said: dict,
) -> None:  # fmt: skip
    facilitator, org, reporter = joined(guest), joined(organiser), joined(member)
    filed = reporter.emit("report", reporting(room, said["message"]["id"]), callback=True)
    for sio in (facilitator, org, reporter, said["socket"]):
        sio.get_received()
    resolving = {"session_id": room.id, "report_id": filed["report_id"], "outcome": "resolved",
                 "note": "Reminded them of the agreement"}  # fmt: skip
    ack = facilitator.emit("resolve_report", resolving, callback=True)
    assert ack["ok"] and ack["report"]["status"] == "resolved"
    (heard,) = received(org, "report")
    assert heard["status"] == "resolved" and heard["resolution"] == resolving["note"]
    assert reporter.get_received() == [] and said["socket"].get_received() == []
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_name, entry.subject_name, entry.reason) == (
        "resolve_report", "Dr Guest", "Wren Writer", "Reminded them of the agreement",
    )  # fmt: skip
    again = org.emit("resolve_report", {**resolving, "outcome": "dismissed"}, callback=True)
    assert again["error"]["code"] == "conflict"


def test_a_facilitator_of_another_session_may_not_resolve_nor_hears_reports(
    joined, organiser: User, member: User, room: ChatSession, said: dict
) -> None:
    outsider = make_user(db.session, "other@example.org", "Other Guest")
    make_session(db.session, organiser, outsider)
    intruder, reporter = joined(outsider), joined(member)
    intruder.get_received()  # the reporter's arrival in `presence`
    filed = reporter.emit("report", reporting(room, said["message"]["id"]), callback=True)
    assert intruder.get_received() == []
    ack = intruder.emit("resolve_report", {"session_id": room.id, "report_id": filed["report_id"],
                                           "outcome": "dismissed"}, callback=True)  # fmt: skip
    assert ack["error"]["code"] == "forbidden"
    assert db.session.scalar(select(Report.status)) == "open"
    assert intruder.emit("join", {"session_id": room.id}, callback=True)["reports"] is None


def test_reporting_the_same_message_twice_is_one_report(
    joined, guest: User, member: User, room: ChatSession, said: dict
) -> None:
    facilitator, reporter = joined(guest), joined(member)
    first = reporter.emit("report", reporting(room, said["message"]["id"]), callback=True)
    second = reporter.emit("report", reporting(room, said["message"]["id"]), callback=True)
    assert first == second and rows() == 1
    assert len(received(facilitator, "report")) == 1


def test_a_question_is_reported_by_its_id(
    joined, guest: User, member: User, writer: User, room: ChatSession, said: dict
) -> None:
    facilitator = joined(guest)
    asked = said["socket"].emit("ask_question", {
        "session_id": room.id, "body": "Is this a stupid question?", "anonymous": True,
        "client_id": "6f1c2a9e-4b7d-4c1e-9a3b-2d5e8f7a6b1c"}, callback=True)  # fmt: skip
    ack = joined(member).emit("report", {"session_id": room.id, "question_id": asked["question"][
        "id"], "reason": "spam"}, callback=True)  # fmt: skip
    assert ack["ok"], ack
    heard = received(facilitator, "report")[-1]
    assert heard["target"]["kind"] == "question" and heard["note"] == ""


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"reason": "rude"}, "invalid"),
        ({"reason": None}, "invalid"),
        ({"note": 5}, "invalid"),
        ({"note": "n" * 1001}, "invalid"),
        ({"message_id": "1"}, "invalid"),
        ({"message_id": None}, "invalid"),
        ({"question_id": 1}, "invalid"),
        ({"message_id": 999}, "not_found"),
        ({"session_id": 999}, "not_found"),
    ],
)
def test_bad_reports_get_a_clear_code(
    joined, member: User, room: ChatSession, said: dict, change: dict, code: str
) -> None:
    ack = joined(member).emit("report", {**reporting(room, said["message"]["id"]), **change},
                              callback=True)  # fmt: skip
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert rows() == 0


def test_reporting_your_own_message_or_without_joining_is_forbidden(
    app, socket_client, member: User, room: ChatSession, said: dict
) -> None:
    own = said["socket"].emit("report", reporting(room, said["message"]["id"]), callback=True)
    assert own["error"]["code"] == "forbidden"
    stranger = socket_client(signed_in(app, member))  # connected, never joined the room
    ack = stranger.emit("report", reporting(room, said["message"]["id"]), callback=True)
    assert ack["error"]["code"] == "forbidden"
    assert rows() == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"outcome": "done"}, "invalid"),
        ({"outcome": None}, "invalid"),
        ({"report_id": "1"}, "invalid"),
        ({"report_id": 999}, "not_found"),
        ({"note": "n" * 301}, "invalid"),
    ],
)
def test_bad_resolutions_get_a_clear_code(
    joined, guest: User, member: User, room: ChatSession, said: dict, change: dict, code: str
) -> None:
    filed = joined(member).emit("report", reporting(room, said["message"]["id"]), callback=True)
    resolving = {"session_id": room.id, "report_id": filed["report_id"], "outcome": "resolved"}
    ack = joined(guest).emit("resolve_report", {**resolving, **change}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert db.session.scalar(select(Report.status)) == "open"


def test_a_report_about_the_facilitator_reaches_organisers_only(
    joined, guest: User, member: User, organiser: User, room: ChatSession
) -> None:
    facilitator, org, reporter = joined(guest), joined(organiser), joined(member)
    said = facilitator.emit("send_message", new_message(room, "Careless words"), callback=True)
    for sio in (facilitator, org, reporter):
        sio.get_received()
    filed = reporter.emit("report", reporting(room, said["message"]["id"]), callback=True)
    assert received(org, "report")[-1]["id"] == filed["report_id"]
    assert facilitator.get_received() == []
    assert facilitator.emit("join", {"session_id": room.id}, callback=True)["reports"] == []
    resolving = {"session_id": room.id, "report_id": filed["report_id"], "outcome": "resolved"}
    refused = facilitator.emit("resolve_report", resolving, callback=True)
    assert refused["error"]["code"] == "not_found"
    assert org.emit("resolve_report", resolving, callback=True)["ok"]
    assert received(facilitator, "report") == []


@pytest.mark.parametrize("app_config", [{"CHAT_REPORT_LIMIT": 2}])
def test_a_member_sending_many_reports_is_slowed_down_and_nothing_is_stored(
    joined, member: User, room: ChatSession, said: dict
) -> None:
    sent = [said["message"]["id"]]
    for body in ("Second", "Third"):
        ack = said["socket"].emit("send_message", new_message(room, body), callback=True)
        sent.append(ack["message"]["id"])
    reporter = joined(member)
    for message_id in sent[:2]:
        assert reporter.emit("report", reporting(room, message_id), callback=True)["ok"]
    refused = reporter.emit("report", reporting(room, sent[2]), callback=True)
    assert refused["error"]["code"] == "rate_limited" and refused["error"]["retry_after"] > 0
    assert rows() == 2
