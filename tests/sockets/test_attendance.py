"""Visits recorded by real Socket.IO connections: join opens one per connection, leave and
disconnect close it, and a member's minutes add up across tabs and reconnects."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from chat.extensions import db
from chat.models import ChatSession, User, Visit
from chat.services import attendance
from tests.helpers import Clock, make_session
from tests.sockets.helpers import signed_in


def at(room: ChatSession, minutes: float) -> datetime:
    return room.starts_at + timedelta(minutes=minutes)


def visits(user: User) -> list[tuple[datetime, datetime | None]]:
    """`user`'s visits as (joined, left), oldest first."""
    db.session.expire_all()
    rows = db.session.scalars(select(Visit).where(Visit.user_id == user.id).order_by(Visit.id))
    return [(v.joined_at, v.left_at) for v in rows]


def minutes_present(user: User, room: ChatSession, now: datetime) -> int:
    return attendance.standing(db.session, user, room, now, 75).minutes


def join(sio, room: ChatSession) -> dict:
    return sio.emit("join", {"session_id": room.id}, callback=True)


def test_join_opens_a_visit_and_leave_closes_it(
    app: Flask, socket_client, room: ChatSession, member: User, clock: Clock
) -> None:
    sio = socket_client(signed_in(app, member))
    clock.now = at(room, 2)
    assert join(sio, room)["ok"]
    assert visits(member) == [(at(room, 2), None)]
    clock.now = at(room, 7)
    assert join(sio, room)["ok"]  # a re-join on the same connection (roles_changed)
    assert visits(member) == [(at(room, 2), None)]
    clock.now = at(room, 30)
    assert sio.emit("leave", {"session_id": room.id}, callback=True) == {"ok": True}
    assert visits(member) == [(at(room, 2), at(room, 30))]
    clock.now = at(room, 40)
    assert join(sio, room)["ok"]  # back on the same connection: a second visit
    assert visits(member) == [(at(room, 2), at(room, 30)), (at(room, 40), None)]
    assert minutes_present(member, room, at(room, 50)) == 38


def test_disconnect_closes_the_visit_and_a_reconnect_adds_up(
    app: Flask, socket_client, room: ChatSession, member: User, clock: Clock
) -> None:
    browser = signed_in(app, member)
    first = socket_client(browser)
    clock.now = at(room, -5)  # in the lobby before the start: not counted
    assert join(first, room)["ok"]
    clock.now = at(room, 20)
    first.disconnect()
    assert visits(member) == [(at(room, -5), at(room, 20))]
    clock.now = at(room, 25)  # the network came back: a new connection
    second = socket_client(browser)
    assert join(second, room)["ok"]
    clock.now = at(room, 45)
    second.disconnect()
    assert visits(member) == [(at(room, -5), at(room, 20)), (at(room, 25), at(room, 45))]
    assert minutes_present(member, room, at(room, 61)) == 40
    assert attendance.eligible(db.session, member, room, at(room, 61), 75) is False


def test_two_tabs_overlap_and_count_once(
    app: Flask, socket_client, room: ChatSession, member: User, clock: Clock
) -> None:
    clock.now = at(room, 0)
    tab_one = socket_client(signed_in(app, member))
    assert join(tab_one, room)["ok"]
    clock.now = at(room, 10)
    tab_two = socket_client(signed_in(app, member))
    assert join(tab_two, room)["ok"]
    clock.now = at(room, 40)
    tab_one.disconnect()
    assert [left is None for _, left in visits(member)] == [False, True]
    clock.now = at(room, 50)
    tab_two.disconnect()
    assert minutes_present(member, room, at(room, 61)) == 50
    assert attendance.eligible(db.session, member, room, at(room, 61), 75) is True


def test_each_room_on_one_connection_has_its_own_visit(
    app: Flask, socket_client, room: ChatSession, member: User, organiser: User, clock: Clock
) -> None:
    other = make_session(db.session, organiser)
    sio = socket_client(signed_in(app, member))
    assert join(sio, room)["ok"] and join(sio, other)["ok"]
    clock.now = at(room, 10)
    sio.emit("leave", {"session_id": other.id}, callback=True)
    db.session.expire_all()
    open_rooms = db.session.scalars(select(Visit.session_id).where(Visit.left_at.is_(None)))
    assert list(open_rooms) == [room.id]
    sio.disconnect()
    assert all(left is not None for _, left in visits(member))


def test_a_removed_members_visit_closes_when_their_rejoin_is_refused(
    joined, room: ChatSession, member: User, guest: User, clock: Clock
) -> None:
    tam, maya = joined(member), joined(guest)
    clock.now = at(room, 15)
    removal = {"session_id": room.id, "user_id": member.id, "reason": "Hostile"}
    assert maya.emit("remove_member", removal, callback=True) == {"ok": True}
    assert join(tam, room)["error"]["code"] == "forbidden"  # the browser re-joins; refused
    assert visits(member) == [(at(room, 1), at(room, 15))]
    assert visits(guest) == [(at(room, 1), None)]
