"""Socket.IO: who may connect, `join`/`leave` acks, presence and state broadcasts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask

from chat.extensions import db
from chat.models import ChatSession, User
from chat.realtime import clock as clock_task
from chat.services import accounts, schedule
from tests.helpers import START, Clock, make_user
from tests.sockets.helpers import signed_in


@pytest.fixture
def session(organiser: User) -> ChatSession:
    form = schedule.SessionInput(
        "Endings", datetime(2026, 12, 1, 20, 0), datetime(2026, 12, 1, 21, 0), "Europe/London"
    )
    return schedule.create_session(db.session, organiser, form, START)


def events(sio, name: str) -> list:
    return [e["args"][0] for e in sio.get_received() if e["name"] == name]


def test_anonymous_sockets_are_refused(app: Flask, socket_client, session: ChatSession) -> None:
    sio = socket_client()
    assert not sio.is_connected()
    bad_token = socket_client(auth={"token": "tt_not-a-token"})
    assert not bad_token.is_connected()


def test_cookie_and_token_both_connect(
    app: Flask, socket_client, member: User, session: ChatSession
) -> None:
    by_cookie = socket_client(signed_in(app, member))
    token = accounts.issue_api_token(db.session, member, START)
    by_token = socket_client(auth={"token": token})
    for sio in (by_cookie, by_token):
        assert sio.is_connected()
        ack = sio.emit("join", {"session_id": session.id}, callback=True)
        assert ack["ok"] is True
        assert ack["state"]["state"] == "scheduled"
        assert ack["state"]["session_id"] == session.id


def test_everyone_hears_the_count_and_only_staff_hear_names(
    app: Flask, socket_client, member: User, organiser: User, session: ChatSession
) -> None:
    first = socket_client(signed_in(app, member))
    first_ack = first.emit("join", {"session_id": session.id}, callback=True)
    assert first_ack["presence"] == {"session_id": session.id, "count": 1}
    first.get_received()
    second = socket_client(signed_in(app, organiser))
    ack = second.emit("join", {"session_id": session.id}, callback=True)
    assert ack["presence"]["count"] == 2
    assert [p["name"] for p in ack["presence"]["people"]] == ["Olu Organiser", "Tam Trainee"]
    assert events(first, "presence") == [{"session_id": session.id, "count": 2}]
    # a second tab of the same person does not count twice
    third = socket_client(signed_in(app, member))
    assert third.emit("join", {"session_id": session.id}, callback=True)["presence"]["count"] == 2
    assert events(second, "presence")[-1]["count"] == 2
    third.disconnect()
    assert events(second, "presence")[-1]["people"] == [
        {"id": organiser.id, "name": "Olu Organiser"},
        {"id": member.id, "name": "Tam Trainee"},
    ]
    first.emit("leave", {"session_id": session.id}, callback=True)
    assert events(second, "presence")[-1]["people"] == [
        {"id": organiser.id, "name": "Olu Organiser"}
    ]
    assert all("people" not in p for p in events(first, "presence"))


BAD_PAYLOADS = [
    (None, "invalid"),
    ("1", "invalid"),
    ({}, "invalid"),
    ({"session_id": "1"}, "invalid"),
    ({"session_id": True}, "invalid"),
    ({"session_id": -3}, "invalid"),
    ({"session_id": 1.5}, "invalid"),
]


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [("join", p, c) for p, c in [*BAD_PAYLOADS, ({"session_id": 999}, "not_found")]]
    + [("leave", p, c) for p, c in BAD_PAYLOADS],
)
def test_bad_payloads_get_an_error_ack(
    app: Flask, socket_client, member: User, session: ChatSession, event: str, payload, code: str
) -> None:
    sio = socket_client(signed_in(app, member))
    ack = sio.emit(event, payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code and ack["error"]["message"]
    assert events(sio, "presence") == []
    # the connection stays usable
    assert sio.emit("join", {"session_id": session.id}, callback=True)["ok"] is True


def test_state_changes_reach_the_page(
    app: Flask, socket_client, member: User, organiser: User, session: ChatSession, clock: Clock
) -> None:
    watcher = socket_client(signed_in(app, member))
    watcher.emit("join", {"session_id": session.id}, callback=True)
    clock.now = session.starts_at - timedelta(minutes=15)
    assert clock_task.tick(app) == 1
    assert [s["state"] for s in events(watcher, "state")] == ["lobby"]
    assert clock_task.tick(app) == 0
    steering = socket_client(signed_in(app, organiser))
    steering.emit("join", {"session_id": session.id}, callback=True)
    assert steering.emit("open_room", {"session_id": session.id}, callback=True)["ok"]
    (live,) = events(watcher, "state")
    assert live["state"] == "live" and live["starts_at"] == clock.now.isoformat()
    assert steering.emit("end_session", {"session_id": session.id}, callback=True)["ok"]
    assert [s["state"] for s in events(watcher, "state")] == ["ended"]


def test_other_rooms_hear_nothing(
    app: Flask, socket_client, member: User, organiser: User, session: ChatSession, clock: Clock
) -> None:
    other = schedule.create_session(
        db.session,
        organiser,
        schedule.SessionInput(
            "Other", datetime(2026, 12, 8, 20, 0), datetime(2026, 12, 8, 21, 0), "Europe/London"
        ),
        START,
    )
    watcher = socket_client(signed_in(app, member))
    watcher.emit("join", {"session_id": other.id}, callback=True)
    watcher.get_received()
    make_user(db.session, "x@example.org")
    socket_client(signed_in(app, organiser)).emit("join", {"session_id": session.id}, callback=True)
    clock.now = session.starts_at
    clock_task.tick(app)
    assert watcher.get_received() == []
