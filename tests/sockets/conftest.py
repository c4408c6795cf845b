"""Fixtures for socket tests: a live session with a guest facilitator, joined clients."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from chat.extensions import db
from chat.models import ChatSession, User
from tests.helpers import Clock, make_session, make_user
from tests.sockets.helpers import signed_in


@pytest.fixture
def guest(app: Flask) -> User:
    """The guest facilitator of `room`."""
    return make_user(db.session, "guest@example.org", "Dr Guest")


@pytest.fixture
def room(organiser: User, guest: User, clock: Clock) -> ChatSession:
    """A session facilitated by `guest`, live one minute in."""
    session = make_session(db.session, organiser, guest)
    clock.now = session.starts_at + timedelta(minutes=1)
    return session


@pytest.fixture
def joined(app: Flask, socket_client, room: ChatSession):
    """Connect `user`, join the room and drop what joining broadcast."""

    def connect(user: User, **join: object):
        sio = socket_client(signed_in(app, user))
        ack = sio.emit("join", {"session_id": room.id, **join}, callback=True)
        assert ack["ok"], ack
        sio.get_received()
        return sio

    return connect
