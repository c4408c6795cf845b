"""Moderation over Socket.IO: the mute, remove and ban cycles with their undo, end to end
with real test clients; tombstones, edits and sensitive messages as the room sees them."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, g

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import accounts
from tests.helpers import PASSWORD, Clock
from tests.sockets.helpers import new_message, received, signed_in


def forget_loaded_user() -> None:
    """The tests share one app context, where Flask-Login caches the last user it loaded:
    forget it, so the next request or connection loads its user afresh, as in production."""
    g.pop("_login_user", None)


def emit(sio, event: str, room: ChatSession, **payload: object) -> dict:
    return sio.emit(event, {"session_id": room.id, **payload}, callback=True)


def test_a_muted_member_is_refused_then_writes_again_after_unmute_or_when_time_is_up(
    joined, room: ChatSession, member: User, guest: User, clock: Clock
) -> None:
    tam, maya = joined(member), joined(guest)
    assert emit(maya, "mute_member", room, user_id=member.id, minutes=10, reason="Cool off") == {
        "ok": True
    }
    until = (clock.now + timedelta(minutes=10)).isoformat()
    assert received(tam, "moderation_notice") == [
        {"action": "mute", "session_id": room.id, "reason": "Cool off", "until": until}
    ]
    (listed,) = received(maya, "sanctions")
    assert [(s["kind"], s["user"]["id"]) for s in listed["sanctions"]] == [("mute", member.id)]
    refused = tam.emit("send_message", new_message(room, "but wait"), callback=True)
    assert refused["error"]["code"] == "forbidden" and refused["error"]["until"] == until
    assert "Cool off" in refused["error"]["message"]
    assert received(maya, "message") == []  # nothing reached the room

    assert emit(maya, "unmute_member", room, user_id=member.id) == {"ok": True}
    assert received(tam, "moderation_notice")[0]["action"] == "unmute"
    assert tam.emit("send_message", new_message(room, "thanks"), callback=True)["ok"]

    emit(maya, "mute_member", room, user_id=member.id, minutes=5, reason="Again")
    assert not tam.emit("send_message", new_message(room, "no"), callback=True)["ok"]
    clock.now += timedelta(minutes=5, seconds=1)
    assert tam.emit("send_message", new_message(room, "back"), callback=True)["ok"]


def test_a_removed_member_stops_hearing_the_room_and_cannot_rejoin_until_readmitted(
    joined, room: ChatSession, member: User, guest: User, organiser: User
) -> None:
    tam, maya, olu = joined(member), joined(guest), joined(organiser)
    assert emit(maya, "remove_member", room, user_id=member.id, reason="Hostile") == {"ok": True}
    heard = [(e["name"], e["args"][0]) for e in tam.get_received() if e["name"] != "presence"]
    assert heard == [
        ("moderation_notice", {"action": "remove", "session_id": room.id, "reason": "Hostile"}),
        ("roles_changed", {"session_id": room.id}),
    ]
    # everyone re-joins (as the browser does on `roles_changed`); the removed member cannot
    assert received(olu, "roles_changed") == [{"session_id": room.id}]
    assert emit(olu, "join", room, last_seen_id=0)["ok"]
    assert emit(maya, "join", room, last_seen_id=0)["ok"]
    again = emit(tam, "join", room)
    assert again["error"] == {
        "code": "forbidden",
        "message": "You were removed from this session: Hostile",
    }
    olu.emit("send_message", new_message(room, "Carrying on"), callback=True)
    assert received(tam, "message") == []
    refused = tam.emit("send_message", new_message(room, "let me back"), callback=True)
    assert refused["error"]["code"] == "forbidden"

    assert emit(maya, "readmit_member", room, user_id=member.id) == {"ok": True}
    assert received(tam, "moderation_notice")[0]["action"] == "readmit"
    assert emit(tam, "join", room)["ok"]
    olu.emit("send_message", new_message(room, "Welcome back"), callback=True)
    assert [m["body"] for m in received(tam, "message")] == ["Welcome back"]


def test_a_banned_member_cannot_connect_or_sign_in_until_unbanned(
    app: Flask, socket_client, joined, room: ChatSession, member: User, guest: User, organiser
) -> None:
    browser = signed_in(app, member)
    tam = joined(member)
    maya, olu = joined(guest), joined(organiser)
    refused = emit(maya, "ban_member", room, user_id=member.id, reason="Abuse")
    assert refused["error"]["code"] == "forbidden"  # facilitators cannot ban
    assert emit(olu, "ban_member", room, user_id=member.id, reason="Abusive messages") == {
        "ok": True
    }
    assert received(tam, "moderation_notice")[0] == {
        "action": "ban",
        "session_id": room.id,
        "reason": "Abusive messages",
    }
    assert emit(tam, "join", room)["error"]["code"] == "forbidden"
    assert tam.emit("send_message", new_message(room), callback=True)["error"]["code"] in (
        "forbidden",
        "unauthenticated",
    )
    # an existing sign-in stops working; a new one is refused with the reason
    forget_loaded_user()
    assert browser.get("/profile").status_code == 302
    forget_loaded_user()
    assert not socket_client(browser).is_connected()
    page = app.test_client().post("/login", data={"email": member.email, "password": PASSWORD})
    assert page.status_code == 403 and b"Abusive messages" in page.data
    token = accounts.issue_api_token(db.session, member, room.starts_at)
    assert not socket_client(auth={"token": token}).is_connected()

    assert emit(olu, "unban_member", room, user_id=member.id) == {"ok": True}
    forget_loaded_user()
    back = socket_client(browser)
    assert back.is_connected()
    assert emit(back, "join", room)["ok"]


def test_the_room_sees_a_tombstone_the_author_hears_why_and_staff_restore_it(
    joined, room: ChatSession, member: User, guest: User, organiser: User
) -> None:
    tam, maya, olu = joined(member), joined(guest), joined(organiser)
    sent = tam.emit("send_message", new_message(room, "Jo, my client in Leeds"), callback=True)
    message_id = sent["message"]["id"]
    for sio in (tam, maya, olu):
        sio.get_received()
    removal = emit(olu, "delete_message", room, message_id=message_id, reason="Confidentiality")
    assert removal == {"ok": True}
    (event,) = received(maya, "message_deleted")
    assert event["removed_by"] == "moderator" and event["message"]["removed"] == "moderator"
    assert event["message"]["body"] == ""
    heard = tam.get_received()
    assert {e["name"] for e in heard} == {"message_deleted", "moderation_notice"}
    notice = next(e["args"][0] for e in heard if e["name"] == "moderation_notice")
    assert notice["reason"] == "Confidentiality" and notice["message_id"] == message_id
    # a newcomer sees the tombstone in its place; a returning client gets it in `revised`
    fresh = emit(maya, "join", room)
    assert [m["removed"] for m in fresh["messages"]] == ["moderator"]
    returning = emit(tam, "join", room, last_seen_id=message_id)
    assert returning["messages"] == [] and returning["deleted_ids"] == []
    assert [m["id"] for m in returning["revised"]] == [message_id]
    assert returning["sanctions"] is None and fresh["sanctions"] == []

    assert emit(tam, "restore_message", room, message_id=message_id)["error"]["code"] == (
        "forbidden"
    )
    assert emit(maya, "restore_message", room, message_id=message_id) == {"ok": True}
    (back,) = received(olu, "message_edited")
    assert back["body"] == "Jo, my client in Leeds" and back["removed"] is None


def test_edits_and_sensitive_marks_reach_the_room(
    joined, room: ChatSession, member: User, guest: User, clock: Clock
) -> None:
    tam, maya = joined(member), joined(guest)
    sent = tam.emit("send_message", new_message(room, "Endigns"), callback=True)["message"]
    maya.get_received()
    ack = emit(tam, "edit_message", room, message_id=sent["id"], body="Endings")
    assert ack["ok"] and ack["message"]["edited"] is True
    (edited,) = received(maya, "message_edited")
    assert edited == ack["message"]
    ack = emit(maya, "set_sensitive", room, message_id=sent["id"], sensitive=True)
    assert ack["ok"] and ack["message"]["sensitive"] is True
    assert received(tam, "message_edited")[-1]["sensitive"] is True
    clock.now += timedelta(minutes=6)
    late = emit(tam, "edit_message", room, message_id=sent["id"], body="Endings, again")
    assert late["error"]["code"] == "forbidden"
    noted = emit(maya, "edit_message", room, message_id=sent["id"], body="Endings.", note="Typo")
    assert noted["message"]["moderator_note"] == "Typo"
    assert received(tam, "moderation_notice")[-1]["action"] == "edit_message"
