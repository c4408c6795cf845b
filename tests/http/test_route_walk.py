"""Walk every registered route as an anonymous visitor, a member and a facilitator of
another session: each is refused where it must be. A new route fails this test until it
is put in one of the tables below."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from chat.extensions import db
from chat.models import ChatSession, Invitation, Prompt, User
from chat.services import invitations, prompts, schedule
from tests.conftest import Auth
from tests.helpers import START, make_session, make_user

# Anyone may use these, signed in or not.
PUBLIC = {
    "schedule.index",
    "schedule.feed",
    "schedule.session_ics",
    "schedule.facilitator",  # a facilitator's profile, public like the schedule
    "auth.login",
    "auth.register",
    "auth.logout",
    "auth.setup",
    "invitations.invitation",
    "conduct.agreement",
    "attendance.verify",
    "health.healthz",
    "health.readyz",
    "static",
}
# Signed-in members may use these (anonymous visitors are sent to sign in).
MEMBERS = {"auth.profile", "schedule.lobby", "mydata.download", "mydata.delete_account"}
MEMBERS |= {"resources.library"}  # the resource library (tests/http/test_resources.py)
MEMBERS |= {"directory.members"}  # the member directory (tests/http/test_directory.py)
# A member's own CPD certificate: 409 before the end (as in the walk), 403 if not there long
# enough (tests/http/test_attendance.py).
MEMBERS |= {"attendance.certificate"}
# Connections: someone else's request is 404, and "people you met" 409 before the end
# and 403 for those who were not there (tests/http/test_connections.py).
MEMBERS |= {
    "connections.index",
    "connections.connect",
    "connections.accept",
    "connections.decline",
    "connections.withdraw",
    "connections.remove",
    "connections.report",
    "connections.block",
    "connections.unblock",
    "connections.people_you_met",
}
# A recap is for members (a public one for anyone, tested in tests/http/test_recaps.py);
# the walk's session has none published, so members get 404 and visitors sign in.
RECAP_READERS = {"recaps.recap", "recaps.download"}
# Members may use these only once the session has ended (the walk's session has not).
AFTER_THE_SESSION = {"transcripts.transcript", "transcripts.questions_csv"}
# Only members who wrote in the session, about their own words: 403 for anyone else (as in
# the walk), 409 before the end (tests/http/test_review.py).
PARTICIPANTS = {"consent.review"}
# Only this session's facilitators and organisers.
SESSION_STAFF = {
    "prompts.run_sheet",
    "attendance.table",
    "attendance.table_csv",
    "prompts.paste_prompts",
    "prompts.edit_prompt",
    "prompts.change_prompt",
    "prompts.rehearse",
    "recaps.publish_recap",
}
# Organisers only.
ORGANISERS = {
    "organise.dashboard",
    "organise.new_series",
    "organise.series",
    "organise.new_session",
    "organise.edit_session",
    "invitations.facilitators",
    "invitations.revoke_facilitator",
    "invitations.revoke_invitation",
    "audit.audit_log",
    "audit.audit_csv",
    "bans.bans",
    "bans.unban",
    "conduct.edit",
    "anonymised.export",
    "connections.reports",
    "connections.resolve",
}
CLASSIFIED = (
    PUBLIC | MEMBERS | RECAP_READERS | AFTER_THE_SESSION | SESSION_STAFF | ORGANISERS | PARTICIPANTS
)


@pytest.fixture
def world(app: Flask, organiser: User) -> dict[str, Any]:
    guest = make_user(db.session, "guest@example.org", "Dr Guest")
    room = make_session(db.session, organiser, guest)
    series = schedule.create_series(
        db.session, organiser, schedule.SeriesInput("#TraineeTalk", 1, "20:00", "UTC", 60), START
    )
    added, _ = prompts.add_prompts(db.session, guest, room, ["Why this work?"], 10, START)
    invitation, _ = invitations.create_invitation(
        db.session, organiser, room, "new@example.org", "test-secret", START
    )
    return {
        "session_id": room.id,
        "series_id": series.id,
        "user_id": guest.id,
        "prompt_id": added[0].id,
        "invitation_id": invitation.id,
        "token": "not-a-real-token",
        "fmt": "md",
        "action": "delete",
        "filename": "css/app.css",
        "connection_id": 1,  # nobody's: members get 404 (others' requests: test_connections)
        "report_id": 1,
    }


def requests(app: Flask, world: dict[str, Any]) -> list[tuple[Rule, str, str]]:
    walked = []
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(world[name]), url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            walked.append((rule, method, url))
    return walked


def snapshot() -> tuple[Any, ...]:
    db.session.expire_all()
    sessions = db.session.query(ChatSession).order_by(ChatSession.id)
    return (
        [(s.id, s.title, s.cancelled, [f.id for f in s.facilitators]) for s in sessions],
        [(p.id, p.body, p.position) for p in db.session.query(Prompt)],
        [(i.id, i.revoked_at) for i in db.session.query(Invitation)],
    )


def test_every_route_is_classified(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - CLASSIFIED == set(), "classify the new route(s) in this test"
    assert CLASSIFIED - endpoints == set(), "remove routes that no longer exist"


def test_anonymous_visitors_are_sent_to_sign_in_except_on_public_pages(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    before = snapshot()
    for rule, method, url in requests(app, world):
        response = client.open(url, method=method)
        response.close()  # static files hold their file open until closed
        if rule.endpoint in PUBLIC:
            assert response.status_code < 500, (method, url)
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.location.startswith("/login"), (method, url)
    assert snapshot() == before


@pytest.mark.parametrize("who", ["member", "facilitator of another session"])
def test_members_and_other_sessions_facilitators_are_refused_staff_routes(
    app: Flask, client: FlaskClient, auth: Auth, world: dict[str, Any], organiser: User, who
) -> None:
    user = make_user(db.session, "someone@example.org", "Someone")
    if who != "member":
        make_session(db.session, organiser, user).title = "Another session"
        db.session.commit()
    before = snapshot()
    auth.login(user.email)
    for rule, method, url in requests(app, world):
        if rule.endpoint == "auth.logout":
            continue  # would end the walk's own sign-in
        response = client.open(url, method=method, data={"body": "x"})
        response.close()
        status = response.status_code
        if rule.endpoint in SESSION_STAFF | ORGANISERS | AFTER_THE_SESSION | PARTICIPANTS:
            assert status == 403, (method, url, status)
        else:
            assert status < 500, (method, url, status)
    assert snapshot() == before
