"""The resource library and the recap's resources over HTTP: who may read them, search,
filters and pages, and links that open safely."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import ChatSession, Series, User
from chat.services import recaps, resources, rooms, schedule
from tests.helpers import START, make_user

LOBBY = 15


def make_room(organiser: User, title: str, day: int) -> ChatSession:
    form = schedule.SessionInput(
        title, datetime(2026, 12, day, 20, 0), datetime(2026, 12, day, 21, 0), "Europe/London"
    )
    return schedule.create_session(db.session, organiser, form, START)


def share(user: User, room: ChatSession, title: str, url: str, note: str = "", minute: int = 1):
    shared, _ = resources.share(
        db.session, user, room, title, url, note, str(uuid.uuid4()),
        room.starts_at + timedelta(minutes=minute), LOBBY,
    )  # fmt: skip
    return shared


def titles(page: str) -> list[str]:
    return re.findall(r'rel="noopener noreferrer">([^<]+)<span class="visually-hidden">', page)


@pytest.fixture
def library(organiser: User, member: User) -> dict[str, ChatSession]:
    """Two sessions' resources, and a cancelled session's that never show."""
    endings = make_room(organiser, "Endings", 1)
    silence = make_room(organiser, "Working with silence", 8)
    silence.series = Series(
        name="Modalities in practice",
        weekday=1,
        local_time="20:00",
        time_zone="Europe/London",
        duration_minutes=60,
        created_at=START,
    )
    cancelled = make_room(organiser, "Cancelled talk", 15)
    share(member, endings, "Endings in therapy", "https://www.bacp.co.uk/endings", "A guide")
    share(organiser, endings, "A free course on closure", "https://learn.example.org/c", minute=2)
    share(member, silence, "Sitting with silence", "https://example.org/quiet", "Short <b>read</b>")
    share(member, cancelled, "Never listed", "https://example.org/never")
    cancelled.cancelled = True
    db.session.commit()
    return {"endings": endings, "silence": silence}


def test_the_library_is_for_signed_in_members(client: FlaskClient, library: Any) -> None:
    response = client.get("/resources")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_everything_shown_with_its_domain_and_safe_links(
    client: FlaskClient, auth: Any, member: User, library: Any
) -> None:
    auth.login(member.email)
    page = client.get("/resources").get_data(as_text=True)
    assert sorted(titles(page)) == [
        "A free course on closure",
        "Endings in therapy",
        "Sitting with silence",
    ]
    assert "Never listed" not in page
    link = '<a href="https://www.bacp.co.uk/endings" target="_blank" rel="noopener noreferrer">'
    assert link in page
    assert "bacp.co.uk" in page and "Short &lt;b&gt;read&lt;/b&gt;" in page
    assert 'href="/resources"' in client.get("/").get_data(as_text=True)  # in the site nav


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "silence"}, ["Sitting with silence"]),
        ({"q": "BACP"}, ["Endings in therapy"]),  # the domain
        ({"q": "guide"}, ["Endings in therapy"]),  # the note
        ({"q": "course endings"}, []),  # every word must match
        ({"topic": "endings"}, ["A free course on closure", "Endings in therapy"]),
        ({"topic": "silence", "q": "read"}, ["Sitting with silence"]),
        ({"topic": "modalities"}, ["Sitting with silence"]),  # the series' name
        ({"q": "nothing like this"}, []),
    ],
)
def test_search_and_topic_filter(
    client: FlaskClient, auth: Any, member: User, library: Any, query: dict, expected: list
) -> None:
    auth.login(member.email)
    response = client.get("/resources", query_string=query)
    assert response.status_code == 200
    assert sorted(titles(response.get_data(as_text=True))) == expected


def test_filter_by_session(client: FlaskClient, auth: Any, member: User, library: Any) -> None:
    auth.login(member.email)
    endings = library["endings"]
    page = client.get(f"/resources?session={endings.id}").get_data(as_text=True)
    assert sorted(titles(page)) == ["A free course on closure", "Endings in therapy"]
    assert f'<option value="{endings.id}" selected>' in page


def test_pages_of_twenty(client: FlaskClient, auth: Any, organiser: User, member: User) -> None:
    room = make_room(organiser, "Endings", 1)
    for n in range(45):  # staff share without the members' limits
        share(organiser, room, f"Link number {n:02}", f"https://example.org/{n}", minute=n)
    auth.login(member.email)
    first = client.get("/resources?q=number").get_data(as_text=True)
    assert len(titles(first)) == 20 and "Page 1 of 3" in first
    assert titles(first)[0] == "Link number 44"  # newest first when votes are equal
    assert 'href="/resources?page=2&amp;q=number" rel="next"' in first
    last = client.get("/resources?q=number&page=3").get_data(as_text=True)
    assert titles(last) == [f"Link number {n:02}" for n in range(4, -1, -1)]
    assert "Next page" not in last and "Previous page" in last
    beyond = client.get("/resources?q=number&page=99").get_data(as_text=True)
    assert "Page 3 of 3" in beyond
    assert client.get("/resources?page=-1&session=abc").status_code == 200


def test_the_recap_lists_the_sessions_resources_and_the_markdown_too(
    client: FlaskClient, auth: Any, organiser: User, member: User, library: Any
) -> None:
    endings = library["endings"]
    other = make_user(db.session, "kit@example.org", "Kit")
    removed = share(other, endings, "Taken back", "https://example.org/taken", minute=3)
    resources.remove(db.session, other, endings, removed["id"], endings.starts_at)
    closes = rooms.ends_at(endings) + timedelta(hours=48)
    recaps.publish(db.session, organiser, endings, "", "members", closes)
    auth.login(member.email)
    page = client.get(f"/sessions/{endings.id}/recap").get_data(as_text=True)
    section = page.split('id="recap-resources-heading"')[1]
    assert "Endings in therapy" in section and "A free course on closure" in section
    assert "(bacp.co.uk)" in section and 'rel="noopener noreferrer"' in section
    assert "Taken back" not in page and "Sitting with silence" not in page
    markdown = client.get(f"/sessions/{endings.id}/recap.md").get_data(as_text=True)
    assert "[Endings in therapy](<https://www.bacp.co.uk/endings>)" in markdown
