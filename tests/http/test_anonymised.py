"""Anonymised transcript downloads: organisers only, after the end, names replaced."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import jsonschema
import pytest
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import ChatSession, Message, User
from chat.services import messages
from tests.conftest import Auth
from tests.helpers import Clock, make_session, make_user

LOBBY = 15
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "transcript.schema.json").read_text()
)


@pytest.fixture
def guest(app: Any) -> User:
    return make_user(db.session, "guest@example.org", "Dr Guest")


@pytest.fixture
def room(organiser: User, guest: User, member: User) -> ChatSession:
    """Endings, facilitated by Dr Guest: Tam Trainee names Kit; Kit withdraws a message."""
    session = make_session(db.session, organiser, guest)
    kit = make_user(db.session, "kit@example.org", "Kit Lee")

    def say(user: User, body: str, minute: int) -> None:
        at = session.starts_at + timedelta(minutes=minute)
        messages.send_message(db.session, user, session, body, str(uuid4()), None, at, LOBBY)

    say(guest, "Welcome, I am Dr Guest", 1)
    say(member, "Hello Kit Lee!", 2)
    say(kit, '=HYPERLINK("x") I\'m Kit from Leeds', 3)
    say(kit, "Hi Tam Trainee", 4)
    db.session.query(Message).filter_by(seq=3).update({"consent": "withdraw"})
    db.session.commit()
    return session


def url(room: ChatSession, fmt: str) -> str:
    return f"/organise/sessions/{room.id}/transcript-anonymised.{fmt}"


@pytest.fixture
def ended(room: ChatSession, clock: Clock) -> ChatSession:
    clock.now = room.starts_at + timedelta(minutes=90)
    return room


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("md", "text/markdown; charset=utf-8"),
        ("json", "application/json"),
        ("csv", "text/csv; charset=utf-8"),
    ],
)
def test_organisers_download_each_format_without_a_name(
    client: FlaskClient, auth: Auth, organiser: User, ended: ChatSession, fmt: str, content_type
) -> None:
    auth.login(organiser.email)
    response = client.get(url(ended, fmt))
    assert response.status_code == 200
    assert response.content_type == content_type
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="traineetalk-session-{ended.id}-anonymised.{fmt}"'
    )
    text = response.get_data(as_text=True)
    for name in ("Guest", "Tam", "Kit", "Leeds"):
        assert name not in text, name
    assert "Participant 1" in text and "Participant 2" in text and "Facilitator" in text


def test_the_json_keeps_the_transcript_schema_and_the_csv_stays_text(
    client: FlaskClient, auth: Auth, organiser: User, ended: ChatSession
) -> None:
    auth.login(organiser.email)
    data = json.loads(client.get(url(ended, "json")).get_data(as_text=True))
    jsonschema.validate(data, SCHEMA)
    assert [(m["id"], m["author"]["name"], m["body"]) for m in data["messages"]] == [
        (1, "Facilitator", "Welcome, I am Facilitator"),
        (2, "Participant 1", "Hello Participant 2!"),
        (4, "Participant 2", "Hi Participant 1"),
    ]
    rows = list(csv.DictReader(io.StringIO(client.get(url(ended, "csv")).get_data(as_text=True))))
    assert [row["author"] for row in rows] == ["Facilitator", "Participant 1", "Participant 2"]
    assert all(row["pronouns"] == "" for row in rows)


def test_before_the_end_it_is_a_conflict(
    client: FlaskClient, auth: Auth, organiser: User, room: ChatSession, clock: Clock
) -> None:
    clock.now = room.starts_at + timedelta(minutes=30)
    auth.login(organiser.email)
    response = client.get(url(room, "json"))
    assert response.status_code == 409
    assert "once the session has ended" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["guest", "member"])
def test_facilitators_and_members_are_refused(
    client: FlaskClient, auth: Auth, ended: ChatSession, request: pytest.FixtureRequest, who: str
) -> None:
    auth.login(request.getfixturevalue(who).email)
    assert client.get(url(ended, "md")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, ended: ChatSession) -> None:
    response = client.get(url(ended, "md"))
    assert response.status_code == 302 and response.location.startswith("/login")


def test_an_unknown_format_is_not_found(
    client: FlaskClient, auth: Auth, organiser: User, ended: ChatSession
) -> None:
    auth.login(organiser.email)
    response = client.get(url(ended, "pdf"))
    assert response.status_code == 404
    assert ".md, .json, .csv" in response.get_data(as_text=True)


def test_the_session_page_links_to_it_once_the_session_has_ended(
    client: FlaskClient, auth: Auth, organiser: User, room: ChatSession, clock: Clock
) -> None:
    auth.login(organiser.email)
    page = f"/organise/sessions/{room.id}/edit"
    assert url(room, "md") not in client.get(page).get_data(as_text=True)
    clock.now = room.starts_at + timedelta(minutes=90)
    assert url(room, "md") in client.get(page).get_data(as_text=True)
