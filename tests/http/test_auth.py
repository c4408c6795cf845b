"""Registration, sign-in, profile, CSRF and the first organiser's link (HTTP)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from chat.extensions import db
from chat.models import User
from chat.services import accounts
from tests.helpers import PASSWORD, Clock


def register(client: FlaskClient, **changes: str):
    data = {
        "email": "sam@example.org",
        "display_name": "Sam",
        "pronouns": "they/them",
        "password": PASSWORD,
    } | changes
    return client.post("/register", data=data)


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def test_register_signs_in_and_leads_to_the_profile(client: FlaskClient) -> None:
    response = register(client)
    assert response.status_code == 302 and response.location.endswith("/profile")
    page = client.get("/profile").get_data(as_text=True)
    assert "Your profile" in page and 'value="Sam"' in page
    user = db.session.scalar(select(User))
    assert user is not None and user.pronouns == "they/them" and not user.is_organiser


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"email": "sam"}, "email", "Enter an email address"),
        ({"password": "123456789"}, "password", "Use at least 10 characters."),
        ({"display_name": ""}, "display_name", "Enter the name others will see."),
    ],
)
def test_register_errors_show_next_to_the_field(
    client: FlaskClient, changes: dict, field_id: str, message: str
) -> None:
    response = register(client, **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    match = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page)
    assert match and message in match.group(1)
    assert f'aria-describedby="{field_id}' in page or f'{field_id}-error"' in page
    assert user_count() == 0


def test_duplicate_email_is_refused(client: FlaskClient, member: User) -> None:
    response = register(client, email="TRAINEE@example.org")
    assert response.status_code == 400
    assert "An account with this email already exists" in response.get_data(as_text=True)
    assert user_count() == 1


def test_sign_in_and_out(client: FlaskClient, member: User) -> None:
    bad = client.post("/login", data={"email": member.email, "password": "nope nope nope"})
    assert bad.status_code == 400
    assert "That email and password do not match." in bad.get_data(as_text=True)
    good = client.post("/login?next=/profile", data={"email": member.email, "password": PASSWORD})
    assert good.status_code == 302 and good.location == "/profile"
    assert client.get("/profile").status_code == 200
    client.post("/logout")
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example/x", "javascript:x"]
)
def test_sign_in_never_redirects_off_site(client: FlaskClient, member: User, target: str) -> None:
    response = client.post(
        "/login", query_string={"next": target}, data={"email": member.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location == "/"


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, member: User) -> None:
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_profile_edit_and_errors(client: FlaskClient, member: User, auth) -> None:
    auth.login(member.email)
    fields = {
        "display_name": "Tam",
        "pronouns": "she/her",
        "trains_at": "Metanoia Institute",
        "modality": "Person-centred",
        "training_stage": "Diploma or degree, year 2",
        "interests": "grief, neurodiversity",
        "bio": "Trainee in London.",
        "time_zone": "Mars/Base",
    }
    bad = client.post("/profile", data=fields)
    assert bad.status_code == 400
    assert "is not a known time zone" in bad.get_data(as_text=True)
    db.session.refresh(member)
    assert member.modality == ""
    ok = client.post("/profile", data=fields | {"time_zone": "Europe/Dublin"})
    assert ok.status_code == 302
    db.session.refresh(member)
    assert (member.trains_at, member.training_stage, member.time_zone) == (
        "Metanoia Institute",
        "Diploma or degree, year 2",
        "Europe/Dublin",
    )


def test_forms_require_a_csrf_token(app: Flask, member: User) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    refused = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert refused.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    accepted = client.post(
        "/login", data={"email": member.email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert accepted.status_code == 302


def test_first_organiser_link(client: FlaskClient, clock: Clock) -> None:
    token = accounts.issue_setup_link_token(db.session, clock.now)
    assert client.get("/setup/not-the-token").status_code == 404
    page = client.get(f"/setup/{token}")
    assert page.status_code == 200 and "Create the first organiser" in page.get_data(as_text=True)
    weak = client.post(
        f"/setup/{token}",
        data={"email": "lead@example.org", "display_name": "Lead", "password": "short"},
    )
    assert weak.status_code == 400 and user_count() == 0
    made = client.post(
        f"/setup/{token}",
        data={"email": "lead@example.org", "display_name": "Lead", "password": PASSWORD},
    )
    assert made.status_code == 302 and made.location.endswith("/organise/")
    assert client.get("/organise/").status_code == 200
    assert client.get(f"/setup/{token}").status_code == 404


def test_register_prefills_the_email_and_follows_a_safe_next(client: FlaskClient) -> None:
    page = client.get("/register?email=guest@example.org&next=/invitations/abc")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="guest@example.org"' in text
    assert 'href="/login?next=/invitations/abc"' in text  # "Already registered?" keeps next
    response = client.post(
        "/register?next=/invitations/abc",
        data={"email": "guest@example.org", "display_name": "Guest", "password": PASSWORD},
    )
    assert response.status_code == 302 and response.location == "/invitations/abc"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_register_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    response = client.post(
        "/register",
        query_string={"next": target},
        data={"email": "sam@example.org", "display_name": "Sam", "password": PASSWORD},
    )
    assert response.status_code == 302 and response.location == "/profile"


def test_sign_out_follows_a_safe_next(client: FlaskClient, member: User, auth) -> None:
    auth.login(member.email)
    response = client.post("/logout?next=/invitations/abc")
    assert response.status_code == 302 and response.location == "/invitations/abc"
    auth.login(member.email)
    assert client.post("/logout?next=https://evil.example/").location == "/"
