"""A member's data download and account deletion over HTTP, and what deletion signs out."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import User
from chat.services import accounts
from tests.conftest import Auth
from tests.helpers import PASSWORD, make_session, make_user


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_the_data_download_is_a_json_attachment_of_the_members_own_data(
    client: FlaskClient, auth: Auth, member: User, organiser: User
) -> None:
    auth.login(member.email)
    response = client.get("/profile/data.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="traineetalk-my-data.json"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == member.email
    assert "password_hash" not in data["profile"]
    assert organiser.email not in response.get_data(as_text=True)


def test_the_profile_links_to_the_download_and_to_deletion(
    client: FlaskClient, auth: Auth, member: User
) -> None:
    auth.login(member.email)
    page = client.get("/profile").get_data(as_text=True)
    assert 'href="/profile/data.json"' in page
    assert 'href="/profile/delete"' in page


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    for path in ("/profile/data.json", "/profile/delete"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login")


def test_the_delete_page_warns_and_asks_for_the_password(
    client: FlaskClient, auth: Auth, member: User
) -> None:
    auth.login(member.email)
    page = client.get("/profile/delete").get_data(as_text=True)
    assert "This cannot be undone" in page
    assert "Former member" in page
    assert 'type="password"' in page


def test_deleting_needs_the_csrf_token_and_the_right_password(
    app: Flask, client: FlaskClient, auth: Auth, member: User
) -> None:
    auth.login(member.email)
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post("/profile/delete", data={"password": PASSWORD})
    assert refused.status_code == 400
    token = csrf_token(client, "/profile/delete")
    wrong = client.post("/profile/delete", data={"password": "nope", "csrf_token": token})
    assert wrong.status_code == 400
    assert "That password is not right." in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, member.id).deleted_at is None
    assert client.get("/profile").status_code == 200  # still signed in


def test_deleting_signs_out_for_good_and_frees_the_email(
    app: Flask, client: FlaskClient, auth: Auth, member: User
) -> None:
    email = member.email
    auth.login(email)
    old_cookie = client.get_cookie("session", domain="traineetalk.test")
    assert old_cookie is not None
    app.config["WTF_CSRF_ENABLED"] = True
    token = csrf_token(client, "/profile/delete")
    done = client.post("/profile/delete", data={"password": PASSWORD, "csrf_token": token})
    assert done.status_code == 302 and done.location == "/"
    assert "Your account was deleted" in client.get("/").get_data(as_text=True)
    assert client.get("/profile").status_code == 302
    # A copy of the cookie from before no longer signs anyone in.
    thief = app.test_client()
    thief.set_cookie("session", old_cookie.value, domain="traineetalk.test")
    assert thief.get("/profile").location.startswith("/login")
    # Nor does the old password, and the address may register again.
    app.config["WTF_CSRF_ENABLED"] = False
    assert "do not match" in auth.login(email).get_data(as_text=True)
    assert db.session.get(User, member.id).display_name == "Former member"
    make_user(db.session, email, "Tam returns")


def test_the_last_organiser_is_told_why_not(
    client: FlaskClient, auth: Auth, organiser: User
) -> None:
    auth.login(organiser.email)
    response = client.post("/profile/delete", data={"password": PASSWORD})
    assert response.status_code == 403
    assert "only organiser" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, organiser.id).deleted_at is None


def test_an_open_socket_is_refused_once_the_account_is_deleted(
    client: FlaskClient, auth: Auth, member: User, organiser: User, socket_client: Any
) -> None:
    room = make_session(db.session, organiser)
    auth.login(member.email)
    sio = socket_client(client)
    assert sio.is_connected()
    assert client.post("/profile/delete", data={"password": PASSWORD}).status_code == 302
    ack = sio.emit("join", {"session_id": room.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "unauthenticated"
    assert not socket_client(client).is_connected()


def test_a_deleted_members_token_no_longer_connects(
    client: FlaskClient, auth: Auth, member: User, socket_client: Any
) -> None:
    token = accounts.issue_api_token(db.session, member, member.created_at)
    auth.login(member.email)
    assert client.post("/profile/delete", data={"password": PASSWORD}).status_code == 302
    assert not socket_client(auth={"token": token}).is_connected()
