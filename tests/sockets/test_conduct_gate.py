"""`join` refuses anyone who has not accepted the group agreement in force."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import conduct
from tests.helpers import Clock
from tests.sockets.helpers import received, signed_in


def refusal(version_id: int) -> dict[str, object]:
    return {
        "ok": False,
        "error": {
            "code": "forbidden",
            "message": "Please read and accept the group agreement first.",
            "agreement_version": version_id,
        },
    }


def test_join_is_refused_until_the_agreement_is_accepted(
    app: Flask, socket_client, room: ChatSession, organiser: User, member: User, clock: Clock
) -> None:
    version, _ = conduct.publish(db.session, organiser, "Be kind.", clock.now)
    sio = socket_client(signed_in(app, member))
    refused = sio.emit("join", {"session_id": room.id}, callback=True)
    assert refused == refusal(version.id)
    # Refused before joining: the socket is not in the room, so it may not act in it.
    assert (
        sio.emit("history", {"session_id": room.id, "after_id": 0}, callback=True)["error"]["code"]
        == "forbidden"
    )
    assert received(sio, "presence") == []

    conduct.accept(db.session, member, version.id, clock.now)
    joined = sio.emit("join", {"session_id": room.id}, callback=True)
    assert joined["ok"] and joined["you"]["id"] == member.id


def test_a_new_version_applies_from_the_next_join(
    app: Flask, socket_client, room: ChatSession, organiser: User, guest: User, clock: Clock
) -> None:
    first, _ = conduct.publish(db.session, organiser, "Be kind.", clock.now)
    conduct.accept(db.session, guest, first.id, clock.now)
    sio = socket_client(signed_in(app, guest))
    assert sio.emit("join", {"session_id": room.id}, callback=True)["ok"]

    second, _ = conduct.publish(
        db.session, organiser, "Be kind. No screenshots.", clock.now + timedelta(minutes=1)
    )
    # Staff are asked too; a reconnect (join with last_seen_id) is refused the same way.
    again = sio.emit("join", {"session_id": room.id, "last_seen_id": 0}, callback=True)
    assert again == refusal(second.id)
