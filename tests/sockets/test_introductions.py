"""Introductions over Socket.IO: the join's offer, `introduce`, `skip_introduction` and the
"who's here" strip's `introductions`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import blocks
from tests.helpers import make_user
from tests.sockets.helpers import new_message, received, signed_in

DRAFT = "Hi, I'm Tam Trainee, a first-year trainee in integrative counselling."


@pytest.fixture
def trainee(member: User) -> User:
    member.training_stage = "Diploma or degree, year 1"
    member.modality = "integrative counselling"
    db.session.commit()
    return member


def join(app: Flask, socket_client: Any, room: ChatSession, user: User) -> tuple[Any, dict]:
    sio = socket_client(signed_in(app, user))
    ack = sio.emit("join", {"session_id": room.id}, callback=True)
    assert ack["ok"], ack
    sio.get_received()
    return sio, ack


def introduce(sio: Any, room: ChatSession, body: str = DRAFT, **extra: Any) -> dict:
    payload = {"session_id": room.id, "body": body, "client_id": str(uuid.uuid4()), **extra}
    ack: dict = sio.emit("introduce", payload, callback=True)
    return ack


def test_the_first_join_offers_the_draft_and_posting_ends_the_offer(
    app: Flask, socket_client: Any, room: ChatSession, trainee: User
) -> None:
    sio, ack = join(app, socket_client, room, trainee)
    assert ack["introduction"] == {"draft": DRAFT}
    assert ack["hidden_member_ids"] == []
    assert introduce(sio, room, "Hi, I'm Tam: new here!")["ok"]
    _, again = join(app, socket_client, room, trainee)
    assert again["introduction"] is None


def test_skipping_ends_the_offer_for_every_tab(
    app: Flask, socket_client: Any, room: ChatSession, trainee: User
) -> None:
    first, ack = join(app, socket_client, room, trainee)
    second, ack_second = join(app, socket_client, room, trainee)  # a second tab, same moment
    assert ack["introduction"] == ack_second["introduction"] == {"draft": DRAFT}
    skipped = first.emit("skip_introduction", {"session_id": room.id}, callback=True)
    assert skipped == {"ok": True, "choice": "skipped"}
    heard = [e["name"] for e in (*first.get_received(), *second.get_received())]
    assert set(heard) <= {"presence"}  # nobody hears of a skip
    _, third = join(app, socket_client, room, trainee)
    assert third["introduction"] is None
    refused = introduce(second, room)
    assert refused["error"]["code"] == "conflict", refused


def test_an_introduction_is_heard_by_the_room_as_kind_introduction(
    app: Flask, socket_client: Any, joined: Any, room: ChatSession, trainee: User, guest: User
) -> None:
    author, _ = join(app, socket_client, room, trainee)
    listener = joined(guest)
    ack = introduce(author, room, "Hi, I'm Tam.")
    assert ack["ok"], ack
    assert ack["message"]["kind"] == "introduction"
    assert received(listener, "message") == [ack["message"]]
    assert received(author, "message") == [ack["message"]]
    again = introduce(author, room, "Hi again")
    assert again["error"]["code"] == "conflict"
    assert received(listener, "message") == []


def test_staff_can_introduce_themselves(joined: Any, room: ChatSession, guest: User) -> None:
    ack = introduce(joined(guest), room, "I'm your guest tonight.")
    assert ack["ok"], ack
    assert ack["message"]["author"]["role"] == "facilitator"


def test_a_resend_is_acked_with_the_stored_introduction_once(
    joined: Any, room: ChatSession, trainee: User, guest: User
) -> None:
    author, listener = joined(trainee), joined(guest)
    payload = {"session_id": room.id, "body": "Hi", "client_id": str(uuid.uuid4())}
    first = author.emit("introduce", payload, callback=True)
    again = author.emit("introduce", payload, callback=True)
    assert again == first
    assert len(received(listener, "message")) == 1


def test_an_outsider_who_has_not_joined_is_refused(
    app: Flask, socket_client: Any, room: ChatSession, trainee: User
) -> None:
    outsider = socket_client(signed_in(app, trainee))
    for event, extra in (
        ("introduce", {"body": "Hi", "client_id": str(uuid.uuid4())}),
        ("skip_introduction", {}),
        ("introductions", {}),
    ):
        ack = outsider.emit(event, {"session_id": room.id, **extra}, callback=True)
        assert ack["error"]["code"] == "forbidden", (event, ack)
    _, joined_ack = join(app, socket_client, room, trainee)
    assert joined_ack["introduction"] == {"draft": DRAFT}  # nothing was recorded


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"body": "Hi"}, "invalid"),  # no client_id
        ({"body": "Hi", "client_id": "not-a-uuid"}, "invalid"),
        ({"body": 5, "client_id": str(uuid.uuid4())}, "invalid"),
        ({"body": " ", "client_id": str(uuid.uuid4())}, "invalid"),
        ({"body": "x" * 2001, "client_id": str(uuid.uuid4())}, "invalid"),
        ({"session_id": 999, "body": "Hi", "client_id": str(uuid.uuid4())}, "not_found"),
    ],
)
def test_bad_introductions_are_refused(
    joined: Any, room: ChatSession, trainee: User, payload: dict, code: str
) -> None:
    sio = joined(trainee)
    ack = sio.emit("introduce", {"session_id": room.id, **payload}, callback=True)
    assert ack["error"]["code"] == code, ack


def test_the_strip_and_the_join_leave_out_members_hidden_by_a_block(
    app: Flask, socket_client: Any, joined: Any, room: ChatSession, trainee: User, clock: Any
) -> None:
    kit = make_user(db.session, "kit@example.org", "Kit")
    sam = make_user(db.session, "sam@example.org", "Sam")
    for who in (trainee, kit, sam):
        assert introduce(joined(who), room, f"Hi, I'm {who.display_name}")["ok"]
    assert joined(kit).emit("send_message", new_message(room, "plain"), callback=True)["ok"]
    blocks.block(db.session, sam, trainee.id, clock.now)
    viewer, ack = join(app, socket_client, room, sam)
    assert ack["hidden_member_ids"] == [trainee.id]
    strip = viewer.emit("introductions", {"session_id": room.id}, callback=True)
    assert [i["author"]["name"] for i in strip["introductions"]] == ["Kit", "Sam"]
    assert strip["more_before"] is False
    everyone = joined(kit).emit("introductions", {"session_id": room.id}, callback=True)
    assert len(everyone["introductions"]) == 3
