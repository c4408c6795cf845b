"""Stored text is always rendered as text: script tags, event-handler attributes and
`javascript:` links written into every field a person can fill in come back inert on every
page and in every export (escaped in HTML and Markdown, plain data in JSON and CSV, and
never a spreadsheet formula)."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import messages, prompts, questions
from tests.conftest import Auth
from tests.helpers import Clock, make_session, make_user

SCRIPT = "<script>window.pwned=1</script>"
HANDLER = '<img src=x onerror="window.pwned=1">'
LINK = '<a href="javascript:window.pwned=1">x</a>'
MARKDOWN_LINK = "[x](javascript:window.pwned=1)"
FORMULA = '=HYPERLINK("https://evil.example","x")'
HOSTILE = " ".join((SCRIPT, HANDLER, LINK, MARKDOWN_LINK))
LIVE_MARKUP = ("<script", "<img", '<a href="javascript:', 'onerror="window')


@pytest.fixture
def hostile(organiser: User, clock: Clock) -> dict[str, Any]:
    """A session whose every writable field, and every message and question, is hostile."""
    writer = make_user(db.session, "writer@example.org", '<img src=x onerror="window.pwned=1">')
    writer.pronouns = "<script>x</script>"
    writer.bio = HOSTILE
    writer.trains_at = LINK
    room = make_session(db.session, organiser, writer)
    room.title = SCRIPT + " Silence"
    room.description = HOSTILE
    room.content_note = HANDLER
    db.session.commit()
    prompts.add_prompts(db.session, organiser, room, [HOSTILE], 10, clock.now)
    clock.now = room.starts_at + timedelta(minutes=5)
    for body in (HOSTILE, FORMULA):
        messages.send_message(
            db.session, writer, room, body, str(uuid.uuid4()), None, clock.now, 15
        )
    questions.ask(db.session, writer, room, HOSTILE, False, str(uuid.uuid4()), clock.now, 15)
    return {"room": room, "writer": writer}


def _assert_inert_html(page: str, where: str) -> None:
    for markup in LIVE_MARKUP:
        assert markup not in page.replace('<script src="/static/', "").replace(
            '<script type="module" src="/static/', ""
        ), f"{where}: {markup!r} came through as markup"
    assert "&lt;script&gt;" in page, f"{where}: the hostile text is not shown (as text)"


def test_pages_show_stored_markup_as_text(
    client: FlaskClient, auth: Auth, organiser: User, hostile: dict[str, Any], clock: Clock
) -> None:
    room: ChatSession = hostile["room"]
    auth.login(organiser.email)
    pages = [
        "/",
        f"/sessions/{room.id}",
        f"/sessions/{room.id}/run-sheet",
        f"/organise/sessions/{room.id}/edit",
        f"/organise/sessions/{room.id}/facilitators",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_inert_html(response.get_data(as_text=True), path)
    clock.now = room.starts_at + timedelta(hours=3)
    transcript = client.get(f"/sessions/{room.id}/transcript.html").get_data(as_text=True)
    _assert_inert_html(transcript, "transcript.html")


def test_profile_shows_stored_markup_as_text(
    client: FlaskClient, auth: Auth, hostile: dict[str, Any]
) -> None:
    auth.login(hostile["writer"].email)
    page = client.get("/profile").get_data(as_text=True)
    _assert_inert_html(page, "/profile")


def test_exports_keep_markup_as_inert_data(
    client: FlaskClient, auth: Auth, organiser: User, hostile: dict[str, Any], clock: Clock
) -> None:
    room: ChatSession = hostile["room"]
    clock.now = room.starts_at + timedelta(hours=3)
    auth.login(organiser.email)
    base = f"/sessions/{room.id}"

    markdown = client.get(f"{base}/transcript.md").get_data(as_text=True)
    assert not re.search(r"(?<!\\)<", markdown), "an unescaped < in the Markdown"
    assert r"\<script\>" in markdown
    assert r"\[x\](javascript:" in markdown  # the Markdown link is escaped, not a link

    data = json.loads(client.get(f"{base}/transcript.json").get_data(as_text=True))
    assert HOSTILE in [m["body"] for m in data["messages"]]  # data, exactly as written

    for path in (f"{base}/transcript.csv", f"{base}/questions.csv"):
        rows = list(csv.reader(io.StringIO(client.get(path).get_data(as_text=True))))
        cells = [cell for row in rows[1:] for cell in row]
        assert HOSTILE in cells, path
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], path
    transcript_rows = list(csv.DictReader(io.StringIO(
        client.get(f"{base}/transcript.csv").get_data(as_text=True)
    )))  # fmt: skip
    assert "'" + FORMULA in [row["body"] for row in transcript_rows]

    feed = client.get("/schedule.ics").get_data(as_text=True)
    assert "SUMMARY:<script>" in feed.replace("\r\n ", "")  # plain text, as iCalendar is
