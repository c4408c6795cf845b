"""Helpers for Socket.IO handler tests."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from chat.models import ChatSession, User
from tests.helpers import PASSWORD


def signed_in(app: Flask, user: User) -> FlaskClient:
    """A Flask test client signed in as `user` through the real form."""
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def received(sio: Any, name: str) -> list:
    """The payloads of the events called `name` that `sio` heard since the last call."""
    # Flask-SocketIO's test client unwraps the args of events named "message".
    return [
        e["args"] if e["name"] == "message" else e["args"][0]
        for e in sio.get_received()
        if e["name"] == name
    ]


def new_message(room: ChatSession, body: str = "hello", **extra: object) -> dict:
    """A `send_message` payload with a fresh client_id."""
    return {"session_id": room.id, "body": body, "client_id": str(uuid.uuid4()), **extra}
