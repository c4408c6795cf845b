"""Facilitators page and invitation links, through the real forms and pages."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from chat.events import StaffChanged
from chat.extensions import db
from chat.models import ChatSession, Invitation, User, session_facilitators
from chat.services import invitations
from tests.helpers import PASSWORD, START, Clock, make_user

GUEST = "guest@example.org"


def make_session(title: str = "Working with shame") -> ChatSession:
    session = ChatSession(
        title=title,
        description="How shame shows up in the therapy room, and in training.",
        starts_at=START + timedelta(days=30),
        duration_minutes=60,
        time_zone="Europe/London",
        created_at=START,
    )
    db.session.add(session)
    db.session.commit()
    return session


def facilitator_ids(session_id: int) -> set[int]:
    rows = db.session.execute(
        select(session_facilitators.c.user_id).where(
            session_facilitators.c.session_id == session_id
        )
    )
    return {user_id for (user_id,) in rows}


def all_facilitator_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(session_facilitators)) or 0


def page_path(session: ChatSession) -> str:
    return f"/organise/sessions/{session.id}/facilitators"


def link_on(page: str) -> str:
    match = re.search(r'id="invitation-link" type="text" readonly value="([^"]+)"', page)
    assert match, "the invitation link is not on the page"
    return html.unescape(match.group(1))


def href(page: str, text: str) -> str:
    """The target of a button-styled link (not the header's links of the same name)."""
    match = re.search(rf'class="button" href="([^"]+)">{re.escape(text)}<', page)
    assert match, f"no link called {text!r}"
    return html.unescape(match.group(1))


def flashes(client: FlaskClient) -> list[str]:
    with client.session_transaction() as cookie_session:
        return [message for _, message in cookie_session.get("_flashes", [])]


@pytest.fixture
def session(app: Flask) -> ChatSession:
    return make_session()


@pytest.fixture
def other_session(app: Flask) -> ChatSession:
    return make_session("Endings")


@pytest.fixture
def token(app: Flask, organiser: User, session: ChatSession, clock: Clock) -> str:
    _, made = invitations.create_invitation(
        db.session, organiser, session, GUEST, app.config["SECRET_KEY"], clock.now
    )
    return made


@pytest.fixture
def broadcasts(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the views hand to broadcast()."""
    sent: list[Any] = []
    monkeypatch.setattr("chat.web.invitations.broadcast", lambda events: sent.extend(events))
    return sent


def test_organiser_invites_a_guest_who_registers_and_accepts(
    app: Flask,
    client: FlaskClient,
    auth,
    organiser: User,
    session: ChatSession,
    other_session: ChatSession,
    caplog: pytest.LogCaptureFixture,
    broadcasts: list[Any],
) -> None:
    auth.login(organiser.email)
    form_page = client.get(page_path(session))
    assert form_page.status_code == 200
    assert "Invite a guest" in form_page.get_data(as_text=True)

    created = client.post(
        page_path(session), data={"action": "invite", "invite-email": "Guest@Example.org"}
    )
    page = created.get_data(as_text=True)
    assert created.status_code == 200
    link = link_on(page)
    assert link.startswith("http://traineetalk.test/invitations/")
    assert "Copy link" in page and "Invitation created for guest@example.org" in page
    assert re.search(r"<td>guest@example.org</td>", page), "not listed as pending"
    # No mail server: the link is in the log, at a level the app's logger lets through.
    assert app.logger.getEffectiveLevel() <= logging.INFO
    assert any(link in record.getMessage() for record in caplog.records)

    auth.logout()
    path = urlsplit(link).path
    invitation_page = client.get(path)
    text = invitation_page.get_data(as_text=True)
    assert invitation_page.status_code == 200
    assert "Working with shame" in text and "How shame shows up" in text
    assert "<time" in text  # shown with the local_time filter
    assert "Accept and become facilitator" not in text
    register_url = href(text, "Create an account")
    login_url = href(text, "Sign in")
    assert parse_qs(urlsplit(register_url).query) == {"next": [path], "email": [GUEST]}
    assert parse_qs(urlsplit(login_url).query) == {"next": [path]}

    register_page = client.get(register_url).get_data(as_text=True)
    assert f'value="{GUEST}"' in register_page
    registered = client.post(
        register_url, data={"email": GUEST, "display_name": "Dr Guest", "password": PASSWORD}
    )
    assert registered.status_code == 302 and registered.location == path
    guest = db.session.scalar(select(User).where(User.email == GUEST))
    assert guest is not None

    signed_in = client.get(path).get_data(as_text=True)
    assert "Accept and become facilitator" in signed_in
    accepted = client.post(path)
    assert accepted.status_code == 302
    assert accepted.location == f"/sessions/{session.id}"
    assert "You are now a facilitator of Working with shame." in flashes(client)
    assert broadcasts == [StaffChanged(session.id, {"session_id": session.id})]

    db.session.expire_all()
    assert facilitator_ids(session.id) == {guest.id}
    assert facilitator_ids(other_session.id) == set()
    refreshed = db.session.get(ChatSession, session.id)
    assert refreshed is not None and [f.id for f in refreshed.facilitators] == [guest.id]

    again = client.get(path)
    assert again.status_code == 409
    assert "This invitation has already been used" in again.get_data(as_text=True)
    reused = client.post(path)
    assert reused.status_code == 409
    assert "already been used" in reused.get_data(as_text=True)
    assert all_facilitator_rows() == 1
    assert len(broadcasts) == 1


def test_an_anonymous_accept_is_sent_to_sign_in(
    client: FlaskClient, token: str, session: ChatSession
) -> None:
    response = client.post(f"/invitations/{token}")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert parse_qs(urlsplit(response.location).query)["next"] == [f"/invitations/{token}"]
    assert facilitator_ids(session.id) == set()


def test_an_existing_user_signs_in_through_the_link_and_accepts(
    client: FlaskClient, token: str, session: ChatSession
) -> None:
    guest = make_user(db.session, GUEST, "Dr Guest")
    path = f"/invitations/{token}"
    login_url = href(client.get(path).get_data(as_text=True), "Sign in")
    signed_in = client.post(login_url, data={"email": GUEST, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.location == path
    assert client.post(path).status_code == 302
    assert facilitator_ids(session.id) == {guest.id}


def sign_in_guest(auth) -> User:
    guest = make_user(db.session, GUEST, "Dr Guest")
    auth.login(GUEST)
    return guest


def test_expired_link(
    client: FlaskClient, auth, token: str, session: ChatSession, clock: Clock
) -> None:
    sign_in_guest(auth)
    clock.now = START + invitations.INVITATION_LIFETIME
    for response in (client.get(f"/invitations/{token}"), client.post(f"/invitations/{token}")):
        text = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "This invitation has expired" in text
        assert "This invitation expired on" in text and "ask the organiser for a new one" in text
    assert facilitator_ids(session.id) == set()


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda token: token[:3] + ("B" if token[3] != "B" else "C") + token[4:], id="payload"
        ),
        pytest.param(lambda token: token.rsplit(".", 1)[0] + ".forged", id="signature"),
        pytest.param(lambda token: "nonsense", id="garbage"),
    ],
)
def test_tampered_link(client: FlaskClient, auth, token: str, session: ChatSession, forge) -> None:
    sign_in_guest(auth)
    forged = forge(token)
    for response in (client.get(f"/invitations/{forged}"), client.post(f"/invitations/{forged}")):
        text = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "This invitation link is not valid. Ask the organiser for a new one." in text
        assert "Traceback" not in text
    assert facilitator_ids(session.id) == set()


def test_a_link_revoked_on_the_page_stops_working(
    client: FlaskClient, auth, organiser: User, token: str, session: ChatSession
) -> None:
    auth.login(organiser.email)
    page = client.get(page_path(session)).get_data(as_text=True)
    assert "Revoke invitation" in page and f"<td>{GUEST}</td>" in page
    invitation = db.session.scalar(select(Invitation))
    assert invitation is not None
    revoked = client.post(f"/organise/sessions/{session.id}/invitations/{invitation.id}/revoke")
    assert revoked.status_code == 302 and revoked.location == page_path(session)
    after = client.get(page_path(session)).get_data(as_text=True)
    assert f"Invitation to {GUEST} revoked" in after
    assert f"<td>{GUEST}</td>" not in after and "No pending invitations." in after
    auth.logout()

    sign_in_guest(auth)
    for response in (client.get(f"/invitations/{token}"), client.post(f"/invitations/{token}")):
        assert response.status_code == 409
        assert "This invitation was withdrawn" in response.get_data(as_text=True)
    assert facilitator_ids(session.id) == set()


def test_someone_else_signed_in_is_refused_by_name(
    client: FlaskClient, auth, member: User, token: str, session: ChatSession
) -> None:
    auth.login(member.email)
    shown = client.get(f"/invitations/{token}")
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "This invitation is for g***@example.org" in text
    assert "Accept and become facilitator" not in text
    refused = client.post(f"/invitations/{token}")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "This invitation is for g***@example.org" in text and "Sign out" in text
    assert facilitator_ids(session.id) == set()
    invitation = db.session.scalar(select(Invitation))
    assert invitation is not None
    db.session.refresh(invitation)
    assert invitation.used_at is None


def test_accepting_needs_a_csrf_token(
    app: Flask, client: FlaskClient, auth, token: str, session: ChatSession
) -> None:
    sign_in_guest(auth)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/invitations/{token}").status_code == 400
    assert facilitator_ids(session.id) == set()


ORGANISER_ONLY = [
    ("get", "/organise/sessions/{session}/facilitators", {}),
    ("post", "/organise/sessions/{session}/facilitators", {"action": "add", "add-email": GUEST}),
    (
        "post",
        "/organise/sessions/{session}/facilitators",
        {"action": "invite", "invite-email": "new@example.org"},
    ),
    ("post", "/organise/sessions/{session}/facilitators/{guest}/revoke", {}),
    ("post", "/organise/sessions/{session}/invitations/{invitation}/revoke", {}),
]


@pytest.fixture
def staffed(organiser: User, session: ChatSession, token: str) -> dict[str, int]:
    """A session with one facilitator and one pending invitation."""
    guest = make_user(db.session, "cofac@example.org", "Co Facilitator")
    session.facilitators.append(guest)
    make_user(db.session, GUEST, "Dr Guest")
    db.session.commit()
    invitation = db.session.scalar(select(Invitation))
    assert invitation is not None
    return {"session": session.id, "guest": guest.id, "invitation": invitation.id}


def unchanged(staffed: dict[str, int]) -> None:
    db.session.expire_all()
    assert facilitator_ids(staffed["session"]) == {staffed["guest"]}
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    invitation = db.session.get(Invitation, staffed["invitation"])
    assert invitation is not None and invitation.revoked_at is None


@pytest.mark.parametrize(("method", "path", "data"), ORGANISER_ONLY)
def test_members_and_facilitators_get_403(
    client: FlaskClient, auth, member: User, staffed: dict[str, int], method, path, data
) -> None:
    for email in (member.email, "cofac@example.org"):
        auth.login(email)
        response = getattr(client, method)(path.format(**staffed), data=data)
        assert response.status_code == 403
        auth.logout()
    unchanged(staffed)


@pytest.mark.parametrize(("method", "path", "data"), ORGANISER_ONLY)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: FlaskClient, staffed: dict[str, int], method, path, data
) -> None:
    response = getattr(client, method)(path.format(**staffed), data=data)
    assert response.status_code == 302 and "/login" in response.location
    unchanged(staffed)


def test_revoke_a_facilitator_on_the_page(
    client: FlaskClient, auth, organiser: User, staffed: dict[str, int], broadcasts: list[Any]
) -> None:
    auth.login(organiser.email)
    sid, guest_id = staffed["session"], staffed["guest"]
    page = client.get(f"/organise/sessions/{sid}/facilitators").get_data(as_text=True)
    assert "Co Facilitator" in page and f"/facilitators/{guest_id}/revoke" in page
    response = client.post(f"/organise/sessions/{sid}/facilitators/{guest_id}/revoke")
    assert response.status_code == 302
    assert broadcasts == [StaffChanged(sid, {"session_id": sid})]
    db.session.expire_all()
    assert facilitator_ids(sid) == set()
    after = client.get(f"/organise/sessions/{sid}/facilitators").get_data(as_text=True)
    assert "Co Facilitator no longer facilitates this session." in after
    assert "Nobody facilitates this session yet." in after


def test_add_a_co_facilitator_by_email(
    client: FlaskClient,
    auth,
    organiser: User,
    session: ChatSession,
    other_session: ChatSession,
    broadcasts: list[Any],
) -> None:
    colleague = make_user(db.session, "colleague@example.org", "Cal Colleague")
    auth.login(organiser.email)
    response = client.post(
        page_path(session), data={"action": "add", "add-email": "Colleague@example.org"}
    )
    assert response.status_code == 302 and response.location == page_path(session)
    assert broadcasts == [StaffChanged(session.id, {"session_id": session.id})]
    assert facilitator_ids(session.id) == {colleague.id}
    assert facilitator_ids(other_session.id) == set()
    page = client.get(page_path(session)).get_data(as_text=True)
    assert "Cal Colleague is now a co-facilitator of this session." in page


def test_the_page_forms_carry_their_csrf_tokens(
    app: Flask, client: FlaskClient, auth, organiser: User, session: ChatSession
) -> None:
    colleague = make_user(db.session, "colleague@example.org", "Cal Colleague")
    auth.login(organiser.email)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(page_path(session)).get_data(as_text=True)
    token = re.search(r'name="add-csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    refused = client.post(page_path(session), data={"action": "add", "add-email": colleague.email})
    assert refused.status_code == 400 and facilitator_ids(session.id) == set()
    added = client.post(
        page_path(session),
        data={"action": "add", "add-email": colleague.email, "add-csrf_token": token.group(1)},
    )
    assert added.status_code == 302 and facilitator_ids(session.id) == {colleague.id}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"action": "add", "add-email": "nobody@example.org"},
            "add-email",
            "No account uses this address; send an invitation instead.",
        ),
        ({"action": "add", "add-email": ""}, "add-email", "Enter an email address"),
        ({"action": "invite", "invite-email": "guest"}, "invite-email", "Enter an email address"),
    ],
)
def test_form_errors_show_next_to_the_field(
    client: FlaskClient,
    auth,
    organiser: User,
    session: ChatSession,
    broadcasts: list[Any],
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    auth.login(organiser.email)
    response = client.post(page_path(session), data=data)
    assert response.status_code == 400
    match = re.search(rf'id="{field}-error">([^<]*)<', response.get_data(as_text=True))
    assert match and message in match.group(1)
    assert facilitator_ids(session.id) == set()
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert broadcasts == []


def test_no_invitations_to_a_cancelled_session(
    client: FlaskClient, auth, organiser: User, session: ChatSession
) -> None:
    session.cancelled = True
    db.session.commit()
    auth.login(organiser.email)
    response = client.post(
        page_path(session), data={"action": "invite", "invite-email": "new@example.org"}
    )
    assert response.status_code == 409
    assert "This session was cancelled" in response.get_data(as_text=True)
    assert 'id="invitation-link"' not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_unknown_session_or_action(client: FlaskClient, auth, organiser: User, session) -> None:
    auth.login(organiser.email)
    assert client.get("/organise/sessions/999/facilitators").status_code == 404
    assert client.post(page_path(session), data={"action": "delete"}).status_code == 400


def test_the_edit_page_and_dashboard_link_to_the_facilitators_page(
    client: FlaskClient, auth, organiser: User, session: ChatSession, clock: Clock
) -> None:
    auth.login(organiser.email)
    edit = client.get(f"/organise/sessions/{session.id}/edit").get_data(as_text=True)
    assert f'href="{page_path(session)}"' in edit
    dashboard = client.get("/organise/").get_data(as_text=True)
    assert f'href="{page_path(session)}"' in dashboard
