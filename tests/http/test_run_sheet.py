"""The run sheet page and the rehearsal button: staff of the session only."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import ChatSession, Prompt, User
from chat.services import prompts
from tests.conftest import Auth
from tests.helpers import Clock, make_session, make_user


@pytest.fixture
def guest(app) -> User:
    return make_user(db.session, "guest@example.org", "Dr Guest")


@pytest.fixture
def room(organiser: User, guest: User) -> ChatSession:
    return make_session(db.session, organiser, guest)


def bodies(room: ChatSession) -> list[str]:
    db.session.expire_all()
    return [p.body for p in db.session.get(ChatSession, room.id).prompts]


def test_a_facilitator_prepares_the_run_sheet(
    client: FlaskClient, auth: Auth, guest: User, room: ChatSession
) -> None:
    auth.login(guest.email)
    page = client.get(f"/sessions/{room.id}/run-sheet")
    assert page.status_code == 200 and b"No prompts yet" in page.data
    added = client.post(
        f"/sessions/{room.id}/run-sheet", data={"body": "Why this work?", "duration_minutes": 12}
    )
    assert added.status_code == 302
    pasted = client.post(
        f"/sessions/{room.id}/run-sheet/paste",
        data={"lines": "Q2: Endings\n\nQ3: Self-care\n", "duration_minutes": 8},
        follow_redirects=True,
    )
    assert b"2 prompt(s) added." in pasted.data
    assert bodies(room) == ["Why this work?", "Endings", "Self-care"]
    first, second, third = db.session.get(ChatSession, room.id).prompts
    assert (first.duration_minutes, third.duration_minutes) == (12, 8)
    client.post(f"/sessions/{room.id}/prompts/{third.id}/up")
    assert bodies(room) == ["Why this work?", "Self-care", "Endings"]
    client.post(
        f"/sessions/{room.id}/prompts/{second.id}/edit",
        data={"body": "Endings, and ours", "duration_minutes": 15},
    )
    client.post(f"/sessions/{room.id}/prompts/{first.id}/delete")
    assert bodies(room) == ["Self-care", "Endings, and ours"]
    page = client.get(f"/sessions/{room.id}/run-sheet")
    assert page.data.index(b"Self-care") < page.data.index(b"Endings, and ours")


@pytest.mark.parametrize(
    ("path", "data", "error"),
    [
        ("run-sheet", {"body": "", "duration_minutes": 10}, b"Write the prompt."),
        ("run-sheet", {"body": "Fine", "duration_minutes": 0}, b"Plan 1 to 60 minutes."),
        ("run-sheet/paste", {"lines": "\n \n", "duration_minutes": 10}, b"at least one"),
    ],
)
def test_bad_prompts_show_the_error_beside_the_field(
    client: FlaskClient, auth: Auth, guest: User, room: ChatSession, path, data, error
) -> None:
    auth.login(guest.email)
    page = client.post(f"/sessions/{room.id}/{path}", data=data)
    assert page.status_code == 400 and error in page.data
    assert b'aria-invalid="true"' in page.data
    assert bodies(room) == []


def test_a_posted_prompt_cannot_be_edited_or_deleted(
    client: FlaskClient, auth: Auth, guest: User, room: ChatSession, clock: Clock
) -> None:
    added, _ = prompts.add_prompts(db.session, guest, room, ["Asked"], 10, clock.now)
    clock.now = room.starts_at
    prompts.post_prompt(db.session, guest, room, None, clock.now, 15)
    auth.login(guest.email)
    page = client.post(f"/sessions/{room.id}/prompts/{added[0].id}/delete", follow_redirects=True)
    assert b"Q1 has been posted" in page.data
    client.post(
        f"/sessions/{room.id}/prompts/{added[0].id}/edit",
        data={"body": "Rewritten", "duration_minutes": 10},
    )
    assert bodies(room) == ["Asked"]
    assert b"Posted as Q1" in client.get(f"/sessions/{room.id}/run-sheet").data


def test_members_and_other_facilitators_get_403_and_anonymous_visitors_sign_in(
    client: FlaskClient, auth: Auth, member: User, room: ChatSession, guest: User, clock: Clock
) -> None:
    added, _ = prompts.add_prompts(db.session, guest, room, ["Hidden"], 10, clock.now)
    pid = added[0].id
    requests = [
        ("get", "run-sheet"),
        ("post", "run-sheet"),
        ("post", "run-sheet/paste"),
        ("post", f"prompts/{pid}/edit"),
        ("post", f"prompts/{pid}/up"),
        ("post", f"prompts/{pid}/delete"),
        ("post", "rehearse"),
    ]
    for method, path in requests:
        response = getattr(client, method)(f"/sessions/{room.id}/{path}")
        assert response.status_code == 302 and "/login" in response.location
    make_user(db.session, "other@example.org", "Other facilitator")
    for email in (member.email, "other@example.org"):
        auth.login(email)
        for method, path in requests:
            response = getattr(client, method)(
                f"/sessions/{room.id}/{path}", data={"body": "x", "duration_minutes": 10}
            )
            assert response.status_code == 403, (email, path)
        assert b"Hidden" not in client.get(f"/sessions/{room.id}/run-sheet").data
        auth.logout()
    assert bodies(room) == ["Hidden"]


def test_rehearsal_opens_a_private_room_only_staff_can_see(
    client: FlaskClient, auth: Auth, guest: User, member: User, room: ChatSession, clock: Clock
) -> None:
    prompts.add_prompts(db.session, guest, room, ["Practice me"], 10, clock.now)
    auth.login(guest.email)
    response = client.post(f"/sessions/{room.id}/rehearse")
    assert response.status_code == 302
    rehearsal = db.session.query(ChatSession).filter_by(rehearsal_of_id=room.id).one()
    assert response.location.endswith(f"/sessions/{rehearsal.id}")
    page = client.get(f"/sessions/{rehearsal.id}")
    assert page.status_code == 200 and b"Rehearsal: Endings" in page.data
    assert [p.body for p in rehearsal.prompts] == ["Practice me"]
    auth.logout()
    auth.login(member.email)
    assert client.get(f"/sessions/{rehearsal.id}").status_code == 404
    assert client.get(f"/sessions/{rehearsal.id}.ics").status_code == 404
    assert b"Rehearsal" not in client.get("/").data
    assert b"Rehearsal" not in client.get("/schedule.ics").data
    assert db.session.query(Prompt).filter_by(session_id=room.id).one().number is None
