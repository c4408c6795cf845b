"""The organisers' bans page, and what a banned member meets when signing in."""

from __future__ import annotations

from flask import Flask, g
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import User
from chat.services import moderation, sanctions
from tests.conftest import Auth
from tests.helpers import START, Clock, make_session, make_user


def ban(organiser: User, member: User, reason: str) -> None:
    room = make_session(db.session, organiser)
    moderation.ban(db.session, organiser, room, member.id, reason, START, 15)


def test_a_banned_member_is_told_why_when_signing_in_and_can_again_once_unbanned(
    app: Flask, client: FlaskClient, auth: Auth, organiser: User, member: User
) -> None:
    ban(organiser, member, "Repeated hostility towards other trainees")
    page = auth.login(member.email)
    assert page.status_code == 403
    assert "suspended from the community" in page.text
    assert "Repeated hostility towards other trainees" in page.text
    wrong = auth.login(member.email, "not the password")
    assert "Repeated hostility" not in wrong.text  # only the right password learns why
    moderation.unban(db.session, organiser, member.id, START)
    assert auth.login(member.email).status_code == 302


def test_organisers_see_bans_and_lift_one(
    app: Flask, client: FlaskClient, auth: Auth, organiser: User, member: User, clock: Clock
) -> None:
    other = make_user(db.session, "sam@example.org", "Sam Other")
    ban(organiser, member, "Abusive messages")
    ban(organiser, other, "Spam <script>alert(1)</script>")
    auth.login(organiser.email)
    page = client.get("/organise/bans/")
    assert page.status_code == 200
    text = page.text
    for expected in ("Tam Trainee", "Abusive messages", "Sam Other", "Olu Organiser"):
        assert expected in text
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text
    lifted = client.post(f"/organise/bans/{member.id}/unban", follow_redirects=True)
    assert lifted.status_code == 200 and "The ban is lifted" in lifted.text
    assert sanctions.active_ban(db.session, member.id, clock.now) is None
    assert sanctions.active_ban(db.session, other.id, clock.now) is not None
    again = client.post(f"/organise/bans/{member.id}/unban", follow_redirects=True)
    assert "not banned" in again.text


def test_a_ban_ends_an_existing_sign_in(
    app: Flask, client: FlaskClient, auth: Auth, organiser: User, member: User
) -> None:
    auth.login(member.email)
    assert client.get("/profile").status_code == 200
    ban(organiser, member, "Abuse")
    g.pop("_login_user", None)  # the tests share one app context, where Flask-Login caches
    assert client.get("/profile").status_code == 302
