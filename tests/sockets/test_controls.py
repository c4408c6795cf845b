"""The facilitator's socket controls: each works for staff and is refused to members."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from chat.extensions import db
from chat.models import BackstageMessage, ChatSession, Message, Prompt, User
from chat.realtime.broadcast import broadcast
from chat.services import invitations, prompts
from tests.helpers import Clock, make_user
from tests.sockets.helpers import new_message, received


@pytest.fixture
def sheet(guest: User, room: ChatSession, clock: Clock) -> list[Prompt]:
    added, _ = prompts.add_prompts(
        db.session, guest, room, ["What brought you here?", "Endings"], 10, clock.now
    )
    return added


def stored_state(room: ChatSession) -> tuple[Any, ...]:
    """Everything a control could change, read afresh from the database."""
    db.session.expire_all()
    fresh = db.session.get(ChatSession, room.id)
    assert fresh is not None
    posted = db.session.scalar(
        select(func.count()).select_from(Prompt).where(Prompt.number.is_not(None))
    )
    skipped = db.session.scalar(
        select(func.count()).select_from(Prompt).where(Prompt.skipped.is_(True))
    )
    messages = db.session.scalar(select(func.count()).select_from(Message))
    notes = db.session.scalar(select(func.count()).select_from(BackstageMessage))
    return (
        fresh.locked,
        fresh.slow_mode_seconds,
        fresh.pinned_message_id,
        fresh.auto_advance,
        fresh.current_prompt_id,
        fresh.prompt_ends_at,
        fresh.opened_at,
        fresh.extra_minutes,
        fresh.ended_at,
        posted,
        skipped,
        messages,
        notes,
    )


CONTROLS: list[tuple[str, dict[str, Any]]] = [
    ("post_prompt", {}),
    ("set_auto_advance", {"enabled": True}),
    ("set_locked", {"locked": True}),
    ("set_slow_mode", {"seconds": 30}),
    ("pin_message", {"message_id": 1}),
    ("announce", {"body": "Ten minutes left", "client_id": "new"}),
    ("skip_prompt", {}),
    ("extend_prompt", {"minutes": 5}),
    ("previous_prompt", {}),
    ("extend_session", {"minutes": 10}),
    ("end_session", {}),
    ("backstage_send", {"body": "psst", "client_id": "new"}),
]


def payload(room: ChatSession, extra: dict[str, Any]) -> dict[str, Any]:
    body = {"session_id": room.id, **extra}
    if body.get("client_id") == "new":
        body["client_id"] = str(uuid.uuid4())
    return body


def prepare(joined, guest: User, member: User, room: ChatSession, sheet: list[Prompt]):
    """A room with a member's message, Q1 and Q2 posted (so every control can act)."""
    staff, someone = joined(guest), joined(member)
    assert someone.emit("send_message", new_message(room, "hello"), callback=True)["ok"]
    for prompt in sheet:
        ack = staff.emit(
            "post_prompt", {"session_id": room.id, "prompt_id": prompt.id}, callback=True
        )
        assert ack["ok"], ack
    prompts.add_prompts(db.session, guest, room, ["Self-care"], 10, room.starts_at)
    staff.get_received(), someone.get_received()
    return staff, someone


