"""Organiser pages: series, sessions, overrides, and 403 for everyone else."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from chat.extensions import db
from chat.models import ChatSession, Series, User
from tests.helpers import Clock, make_user

LONDON = ZoneInfo("Europe/London")

SESSION_FORM = {
    "title": "Working with endings",
    "description": "How do we end well with clients?",
    "content_note": "Mentions bereavement.",
    "starts_local": "2026-12-01T20:00",
    "ends_local": "2026-12-01T21:00",
    "time_zone": "Europe/London",
    "facilitators": "",
    "series_id": "0",
}

ORGANISER_PAGES = [
    ("get", "/organise/"),
    ("get", "/organise/series/new"),
    ("post", "/organise/series/new"),
    ("get", "/organise/series/{series}"),
    ("post", "/organise/series/{series}"),
    ("get", "/organise/sessions/new"),
    ("post", "/organise/sessions/new"),
    ("get", "/organise/sessions/{session}/edit"),
    ("post", "/organise/sessions/{session}/edit"),
]


def session_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ChatSession)) or 0


@pytest.fixture
def signed_in_organiser(client: FlaskClient, organiser: User, auth) -> User:
    auth.login(organiser.email)
    return organiser


@pytest.fixture
def existing(client: FlaskClient, organiser: User, auth) -> dict[str, int]:
    auth.login(organiser.email)
    client.post(
        "/organise/series/new",
        data={
            "name": "#TraineeTalk",
            "weekday": "1",
            "local_time": "20:00",
            "time_zone": "Europe/London",
            "duration_minutes": "60",
        },
    )
    client.post("/organise/sessions/new", data=SESSION_FORM)
    auth.logout()
    series = db.session.scalar(select(Series))
    session = db.session.scalar(select(ChatSession))
    assert series is not None and session is not None
    return {"series": series.id, "session": session.id}


@pytest.mark.parametrize(("method", "path"), ORGANISER_PAGES)
def test_members_get_403_everywhere(
    client: FlaskClient, member: User, auth, existing: dict[str, int], method: str, path: str
) -> None:
    auth.login(member.email)
    before = session_count()
    response = getattr(client, method)(path.format(**existing), data=SESSION_FORM)
    assert response.status_code == 403
    assert session_count() == before
    session = db.session.get(ChatSession, existing["session"])
    assert session is not None and session.opened_at is None and session.ended_at is None


@pytest.mark.parametrize(("method", "path"), ORGANISER_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: FlaskClient, existing: dict[str, int], method: str, path: str
) -> None:
    response = getattr(client, method)(path.format(**existing))
    assert response.status_code == 302 and "/login" in response.location


def test_create_series_then_generate_weeks(
    client: FlaskClient, signed_in_organiser: User, clock: Clock
) -> None:
    response = client.post(
        "/organise/series/new",
        data={
            "name": "#TraineeTalk",
            "description": "Weekly",
            "weekday": "1",
            "local_time": "20:00",
            "time_zone": "Europe/London",
            "duration_minutes": "60",
        },
    )
    series = db.session.scalar(select(Series))
    assert series is not None
    assert response.status_code == 302 and response.location.endswith(f"/series/{series.id}")
    generated = client.post(f"/organise/series/{series.id}", data={"weeks": "3"})
    assert generated.status_code == 302
    sessions = db.session.scalars(select(ChatSession).order_by(ChatSession.starts_at)).all()
    assert [s.starts_at.astimezone(LONDON).strftime("%a %H:%M") for s in sessions] == [
        "Tue 20:00"
    ] * 3
    page = client.get(f"/organise/series/{series.id}").get_data(as_text=True)
    assert "3 new session(s) added" in page
    assert page.count(">Topic to be announced</a>") == 3


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"time_zone": "Europe/Lundun"}, "time_zone", "is not a known time zone"),
        ({"name": ""}, "name", "Give the series a name"),
        ({"local_time": "8pm"}, "local_time", "Use a 24-hour time"),
    ],
)
def test_series_form_errors(
    client: FlaskClient, signed_in_organiser: User, data: dict, field: str, message: str
) -> None:
    form = {
        "name": "#TraineeTalk",
        "weekday": "1",
        "local_time": "20:00",
        "time_zone": "Europe/London",
        "duration_minutes": "60",
    } | data
    response = client.post("/organise/series/new", data=form)
    assert response.status_code == 400
    match = re.search(rf'id="{field}-error">([^<]*)<', response.get_data(as_text=True))
    assert match and message in match.group(1)
    assert db.session.scalar(select(func.count()).select_from(Series)) == 0


def test_create_session_with_a_facilitator(client: FlaskClient, signed_in_organiser: User) -> None:
    guest = make_user(db.session, "guest@example.org", "Dr Guest")
    response = client.post(
        "/organise/sessions/new", data=SESSION_FORM | {"facilitators": "guest@example.org"}
    )
    session = db.session.scalar(select(ChatSession))
    assert session is not None
    assert response.status_code == 302 and response.location.endswith(f"/sessions/{session.id}")
    assert [f.id for f in session.facilitators] == [guest.id]
    assert session.starts_at.astimezone(LONDON).strftime("%d %b %H:%M") == "01 Dec 20:00"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"time_zone": "Atlantis/Capital"}, "time_zone", "is not a known time zone"),
        ({"starts_local": "2026-11-01T20:00"}, "starts_local", "The start is in the past"),
        ({"ends_local": "2026-12-01T19:00"}, "ends_local", "The end must be after the start."),
        ({"facilitators": "nobody@example.org"}, "facilitators", "Not a user: nobody@example.org"),
        ({"title": ""}, "title", "Give the session a topic."),
        ({"starts_local": "tomorrow"}, "starts_local", "Not a valid datetime value."),
    ],
)
def test_session_form_errors_leave_no_rows(
    client: FlaskClient, signed_in_organiser: User, data: dict, field: str, message: str
) -> None:
    response = client.post("/organise/sessions/new", data=SESSION_FORM | data)
    assert response.status_code == 400
    match = re.search(rf'id="{field}-error">([^<]*)<', response.get_data(as_text=True))
    assert match and message in match.group(1)
    assert session_count() == 0


def test_edit_topic_time_and_cancel(
    client: FlaskClient, signed_in_organiser: User, existing: dict[str, int], auth
) -> None:
    auth.login(signed_in_organiser.email)
    sid = existing["session"]
    form_page = client.get(f"/organise/sessions/{sid}/edit").get_data(as_text=True)
    assert 'value="2026-12-01T20:00"' in form_page and 'value="2026-12-01T21:00"' in form_page
    response = client.post(
        f"/organise/sessions/{sid}/edit",
        data=SESSION_FORM
        | {"title": "Endings, revisited", "starts_local": "2026-12-01T19:30", "cancelled": "y"},
    )
    assert response.status_code == 302
    session = db.session.get(ChatSession, sid)
    assert session is not None
    db.session.refresh(session)
    assert session.title == "Endings, revisited" and session.cancelled
    assert session.duration_minutes == 90 and session.revision == 1


def test_unknown_ids_are_404(client: FlaskClient, signed_in_organiser: User) -> None:
    assert client.get("/organise/series/999").status_code == 404
    assert client.get("/organise/sessions/999/edit").status_code == 404
