"""Walk every registered Socket.IO event as a member and as a facilitator of another
session: staff events are refused with `forbidden`, acting on someone else's message or
question is refused, and nothing changes. A new event fails this test until it is put in
one of the tables below."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from chat.extensions import db, socketio
from chat.models import (
    AuditEntry,
    BackstageMessage,
    ChatSession,
    Message,
    Prompt,
    Question,
    QuestionVote,
    Reaction,
    Report,
    Resource,
    Sanction,
    User,
)
from chat.services import prompts, questions, reports, resources
from tests.helpers import make_session, make_user
from tests.sockets.helpers import new_message

LIFECYCLE = {"connect", "disconnect"}
# Any member of the room may send these (on their own things).
MEMBER_EVENTS = {
    "join",
    "leave",
    "history",
    "send_message",
    "react",
    "ask_question",
    "vote_question",
    "report",
    "check_message",
    "introduce",
    "skip_introduction",
    "introductions",
    "share_resource",
    "vote_resource",
}
# Members may send these about their own message or question only.
OWN_THINGS = {
    "delete_message",
    "edit_message",
    "edit_question",
    "withdraw_question",
    "remove_resource",
}


def staff_payloads(ids: dict[str, int]) -> dict[str, dict[str, Any]]:
    """A well-formed payload for every staff-only event, aimed at the walk's room."""
    fresh = str(uuid.uuid4())
    return {
        "post_prompt": {"prompt_id": ids["prompt"]},
        "previous_prompt": {},
        "skip_prompt": {},
        "extend_prompt": {"minutes": 5},
        "set_auto_advance": {"enabled": True},
        "pin_message": {"message_id": ids["message"]},
        "announce": {"body": "Ten minutes left", "client_id": fresh},
        "set_slow_mode": {"seconds": 30},
        "set_locked": {"locked": True},
        "open_room": {},
        "extend_session": {"minutes": 10},
        "end_session": {},
        "backstage_send": {"body": "psst", "client_id": fresh},
        "moderate_question": {"question_id": ids["question"], "action": "dismiss"},
        "merge_questions": {"question_id": ids["question"], "into_id": ids["other_question"]},
        "message_to_question": {"message_id": ids["message"]},
        "set_premoderation": {"enabled": True},
        "resolve_report": {"report_id": ids["report"], "outcome": "dismissed"},
        "restore_message": {"message_id": ids["message"]},
        "set_sensitive": {"message_id": ids["message"], "sensitive": True},
        "mute_member": {"user_id": ids["member"], "minutes": 10, "reason": "Heated"},
        "unmute_member": {"user_id": ids["member"]},
        "remove_member": {"user_id": ids["member"], "reason": "Hostile"},
        "readmit_member": {"user_id": ids["member"]},
        "ban_member": {"user_id": ids["member"], "reason": "Abuse"},
        "unban_member": {"user_id": ids["member"]},
        "feature_resource": {"resource_id": ids["resource"], "featured": True},
    }


def own_thing_payloads(ids: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Someone else's message or question, for the events that need your own."""
    return {
        "delete_message": {"message_id": ids["message"]},
        "edit_message": {"message_id": ids["message"], "body": "Reworded by a stranger"},
        "edit_question": {"question_id": ids["question"], "body": "Reworded by a stranger"},
        "withdraw_question": {"question_id": ids["question"]},
        "remove_resource": {"resource_id": ids["resource"]},
    }


CONTROL_COLUMNS = (
    "locked",
    "slow_mode_seconds",
    "pinned_message_id",
    "auto_advance",
    "current_prompt_id",
    "opened_at",
    "ended_at",
    "extra_minutes",
    "questions_premoderated",
)
ID_NAMES = ("prompt", "message", "question", "other_question", "report", "member", "resource")


def registered_events() -> set[str]:
    return set(socketio.server.handlers["/"])


def counts() -> tuple[Any, ...]:
    db.session.expire_all()
    tables = (Message, Question, QuestionVote, Reaction, BackstageMessage, Sanction, AuditEntry)
    room = db.session.scalars(select(ChatSession)).all()
    return (
        *(db.session.scalar(select(func.count()).select_from(t)) for t in tables),
        [tuple(getattr(s, name) for name in CONTROL_COLUMNS) for s in room],
        [(q.status, q.body) for q in db.session.scalars(select(Question))],
        [(p.number, p.skipped) for p in db.session.scalars(select(Prompt))],
        [r.status for r in db.session.scalars(select(Report))],
        [(m.body, m.sensitive, m.deleted_at) for m in db.session.scalars(select(Message))],
        [(r.featured, r.removed_at) for r in db.session.scalars(select(Resource))],
    )


def test_every_event_is_classified(app) -> None:
    staff_events = set(staff_payloads(dict.fromkeys(ID_NAMES, 1)))
    classified = LIFECYCLE | MEMBER_EVENTS | OWN_THINGS | staff_events
    assert registered_events() - classified == set(), "classify the new event(s) here"
    assert classified - registered_events() == set(), "drop events that no longer exist"


@pytest.mark.parametrize("who", ["member", "facilitator of another session"])
def test_members_are_refused_every_staff_event_and_others_things(
    joined, guest: User, member: User, organiser: User, room: ChatSession, who: str
) -> None:
    author = joined(member)
    said = author.emit("send_message", new_message(room, "My own words"), callback=True)
    added, _ = prompts.add_prompts(db.session, guest, room, ["Why this work?"], 10, room.starts_at)
    now = room.starts_at
    first, _ = questions.ask(db.session, member, room, "How do you end well?", False,
                             str(uuid.uuid4()), now, 15)  # fmt: skip
    second, _ = questions.ask(db.session, guest, room, "And how do we begin?", False,
                              str(uuid.uuid4()), now, 15)  # fmt: skip
    reported, _ = reports.file_report(db.session, guest, room, message_id=said["message"]["id"],
                                      reason="spam", note="", now=now)  # fmt: skip
    shared, _ = resources.share(db.session, member, room, "On endings", "https://example.org",
                                "", str(uuid.uuid4()), now, 15)  # fmt: skip
    ids = {
        "prompt": added[0].id,
        "message": said["message"]["id"],
        "question": first["id"],
        "other_question": second["id"],
        "report": reported,
        "member": member.id,
        "resource": shared["id"],
    }
    intruder = make_user(db.session, "intruder@example.org", "Intruder")
    if who != "member":
        make_session(db.session, organiser, intruder)
    sio = joined(intruder)
    before = counts()
    for event, extra in {**staff_payloads(ids), **own_thing_payloads(ids)}.items():
        ack = sio.emit(event, {"session_id": room.id, **extra}, callback=True)
        assert ack == {"ok": False, "error": ack["error"]}, (event, ack)
        assert ack["error"]["code"] == "forbidden", (event, ack)
    assert counts() == before
    assert sio.get_received() == []