@pytest.mark.parametrize(("event", "extra"), CONTROLS, ids=[c[0] for c in CONTROLS])
def test_a_member_is_refused_every_control_and_nothing_changes(
    joined, guest: User, member: User, room: ChatSession, sheet: list[Prompt], event, extra
) -> None:
    staff, someone = prepare(joined, guest, member, room, sheet)
    before = stored_state(room)
    ack = someone.emit(event, payload(room, extra), callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden", ack
    assert stored_state(room) == before
    assert staff.get_received() == [] and someone.get_received() == []


@pytest.mark.parametrize(("event", "extra"), CONTROLS, ids=[c[0] for c in CONTROLS])
def test_a_facilitator_of_another_session_is_a_member_here(
    joined, guest: User, member: User, room: ChatSession, sheet: list[Prompt], event, extra
) -> None:
    prepare(joined, guest, member, room, sheet)
    other = make_user(db.session, "other@example.org", "Other facilitator")
    elsewhere = ChatSession(
        title="Another week",
        starts_at=room.starts_at + timedelta(days=7),
        duration_minutes=60,
        time_zone="Europe/London",
        created_at=room.created_at,
        facilitators=[other],
    )
    db.session.add(elsewhere)
    db.session.commit()
    before = stored_state(room)
    ack = joined(other).emit(event, payload(room, extra), callback=True)
    assert ack["error"]["code"] == "forbidden", ack
    assert stored_state(room) == before


@pytest.mark.parametrize(("event", "extra"), CONTROLS, ids=[c[0] for c in CONTROLS])
def test_a_facilitator_can_use_every_control(
    joined, guest: User, member: User, room: ChatSession, sheet: list[Prompt], event, extra
) -> None:
    staff, _ = prepare(joined, guest, member, room, sheet)
    before = stored_state(room)
    ack = staff.emit(event, payload(room, extra), callback=True)
    assert ack["ok"] is True, ack
    assert stored_state(room) != before


def test_posting_a_prompt_reaches_the_room_and_answers_are_tagged(
    joined, guest: User, member: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    staff, someone = joined(guest), joined(member)
    ack = staff.emit("post_prompt", {"session_id": room.id}, callback=True)
    assert ack["ok"] and ack["room"]["current_prompt"]["number"] == 1
    heard = received(someone, "message")
    assert [(m["kind"], m["prompt"]["number"], m["body"]) for m in heard] == [
        ("prompt", 1, "What brought you here?")
    ]
    answer = someone.emit("send_message", new_message(room, "Curiosity"), callback=True)
    assert answer["message"]["prompt"] == {"id": sheet[0].id, "number": 1}
    chat = someone.emit("send_message", new_message(room, "hi", answer_to=None), callback=True)
    assert chat["message"]["prompt"] is None
    unposted = new_message(room, "early", answer_to=sheet[1].id)
    assert someone.emit("send_message", unposted, callback=True)["error"]["code"] == "not_found"
    bad = new_message(room, "bad", answer_to="Q1")
    assert someone.emit("send_message", bad, callback=True)["error"]["code"] == "invalid"


def test_room_controls_are_heard_by_everyone_and_given_to_late_joiners(
    joined, guest: User, member: User, room: ChatSession
) -> None:
    staff, someone = joined(guest), joined(member)
    said = someone.emit("send_message", new_message(room, "pin me"), callback=True)["message"]
    someone.get_received()
    staff.emit("pin_message", {"session_id": room.id, "message_id": said["id"]}, callback=True)
    staff.emit("set_slow_mode", {"session_id": room.id, "seconds": 30}, callback=True)
    last = received(someone, "room")[-1]
    assert last["pinned"]["body"] == "pin me" and last["slow_mode_seconds"] == 30
    late = joined(make_user(db.session, "late@example.org", "Late Lou"))
    ack = late.emit("join", {"session_id": room.id}, callback=True)
    assert ack["room"]["pinned"]["id"] == said["id"] and ack["room"]["slow_mode_seconds"] == 30
    assert ack["run_sheet"] is None and ack["backstage"] is None


def test_slow_mode_and_lock_refusals_say_why(
    joined, guest: User, member: User, room: ChatSession, clock: Clock
) -> None:
    staff, someone = joined(guest), joined(member)
    staff.emit("set_slow_mode", {"session_id": room.id, "seconds": 30}, callback=True)
    assert someone.emit("send_message", new_message(room, "one"), callback=True)["ok"]
    clock.now += timedelta(seconds=10)
    refused = someone.emit("send_message", new_message(room, "two"), callback=True)
    assert refused["error"]["code"] == "rate_limited" and refused["error"]["retry_after"] == 20
    staff.emit("set_locked", {"session_id": room.id, "locked": True}, callback=True)
    clock.now += timedelta(minutes=1)
    locked = someone.emit("send_message", new_message(room, "three"), callback=True)
    assert locked["error"]["code"] == "room_closed" and "paused" in locked["error"]["message"]
    assert staff.emit("send_message", new_message(room, "staff"), callback=True)["ok"]


@pytest.mark.parametrize(
    ("event", "extra"),
    [
        ("set_slow_mode", {"seconds": -1}),
        ("set_slow_mode", {"seconds": 601}),
        ("set_slow_mode", {"seconds": "30"}),
        ("set_locked", {"locked": "yes"}),
        ("set_auto_advance", {}),
        ("extend_prompt", {"minutes": 0}),
        ("pin_message", {"message_id": "1"}),
        ("announce", {"body": "", "client_id": "new"}),
        ("announce", {"body": "hi", "client_id": "not-a-uuid"}),
        ("post_prompt", {"prompt_id": 0}),
        ("extend_session", {"minutes": 500}),
    ],
)
def test_bad_control_payloads_get_invalid(joined, guest: User, room: ChatSession, event, extra):
    ack = joined(guest).emit(event, payload(room, extra), callback=True)
    assert ack["error"]["code"] == "invalid", ack


def test_backstage_is_heard_by_staff_only(
    joined, guest: User, member: User, organiser: User, room: ChatSession
) -> None:
    facilitator, someone, boss = joined(guest), joined(member), joined(organiser)
    body = {"session_id": room.id, "body": "Can you take Q3?", "client_id": str(uuid.uuid4())}
    assert facilitator.emit("backstage_send", body, callback=True)["ok"]
    assert [n["body"] for n in received(boss, "backstage_message")] == ["Can you take Q3?"]
    assert received(someone, "backstage_message") == []
    rejoin = boss.emit("join", {"session_id": room.id}, callback=True)
    assert [n["body"] for n in rejoin["backstage"]] == ["Can you take Q3?"]


def test_a_revoked_facilitator_stops_hearing_staff_events_at_once(
    joined, guest: User, organiser: User, room: ChatSession
) -> None:
    facilitator, boss = joined(guest), joined(organiser)
    broadcast(invitations.revoke_facilitator(db.session, organiser, room, guest.id))
    assert received(facilitator, "roles_changed") == [{"session_id": room.id}]
    note = {"session_id": room.id, "body": "staff only", "client_id": str(uuid.uuid4())}
    assert boss.emit("backstage_send", note, callback=True)["ok"]
    assert received(facilitator, "backstage_message") == []
    refused = facilitator.emit("set_locked", {"session_id": room.id, "locked": True}, callback=True)
    assert refused["error"]["code"] == "forbidden"
    ack = facilitator.emit("join", {"session_id": room.id}, callback=True)
    assert ack["you"]["role"] == "member" and ack["backstage"] is None


def test_staff_get_the_run_sheet_and_hear_it_change(
    joined, guest: User, member: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    staff = joined(guest, last_seen_id=0)
    someone = joined(member)
    ack = staff.emit("skip_prompt", {"session_id": room.id}, callback=True)
    assert ack["run_sheet"]["next_id"] == sheet[1].id
    assert received(staff, "run_sheet")[-1]["prompts"][0]["skipped"] is True
    assert received(someone, "run_sheet") == []


def test_a_facilitator_opens_early_extends_and_ends_their_session(
    joined, guest: User, room: ChatSession, clock: Clock
) -> None:
    clock.now = room.starts_at - timedelta(minutes=5)
    staff = joined(guest)
    opened = staff.emit("open_room", {"session_id": room.id}, callback=True)
    assert opened["state"]["state"] == "live"
    assert opened["state"]["starts_at"] == clock.now.isoformat()
    again = staff.emit("open_room", {"session_id": room.id}, callback=True)
    assert again["error"]["code"] == "conflict"
    extended = staff.emit("extend_session", {"session_id": room.id, "minutes": 15}, callback=True)
    assert extended["state"]["ends_at"] == (room.starts_at + timedelta(minutes=75)).isoformat()
    ended = staff.emit("end_session", {"session_id": room.id}, callback=True)
    assert ended["state"]["state"] == "ended"
    twice = staff.emit("end_session", {"session_id": room.id}, callback=True)
    assert twice["error"]["message"] == "Only a session in its lobby or live can be ended."
