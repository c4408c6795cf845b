"""Transcript downloads over HTTP: permissions, content types, and each format's body."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import jsonschema
import pytest
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import messages, questions, schedule
from tests.helpers import START, Clock, make_user

LOBBY = 15
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "transcript.schema.json").read_text()
)
TRICKY = 'Silence, "comfortable" or not,\nstill speaks.'
HOSTILE = "<script>alert(1)</script> & <b>bold</b>"


@pytest.fixture
def facilitator(app: Any) -> User:
    return make_user(db.session, "maya@example.org", "Dr Maya Okafor")


@pytest.fixture
def session(organiser: User, facilitator: User) -> ChatSession:
    """Tuesday 1 December 2026, 20:00 to 21:00 in New York (UTC-5 in winter)."""
    form = schedule.SessionInput(
        "Working with silence",
        datetime(2026, 12, 1, 20, 0),
        datetime(2026, 12, 1, 21, 0),
        "America/New_York",
        facilitator_emails=(facilitator.email,),
    )
    return schedule.create_session(db.session, organiser, form, START)


def at(session: ChatSession, minutes: int) -> datetime:
    return session.starts_at + timedelta(minutes=minutes)


def say(user: User, session: ChatSession, body: str, minute: int) -> int:
    sent, _ = messages.send_message(
        db.session, user, session, body, str(uuid4()), None, at(session, minute), LOBBY
    )
    return int(sent["id"])


@pytest.fixture
def chat(session: ChatSession, facilitator: User, member: User) -> ChatSession:
    """Three messages, the second deleted, the first with a heart."""
    question = say(facilitator, session, "Q1: What stirs in you when a client goes quiet?", 3)
    stray = say(member, session, "Oops, wrong room", 4)
    say(member, session, HOSTILE, 5)
    say(member, session, TRICKY, 6)
    messages.react(db.session, member, session, question, "heart", True, at(session, 7), LOBBY)
    messages.delete_message(db.session, member, session, stray, at(session, 8))
    return session


@pytest.fixture
def ended(chat: ChatSession, clock: Clock) -> ChatSession:
    clock.now = at(chat, 90)
    return chat


def download(client: FlaskClient, auth: Any, user: User, session: ChatSession, fmt: str) -> Any:
    auth.login(user.email)
    response = client.get(f"/sessions/{session.id}/transcript.{fmt}")
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    ("who", "path", "minutes_from_start", "status"),
    [
        ("organiser", "/sessions/{id}/transcript.md", -120, 200),
        ("organiser", "/sessions/{id}/transcript.md", 30, 200),
        ("organiser", "/sessions/{id}/transcript.md", 90, 200),
        ("facilitator", "/sessions/{id}/transcript.html", -120, 200),
        ("facilitator", "/sessions/{id}/transcript.csv", 30, 200),
        ("facilitator", "/sessions/{id}/transcript.json", 90, 200),
        ("member", "/sessions/{id}/transcript.md", -120, 403),
        ("member", "/sessions/{id}/transcript.json", -10, 403),
        ("member", "/sessions/{id}/transcript.csv", 30, 403),
        ("member", "/sessions/{id}/transcript.html", 59, 403),
        ("member", "/sessions/{id}/transcript.html", 60, 200),
        ("member", "/sessions/{id}/transcript.md", 90, 200),
        ("member", "/sessions/{id}/questions.csv", 30, 403),
        ("member", "/sessions/{id}/questions.csv", 90, 200),
        ("facilitator", "/sessions/{id}/questions.csv", 30, 200),
        ("anonymous", "/sessions/{id}/questions.csv", 90, 302),
        ("anonymous", "/sessions/{id}/transcript.md", 90, 302),
        ("organiser", "/sessions/999/transcript.md", 90, 404),
        ("member", "/sessions/999/transcript.md", 90, 404),
        ("organiser", "/sessions/{id}/transcript.pdf", 90, 404),
        ("organiser", "/sessions/{id}/transcript.", 90, 404),
    ],
)
def test_who_may_download_when(
    client: FlaskClient,
    auth: Any,
    clock: Clock,
    session: ChatSession,
    organiser: User,
    facilitator: User,
    member: User,
    who: str,
    path: str,
    minutes_from_start: int,
    status: int,
) -> None:
    people = {"organiser": organiser, "facilitator": facilitator, "member": member}
    if who in people:
        auth.login(people[who].email)
    clock.now = at(session, minutes_from_start)
    response = client.get(path.format(id=session.id))
    assert response.status_code == status
    if status == 302:
        assert response.location.startswith("/login")
    if status == 403:
        assert "once the session has ended" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fmt", "content_type", "disposition"),
    [
        ("md", "text/markdown; charset=utf-8", "attachment"),
        ("html", "text/html; charset=utf-8", "inline"),
        ("json", "application/json", "attachment"),
        ("csv", "text/csv; charset=utf-8", "attachment"),
    ],
)
def test_each_format_has_its_content_type_and_file_name(
    client: FlaskClient,
    auth: Any,
    ended: ChatSession,
    member: User,
    fmt: str,
    content_type: str,
    disposition: str,
) -> None:
    response = download(client, auth, member, ended, fmt)
    assert response.headers["Content-Type"] == content_type
    filename = f"traineetalk-session-{ended.id}-transcript.{fmt}"
    assert response.headers["Content-Disposition"] == f'{disposition}; filename="{filename}"'


def test_markdown_download(
    client: FlaskClient, auth: Any, ended: ChatSession, member: User
) -> None:
    text = download(client, auth, member, ended, "md").get_data(as_text=True)
    assert text.startswith("# Transcript: Working with silence\n")
    assert "**#1 · 20:03 · Dr Maya Okafor** · facilitator" in text
    assert "Reactions: heart 1 (1 in all)" in text
    assert r"\<script\>alert(1)\</script\>" in text and "<script>" not in text
    assert "wrong room" not in text


def test_html_is_a_print_friendly_page_with_every_user_text_escaped(
    client: FlaskClient, auth: Any, ended: ChatSession, member: User
) -> None:
    client.set_cookie("tz", "America/New_York", domain="traineetalk.test")
    page = download(client, auth, member, ended, "html").get_data(as_text=True)
    assert '<html lang="en">' in page and "@media print" in page
    assert "site-header" not in page  # standalone: no navigation to print
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script" not in page and "<b>" not in page
    assert "Silence, &#34;comfortable&#34; or not,\nstill speaks." in page
    assert '<time datetime="2026-12-01T20:03:00-05:00" data-local="clock">20:03</time>' in page
    assert ">America/New_York (EST)</span>" in page
    assert "Tue 1 Dec 2026, 20:00 to 21:00 EST" in page
    assert "heart 1" in page and "(1 in all)" in page
    assert "wrong room" not in page


def test_html_says_it_is_partial_before_the_end(
    client: FlaskClient, auth: Any, chat: ChatSession, facilitator: User, clock: Clock
) -> None:
    clock.now = at(chat, 30)
    page = download(client, auth, facilitator, chat, "html").get_data(as_text=True)
    assert "Downloaded while the session was live: later messages are not included." in page


def test_json_download_validates_against_the_schema(
    client: FlaskClient, auth: Any, ended: ChatSession, member: User
) -> None:
    document = download(client, auth, member, ended, "json").get_json()
    jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)
    assert [m["id"] for m in document["messages"]] == [1, 3, 4]
    assert document["messages"][0]["created_at"] == "2026-12-01T20:03:00-05:00"
    assert document["messages"][0]["reactions"]["heart"] == 1
    assert document["messages"][2]["body"] == TRICKY
    assert document["session"]["facilitators"] == [{"name": "Dr Maya Okafor", "pronouns": ""}]


def test_csv_download_opens_with_the_csv_module(
    client: FlaskClient, auth: Any, ended: ChatSession, member: User
) -> None:
    text = download(client, auth, member, ended, "csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(row["id"], row["time"], row["author"]) for row in rows] == [
        ("1", "20:03", "Dr Maya Okafor"),
        ("3", "20:05", "Tam Trainee"),
        ("4", "20:06", "Tam Trainee"),
    ]
    assert rows[1]["body"] == HOSTILE
    assert rows[2]["body"] == TRICKY
    assert (rows[0]["heart"], rows[0]["reactions_total"]) == ("1", "1")


def test_the_room_page_links_transcripts_for_whoever_may_download(
    client: FlaskClient, auth: Any, organiser: User, member: User, clock: Clock
) -> None:
    session = schedule.create_session(
        db.session,
        organiser,
        schedule.SessionInput(
            "Links", datetime(2026, 12, 1, 20, 0), datetime(2026, 12, 1, 21, 0), "Europe/London"
        ),
        START,
    )
    link = f'href="/sessions/{session.id}/transcript.csv"'
    auth.login(member.email)
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert link in page and 'id="transcript-links" hidden>' in page
    clock.now = session.starts_at + timedelta(hours=2)
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert 'id="transcript-links">' in page
    assert client.get(f"/sessions/{session.id}/transcript.csv").status_code == 200


def test_the_question_queue_is_exported_and_anonymous_askers_stay_anonymous(
    client: FlaskClient, auth: Any, session: ChatSession, facilitator: User, member: User,
    clock: Clock,
) -> None:  # fmt: skip
    asked = [
        questions.ask(db.session, member, session, body, anonymous, str(uuid4()), at(session, m),
                      15)[0]["id"]
        for body, anonymous, m in [("Who holds the therapist at the end?", True, 1),
                                   ("How long should an ending take?", False, 2)]
    ]  # fmt: skip
    questions.vote(db.session, facilitator, session, asked[1], True, at(session, 3), 15)
    questions.moderate(db.session, facilitator, session, asked[1], "answer", at(session, 4))
    clock.now = at(session, 90)
    auth.login(facilitator.email)  # staff know who asked, but the export does not say
    rows = list(csv.DictReader(io.StringIO(client.get(f"/sessions/{session.id}/questions.csv")
                                           .get_data(as_text=True))))  # fmt: skip
    assert [(r["status"], r["votes"], r["asked_by"]) for r in rows] == [
        ("answered", "1", "Tam Trainee"),
        ("open", "0", "Anonymous"),
    ]
    document = client.get(f"/sessions/{session.id}/transcript.json").get_json()
    jsonschema.validate(document, SCHEMA)
    assert [q["asked_by"] for q in document["questions"]] == ["Tam Trainee", "Anonymous"]
    for fmt in ("md", "html"):
        text = client.get(f"/sessions/{session.id}/transcript.{fmt}").get_data(as_text=True)
        section = text.split("Question queue", 1)[1]
        assert "Who holds the therapist at the end?" in section and "Anonymous" in section
        assert section.count("Tam Trainee") == 1  # the question asked openly, only


def test_the_session_page_links_every_download_once_the_member_may_have_it(
    client: FlaskClient, auth: Any, ended: ChatSession, member: User
) -> None:
    auth.login(member.email)
    page = client.get(f"/sessions/{ended.id}").get_data(as_text=True)
    for fmt in ("html", "md", "json", "csv"):
        assert f'href="/sessions/{ended.id}/transcript.{fmt}"' in page
    assert f'href="/sessions/{ended.id}/questions.csv"' in page
