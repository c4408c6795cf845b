"""Socket.IO chat events: every event, every error, nothing stored or broadcast on error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from chat.extensions import db
from chat.models import ChatSession, Message, User
from tests.helpers import Clock, make_session
from tests.sockets.helpers import new_message, received, signed_in


def message_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Message)) or 0


def test_send_is_acked_stored_and_heard_by_everyone(
    joined, room: ChatSession, member: User, organiser: User
) -> None:
    a, b = joined(member), joined(organiser)
    payload = new_message(room, "A1: hello from Tam")
    ack = a.emit("send_message", payload, callback=True)
    assert ack["ok"] and ack["message"]["id"] == 1
    assert ack["message"]["client_id"] == payload["client_id"]
    assert ack["message"]["author"]["name"] == "Tam Trainee"
    assert message_count() == 1
    (heard,) = received(b, "message")
    assert heard == ack["message"]
    assert received(a, "message") == [ack["message"]]  # the sender hears it too


def test_a_resend_is_acked_again_and_broadcast_once(
    joined, room: ChatSession, member: User, organiser: User
) -> None:
    a, b = joined(member), joined(organiser)
    payload = new_message(room)
    first = a.emit("send_message", payload, callback=True)
    again = a.emit("send_message", payload, callback=True)
    assert again == first
    assert len(received(b, "message")) == 1
    assert message_count() == 1


def test_join_returns_history_state_and_you(
    joined, socket_client, app: Flask, room: ChatSession, member: User, organiser: User
) -> None:
    a = joined(member)
    for i in range(3):
        a.emit("send_message", new_message(room, f"m{i}"), callback=True)
    b = socket_client(signed_in(app, organiser))
    ack = b.emit("join", {"session_id": room.id}, callback=True)
    assert [m["body"] for m in ack["messages"]] == ["m0", "m1", "m2"]
    assert ack["more_before"] is False and ack["more_after"] is False
    assert ack["state"]["state"] == "live"
    assert ack["you"] == {"id": organiser.id, "name": "Olu Organiser", "role": "organiser"}
    caught_up = b.emit("join", {"session_id": room.id, "last_seen_id": 1}, callback=True)
    assert [m["id"] for m in caught_up["messages"]] == [2, 3]


def test_history_pages_older_and_newer(joined, room: ChatSession, member: User) -> None:
    a = joined(member)
    for i in range(4):
        a.emit("send_message", new_message(room, f"m{i}"), callback=True)
    older = a.emit("history", {"session_id": room.id, "before_id": 3}, callback=True)
    assert [m["id"] for m in older["messages"]] == [1, 2]
    newer = a.emit("history", {"session_id": room.id, "after_id": 2}, callback=True)
    assert [m["id"] for m in newer["messages"]] == [3, 4]
    both = a.emit("history", {"session_id": room.id, "before_id": 3, "after_id": 1}, callback=True)
    assert both["error"]["code"] == "invalid"


def test_reactions_and_deletions_reach_the_room(
    joined, room: ChatSession, member: User, organiser: User
) -> None:
    a, b = joined(member), joined(organiser)
    sent = a.emit("send_message", new_message(room), callback=True)["message"]
    b.get_received()
    ack = b.emit(
        "react",
        {"session_id": room.id, "message_id": sent["id"], "reaction": "heart", "active": True},
        callback=True,
    )
    assert ack == {"ok": True, "counts": {"heart": 1, "thumbs_up": 0, "same_here": 0}}
    assert received(a, "reactions") == [
        {"session_id": room.id, "message_id": sent["id"], "counts": ack["counts"]}
    ]
    rejoin = a.emit("join", {"session_id": room.id}, callback=True)
    assert rejoin["messages"][0]["reactions"]["heart"] == 1
    assert b.emit("join", {"session_id": room.id}, callback=True)["my_reactions"] == {
        str(sent["id"]): ["heart"]
    }
    b.get_received()
    # its author deletes it (a moderator's removal leaves a tombstone: test_moderation.py)
    assert a.emit(
        "delete_message", {"session_id": room.id, "message_id": sent["id"]}, callback=True
    ) == {"ok": True}
    assert received(b, "message_deleted") == [
        {"session_id": room.id, "message_id": sent["id"], "removed_by": "author"}
    ]
    assert b.emit("join", {"session_id": room.id, "last_seen_id": 0}, callback=True)[
        "deleted_ids"
    ] == [sent["id"]]


def test_members_cannot_delete_others_messages(
    joined, room: ChatSession, member: User, organiser: User
) -> None:
    b = joined(organiser)
    sent = b.emit("send_message", new_message(room), callback=True)["message"]
    a = joined(member)
    ack = a.emit("delete_message", {"session_id": room.id, "message_id": sent["id"]}, callback=True)
    assert ack["error"]["code"] == "forbidden"
    assert a.emit("join", {"session_id": room.id}, callback=True)["messages"][0]["id"] == 1


SEND_ERRORS = [
    ({"body": ""}, "invalid"),
    ({"body": "   \n  "}, "invalid"),
    ({"body": "x" * 2001}, "invalid"),
    ({"body": "x" * 40_000}, "invalid"),
    ({"body": 42}, "invalid"),
    ({"body": None}, "invalid"),
    ({"body": ["hi"]}, "invalid"),
    ({"client_id": "not-a-uuid"}, "invalid"),
    ({"client_id": ""}, "invalid"),
    ({"client_id": None}, "invalid"),
    ({"client_id": 12345}, "invalid"),
    ({"reply_to": 0}, "invalid"),
    ({"reply_to": "1"}, "invalid"),
    ({"reply_to": 99}, "not_found"),
    ({"session_id": "1"}, "invalid"),
    ({"session_id": None}, "invalid"),
    ({"session_id": 999}, "not_found"),
]


@pytest.mark.parametrize(("change", "code"), SEND_ERRORS)
def test_send_errors_store_and_broadcast_nothing(
    joined, room: ChatSession, member: User, organiser: User, change: dict, code: str
) -> None:
    a, b = joined(member), joined(organiser)
    ack = a.emit("send_message", new_message(room) | change, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code and ack["error"]["message"]
    assert message_count() == 0
    assert received(b, "message") == []
    assert a.emit("send_message", new_message(room), callback=True)["ok"] is True  # still usable


@pytest.mark.parametrize("payload", [None, "hello", 42, ["x"]])
def test_non_object_payloads_are_invalid(joined, member: User, payload: object) -> None:
    ack = joined(member).emit("send_message", payload, callback=True)
    assert ack["error"]["code"] == "invalid"


def test_missing_fields_are_invalid(joined, room: ChatSession, member: User) -> None:
    a = joined(member)
    for missing in ("body", "client_id", "session_id"):
        payload = new_message(room)
        del payload[missing]
        assert a.emit("send_message", payload, callback=True)["error"]["code"] == "invalid"
    assert message_count() == 0


@pytest.mark.parametrize(
    ("minutes", "code"), [(-30, "room_closed"), (61, "room_closed"), (-10, None), (0, None)]
)
def test_sending_follows_the_room_state(
    joined, room: ChatSession, member: User, clock: Clock, minutes: int, code: str | None
) -> None:
    a = joined(member)
    clock.now = room.starts_at + timedelta(minutes=minutes)
    ack = a.emit("send_message", new_message(room), callback=True)
    assert (ack["ok"], ack.get("error", {}).get("code")) == (code is None, code)
    assert message_count() == (1 if code is None else 0)


@pytest.mark.parametrize("event", ["send_message", "history", "react", "delete_message"])
def test_events_need_a_joined_room(
    app: Flask, socket_client, room: ChatSession, member: User, event: str
) -> None:
    sio = socket_client(signed_in(app, member))
    payload = new_message(room) | {
        "message_id": 1,
        "reaction": "heart",
        "active": True,
        "before_id": 5,
    }
    assert sio.emit(event, payload, callback=True)["error"]["code"] == "forbidden"
    assert message_count() == 0


@pytest.mark.parametrize(
    ("join", "code"),
    [
        ({"last_seen_id": -1}, "invalid"),
        ({"last_seen_id": 5}, "invalid"),
        ({"last_seen_id": "3"}, "invalid"),
        ({"last_seen_id": 1.0}, "invalid"),
    ],
)
def test_join_rejects_bad_last_seen_ids(
    app: Flask, socket_client, room: ChatSession, member: User, join: dict, code: str
) -> None:
    sio = socket_client(signed_in(app, member))
    ack = sio.emit("join", {"session_id": room.id, **join}, callback=True)
    assert ack["error"]["code"] == code
    assert sio.emit("join", {"session_id": room.id, "last_seen_id": 0}, callback=True)["ok"]


def test_cancelled_rooms_are_forbidden_to_members(
    app: Flask, socket_client, room: ChatSession, member: User, organiser: User
) -> None:
    room.cancelled = True
    db.session.commit()
    sio = socket_client(signed_in(app, member))
    assert sio.emit("join", {"session_id": room.id}, callback=True)["error"]["code"] == "forbidden"
    staff = socket_client(signed_in(app, organiser))
    assert staff.emit("join", {"session_id": room.id}, callback=True)["ok"] is True


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"reaction": "angry"}, "invalid"),
        ({"reaction": None}, "invalid"),
        ({"active": "yes"}, "invalid"),
        ({"message_id": 99}, "not_found"),
        ({"message_id": 0}, "invalid"),
    ],
)
def test_react_errors(
    joined, room: ChatSession, member: User, organiser: User, change: dict, code: str
) -> None:
    a, b = joined(member), joined(organiser)
    a.emit("send_message", new_message(room), callback=True)
    b.get_received()
    payload = {"session_id": room.id, "message_id": 1, "reaction": "heart", "active": True}
    assert a.emit("react", payload | change, callback=True)["error"]["code"] == code
    assert received(b, "reactions") == []


def test_an_unauthenticated_socket_hears_nothing(
    app: Flask, socket_client, joined, room: ChatSession, member: User
) -> None:
    stranger = socket_client()
    a = joined(member)
    a.emit("send_message", new_message(room), callback=True)
    assert not stranger.is_connected()
    assert stranger.queue == []  # nothing was delivered to the refused socket


def test_a_first_join_shows_messages_as_they_are_now_without_corrections(
    joined, room: ChatSession, member: User, organiser: User
) -> None:
    a, b = joined(member), joined(organiser)
    sent = a.emit("send_message", new_message(room), callback=True)["message"]
    b.emit(
        "react",
        {"session_id": room.id, "message_id": sent["id"], "reaction": "heart", "active": True},
        callback=True,
    )
    edit = {"session_id": room.id, "message_id": sent["id"], "body": "Edited, thoughtfully."}
    assert a.emit("edit_message", edit, callback=True)["ok"]
    fresh = joined(member).emit("join", {"session_id": room.id}, callback=True)
    (shown,) = fresh["messages"]
    assert shown["body"] == "Edited, thoughtfully." and shown["edited"]
    assert shown["reactions"] == {"heart": 1, "thumbs_up": 0, "same_here": 0}
    assert (fresh["deleted_ids"], fresh["revised"], fresh["reaction_counts"]) == (None,) * 3


def test_rejoin_carries_current_reaction_counts(
    joined, room: ChatSession, member: User, organiser: User
) -> None:
    a, b = joined(member), joined(organiser)
    sent = a.emit("send_message", new_message(room), callback=True)["message"]
    a.disconnect()
    b.emit(
        "react",
        {"session_id": room.id, "message_id": sent["id"], "reaction": "same_here", "active": True},
        callback=True,
    )
    back = joined(member)
    ack = back.emit("join", {"session_id": room.id, "last_seen_id": sent["id"]}, callback=True)
    assert ack["messages"] == []
    assert ack["reaction_counts"] == {str(sent["id"]): {"heart": 0, "thumbs_up": 0, "same_here": 1}}


def test_joining_one_room_gives_no_voice_in_another_that_others_are_in(
    app: Flask, joined, socket_client, room: ChatSession, member: User, organiser: User
) -> None:
    other = make_session(db.session, organiser)
    elsewhere = socket_client(signed_in(app, organiser))
    assert elsewhere.emit("join", {"session_id": other.id}, callback=True)["ok"]
    here = joined(member)
    ack = here.emit("send_message", new_message(other), callback=True)
    assert ack["error"]["code"] == "forbidden"
    assert received(elsewhere, "message") == []
    assert here.emit("send_message", new_message(room), callback=True)["ok"]
