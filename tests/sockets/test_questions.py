"""Socket events of the question queue: each action, each refusal, and who hears what."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from chat.extensions import db
from chat.models import ChatSession, Question, QuestionVote, User
from tests.helpers import Clock, make_user
from tests.sockets.helpers import new_message, received


def asking(room: ChatSession, body: str = "How do you end well?", **extra: Any) -> dict:
    return {
        "session_id": room.id,
        "body": body,
        "anonymous": False,
        "client_id": str(uuid.uuid4()),
        **extra,
    }


def ask(sio, room: ChatSession, body: str = "How do you end well?", **extra: Any) -> dict:
    ack = sio.emit("ask_question", asking(room, body, **extra), callback=True)
    assert ack["ok"], ack
    return ack["question"]


def stored() -> list[tuple[int, str, str, bool]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Question).order_by(Question.id))
    return [(q.id, q.status, q.body, q.edited_by_staff) for q in rows]


def vote_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionVote)) or 0


@pytest.fixture
def other(app) -> User:
    return make_user(db.session, "kit@example.org", "Kit")


def test_asking_is_heard_by_everyone_and_an_anonymous_asker_stays_unnamed(
    joined, guest: User, member: User, other: User, room: ChatSession
) -> None:
    staff, asker, watcher = joined(guest), joined(member), joined(other)
    asked = ask(asker, room, anonymous=True)
    assert asked["author"]["name"] == "Tam Trainee" and asked["anonymous"]
    (seen,) = received(watcher, "question")
    assert seen["id"] == asked["id"] and seen["author"] is None
    assert received(staff, "question")[-1]["author"]["name"] == "Tam Trainee"
    ack = watcher.emit("join", {"session_id": room.id}, callback=True)
    assert ack["queue"]["questions"][0]["author"] is None and ack["queue"]["mine"] == []


def test_pending_questions_reach_only_staff_and_every_tab_of_their_asker(
    joined, guest: User, member: User, other: User, room: ChatSession
) -> None:
    staff = joined(guest)
    assert staff.emit("set_premoderation", {"session_id": room.id, "enabled": True}, callback=True)[
        "ok"
    ]
    asker, second_tab, watcher = joined(member), joined(member), joined(other)
    asked = ask(asker, room)
    assert asked["status"] == "pending"
    assert received(watcher, "question") == []
    assert received(second_tab, "question")[-1]["id"] == asked["id"]
    assert received(staff, "question")[-1]["status"] == "pending"
    vote = {"session_id": room.id, "question_id": asked["id"], "active": True}
    assert watcher.emit("vote_question", vote, callback=True)["error"]["code"] == "not_found"
    approve = {"session_id": room.id, "question_id": asked["id"], "action": "approve"}
    assert staff.emit("moderate_question", approve, callback=True)["ok"]
    assert received(watcher, "question")[-1]["status"] == "open"


def test_votes_are_counted_once_and_heard_live(
    joined, guest: User, member: User, other: User, room: ChatSession
) -> None:
    asker, voter = joined(member), joined(other)
    asked = ask(asker, room)
    vote = {"session_id": room.id, "question_id": asked["id"], "active": True}
    assert voter.emit("vote_question", vote, callback=True) == {"ok": True, "votes": 1}
    assert voter.emit("vote_question", vote, callback=True) == {"ok": True, "votes": 1}
    assert received(asker, "question")[-1]["votes"] == 1
    take_back = {**vote, "active": False}
    assert voter.emit("vote_question", take_back, callback=True)["votes"] == 0
    assert vote_rows() == 0
    rejoin = voter.emit("join", {"session_id": room.id}, callback=True)
    assert rejoin["queue"]["voted"] == []


def test_the_limits_come_back_as_rate_limited(
    joined, member: User, room: ChatSession, clock: Clock
) -> None:
    asker = joined(member)
    ask(asker, room)
    soon = asker.emit("ask_question", asking(room, "A second question"), callback=True)
    assert soon["error"]["code"] == "rate_limited" and soon["error"]["retry_after"] == 30
    for body in ("A second question", "A third question"):
        clock.now += timedelta(seconds=30)
        ask(asker, room, body)
    clock.now += timedelta(seconds=30)
    full = asker.emit("ask_question", asking(room, "A fourth question"), callback=True)
    assert full["error"]["code"] == "rate_limited" and "retry_after" not in full["error"]
    assert len(stored()) == 3


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"body": "Why?"}, "invalid"),
        ({"body": "x" * 501}, "invalid"),
        ({"anonymous": "yes"}, "invalid"),
        ({"client_id": "nope"}, "invalid"),
        ({"body": 5}, "invalid"),
    ],
)
def test_bad_questions_are_refused(joined, member: User, room: ChatSession, payload, code):
    ack = joined(member).emit("ask_question", asking(room) | payload, callback=True)
    assert ack["error"]["code"] == code
    assert stored() == []


def test_the_queue_closes_when_the_session_ends(
    joined, member: User, room: ChatSession, clock: Clock
) -> None:
    asker = joined(member)
    clock.now = room.starts_at + timedelta(hours=2)
    ack = asker.emit("ask_question", asking(room), callback=True)
    assert ack["error"]["code"] == "room_closed"


STAFF_ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("moderate_question", {"action": "spotlight"}),
    ("moderate_question", {"action": "dismiss"}),
    ("moderate_question", {"action": "answer"}),
    ("merge_questions", {"into": "second"}),
    ("edit_question", {"body": "Reworded by someone else"}),
    ("message_to_question", {}),
    ("set_premoderation", {"enabled": True}),
]


def staff_payload(room: ChatSession, first: dict, second: dict, event: str, extra: dict):
    body: dict[str, Any] = {"session_id": room.id, "question_id": first["id"], **extra}
    if body.pop("into", None):
        body["into_id"] = second["id"]
    if event == "message_to_question":
        body = {"session_id": room.id, "message_id": 1}
    return body


@pytest.mark.parametrize(("event", "extra"), STAFF_ACTIONS, ids=lambda v: str(v))
def test_facilitator_actions_work_for_staff_and_are_forbidden_to_members(
    joined, guest: User, member: User, other: User, room: ChatSession, event, extra
) -> None:
    staff, asker, someone = joined(guest), joined(member), joined(other)
    assert asker.emit("send_message", new_message(room, "Is it normal to dread it?"), callback=True)
    first = ask(asker, room)
    second = ask(someone, room, "How do you end well, really?")
    payload = staff_payload(room, first, second, event, extra)
    before = stored(), room.questions_premoderated
    refused = someone.emit(event, payload, callback=True)
    assert refused["error"]["code"] == "forbidden", refused
    db.session.expire_all()
    assert (stored(), db.session.get(ChatSession, room.id).questions_premoderated) == before
    ack = staff.emit(event, payload, callback=True)
    assert ack["ok"], ack
    db.session.expire_all()
    after = stored(), db.session.get(ChatSession, room.id).questions_premoderated
    assert after != before


def test_spotlight_answer_dismiss_restore_and_merge_are_heard(
    joined, guest: User, member: User, other: User, room: ChatSession
) -> None:
    staff, asker, watcher = joined(guest), joined(member), joined(other)
    first = ask(asker, room)
    second = ask(watcher, room, "How to end well?")
    vote = {"session_id": room.id, "question_id": second["id"], "active": True}
    assert asker.emit("vote_question", vote, callback=True)["votes"] == 1
    received(watcher, "question")

    def act(action: str, question: dict) -> None:
        body = {"session_id": room.id, "question_id": question["id"], "action": action}
        assert staff.emit("moderate_question", body, callback=True)["ok"]

    act("spotlight", first)
    assert received(watcher, "question")[-1]["status"] == "spotlit"
    act("answer", first)
    assert received(watcher, "question")[-1]["status"] == "answered"
    act("dismiss", second)
    assert received(watcher, "question_removed") == [{"session_id": room.id, "id": second["id"]}]
    act("restore", second)
    assert received(watcher, "question")[-1]["status"] == "open"
    merge = {"session_id": room.id, "question_id": second["id"], "into_id": first["id"]}
    assert staff.emit("merge_questions", merge, callback=True)["ok"]
    heard = received(watcher, "question")
    assert heard[-1]["id"] == first["id"] and heard[-1]["votes"] == 1
    merged = [q for q in received(staff, "question") if q["id"] == second["id"]]
    assert merged[-1]["status"] == "merged" and merged[-1]["merged_into"] == first["id"]


def test_the_asker_edits_and_withdraws_and_others_cannot(
    joined, guest: User, member: User, other: User, room: ChatSession
) -> None:
    asker, watcher = joined(member), joined(other)
    asked = ask(asker, room)
    edit = {"session_id": room.id, "question_id": asked["id"], "body": "How do we end well?"}
    assert watcher.emit("edit_question", edit, callback=True)["error"]["code"] == "forbidden"
    assert asker.emit("edit_question", edit, callback=True)["ok"]
    assert received(watcher, "question")[-1]["body"] == "How do we end well?"
    withdraw = {"session_id": room.id, "question_id": asked["id"]}
    assert watcher.emit("withdraw_question", withdraw, callback=True)["error"]["code"] == (
        "forbidden"
    )
    assert asker.emit("withdraw_question", withdraw, callback=True)["ok"]
    assert received(watcher, "question_removed") == [{"session_id": room.id, "id": asked["id"]}]
    assert stored() == []
