"""The public schedule, times in the viewer's zone, lobby access and calendar feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import accounts, schedule
from tests.helpers import START, Clock, make_user


@pytest.fixture
def sessions(organiser: User) -> list[ChatSession]:
    guest = make_user(db.session, "guest@example.org", "Dr Ada Guest")
    guest.bio = "Psychotherapist with an interest in trauma."
    db.session.commit()
    made = []
    for title, day in [("Endings", 1), ("Supervision", 8)]:
        form = schedule.SessionInput(
            title,
            datetime(2026, 12, day, 20, 0),
            datetime(2026, 12, day, 21, 0),
            "Europe/London",
            description=f"About {title.lower()}.",
            content_note="Mentions loss." if day == 1 else "",
            facilitator_emails=("guest@example.org",),
        )
        made.append(schedule.create_session(db.session, organiser, form, START))
    return made


def test_schedule_is_public_and_shows_facilitator_bio(
    client: FlaskClient, sessions: list[ChatSession], clock: Clock
) -> None:
    clock.now = datetime(2026, 12, 5, tzinfo=UTC)  # after the first, before the second
    page = client.get("/").get_data(as_text=True)
    upcoming, past = page.split('id="past-heading"')
    assert "Supervision" in upcoming and "Endings" not in upcoming
    assert "Endings" in past
    assert "Dr Ada Guest" in upcoming and "Psychotherapist with an interest in trauma." in upcoming
    assert 'href="/sessions/2.ics"' in upcoming


@pytest.mark.parametrize(
    ("cookie", "profile", "expected"),
    [
        (None, "", "Tue 1 Dec, 20:00 UTC"),
        ("Europe/Paris", "", "Tue 1 Dec, 21:00 CET"),
        ("Not/AZone", "", "Tue 1 Dec, 20:00 UTC"),
        ("Europe/Paris", "America/New_York", "Tue 1 Dec, 15:00 EST"),
    ],
)
def test_times_show_in_the_viewer_zone(
    client: FlaskClient,
    sessions: list[ChatSession],
    member: User,
    auth,
    cookie: str | None,
    profile: str,
    expected: str,
) -> None:
    if profile:
        accounts.update_profile(db.session, member, accounts.Profile("Tam", time_zone=profile))
        auth.login(member.email)
    if cookie:
        client.set_cookie("tz", cookie, domain="traineetalk.test")
    page = client.get("/").get_data(as_text=True)
    assert f'<time datetime="2026-12-01T20:00:00+00:00" data-local>{expected}</time>' in page


def test_lobby_requires_sign_in_and_shows_details(
    client: FlaskClient, sessions: list[ChatSession], member: User, auth
) -> None:
    sid = sessions[0].id
    assert "/login" in client.get(f"/sessions/{sid}").location
    auth.login(member.email)
    page = client.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "Endings" in page and "Mentions loss." in page and "Dr Ada Guest" in page
    assert "Organiser controls" not in page
    assert '"state": "scheduled"' in page
    assert client.get("/sessions/999").status_code == 404


def test_organisers_see_the_controls(
    client: FlaskClient, sessions: list[ChatSession], organiser: User, auth
) -> None:
    auth.login(organiser.email)
    page = client.get(f"/sessions/{sessions[0].id}").get_data(as_text=True)
    assert "Organiser controls" in page and "End session" in page


def parse(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_ics_feed_parses_and_round_trips_uids_and_times(
    client: FlaskClient, sessions: list[ChatSession]
) -> None:
    response = client.get("/schedule.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and b"VERSION:2.0" in body
    events = parse(body)
    assert [str(e["UID"]) for e in events] == [f"session-{s.id}@traineetalk.live" for s in sessions]
    for event, session in zip(events, sessions, strict=True):
        assert event.decoded("DTSTART") == session.starts_at
        assert event.decoded("DTEND") == session.starts_at + timedelta(hours=1)
        assert str(event["SUMMARY"]) == session.title
        assert str(event["URL"]) == f"http://traineetalk.test/sessions/{session.id}"
        assert "Dr Ada Guest" in str(event["DESCRIPTION"])
    # the same UIDs on a second fetch, so calendar apps update instead of duplicating
    assert [str(e["UID"]) for e in parse(client.get("/schedule.ics").get_data())] == [
        str(e["UID"]) for e in events
    ]


def test_edits_bump_sequence_and_cancellations_show(
    client: FlaskClient, sessions: list[ChatSession], organiser: User
) -> None:
    session = sessions[0]
    form = schedule.SessionInput(
        session.title,
        datetime(2026, 12, 1, 20, 0),
        datetime(2026, 12, 1, 21, 0),
        "Europe/London",
        cancelled=True,
    )
    schedule.update_session(db.session, organiser, session, form, START, 15)
    (event,) = parse(client.get(f"/sessions/{session.id}.ics").get_data())
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == f"session-{session.id}@traineetalk.live"


def test_single_session_ics(client: FlaskClient, sessions: list[ChatSession]) -> None:
    response = client.get(f"/sessions/{sessions[1].id}.ics")
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'inline; filename="traineetalk-session-{sessions[1].id}.ics"'
    (event,) = parse(response.get_data())
    assert event.decoded("DTSTART") == sessions[1].starts_at
    assert client.get("/sessions/999.ics").status_code == 404
