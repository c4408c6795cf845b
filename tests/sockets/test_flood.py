"""Flood control on `send_message`: a burst limit per member and no identical repeats;
organisers and the session's facilitators are exempt."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from chat.extensions import db
from chat.models import ChatSession, Message, User
from tests.helpers import Clock, make_user
from tests.sockets.helpers import new_message, received


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Message)) or 0


def test_a_sixth_message_inside_the_window_waits_and_is_not_stored(
    joined, member: User, guest: User, room: ChatSession, clock: Clock
) -> None:
    writer, reader = joined(member), joined(guest)
    first = writer.emit("send_message", new_message(room, "one"), callback=True)
    for body in ("two", "three", "four", "five"):
        assert writer.emit("send_message", new_message(room, body), callback=True)["ok"]
    reader.get_received()

    sixth = new_message(room, "six")
    refused = writer.emit("send_message", sixth, callback=True)
    assert refused["ok"] is False
    assert refused["error"]["code"] == "rate_limited"
    assert refused["error"]["retry_after"] == 2  # 5 per 10 s: one more every 2 s
    assert stored() == 5 and received(reader, "message") == []

    # Resending a message that was stored is not a new message: acked, not refused.
    again = writer.emit("send_message", new_message(room, "one") | {
        "client_id": first["message"]["client_id"]}, callback=True)  # fmt: skip
    assert again == first

    clock.now += timedelta(seconds=2)
    retried = writer.emit("send_message", sixth, callback=True)  # the outbox's retry
    assert retried["ok"] and retried["message"]["body"] == "six"
    assert [m["body"] for m in received(reader, "message")] == ["six"]


def test_facilitators_and_organisers_are_not_limited(
    joined, guest: User, organiser: User, room: ChatSession
) -> None:
    for user in (guest, organiser):
        sio = joined(user)
        for n in range(8):
            ack = sio.emit("send_message", new_message(room, f"{user.id} says {n}"), callback=True)
            assert ack["ok"], ack
    assert stored() == 16


def test_each_member_has_their_own_allowance(joined, member: User, room: ChatSession) -> None:
    other = joined(make_user(db.session, "other@example.org", "Other"))
    writer = joined(member)
    for n in range(5):
        assert writer.emit("send_message", new_message(room, f"m{n}"), callback=True)["ok"]
    assert other.emit("send_message", new_message(room, "my first"), callback=True)["ok"]


def test_the_same_text_again_is_refused_until_the_window_passes(
    joined, member: User, room: ChatSession, clock: Clock
) -> None:
    writer = joined(member)
    assert writer.emit("send_message", new_message(room, "Same here!"), callback=True)["ok"]
    repeat = writer.emit("send_message", new_message(room, "Same here!"), callback=True)
    assert repeat["error"]["code"] == "conflict"
    assert "exactly this" in repeat["error"]["message"]
    assert stored() == 1
    clock.now += timedelta(seconds=30)
    assert writer.emit("send_message", new_message(room, "Same here!"), callback=True)["ok"]
