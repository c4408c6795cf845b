"""Connections pages: who may use each route, CSRF, sending and answering requests,
blocking with its confirmation, reports for organisers, and "people you met"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from chat.extensions import db
from chat.models import AuditEntry, ChatSession, Connection, User, Visit
from chat.services import blocks, connections
from tests.conftest import Auth
from tests.helpers import Clock, make_session, make_user


def listed(email: str, name: str, interests: str = "", region: str = "") -> User:
    user = make_user(db.session, email, name)
    user.directory_listed = True
    user.interests = interests
    user.region = region
    db.session.commit()
    return user


@pytest.fixture
def ana(app: Flask) -> User:
    user = listed("ana@example.org", "Ana Asker")
    user.contact_email = "ana@practice.example"
    db.session.commit()
    return user


@pytest.fixture
def ben(app: Flask) -> User:
    user = listed("ben@example.org", "Ben Answerer")
    user.contact_website = "https://ben.example"
    db.session.commit()
    return user


def ask(sender: User, to: User, clock: Clock, note: str = "Hello") -> int:
    return connections.request(db.session, sender, to.id, note, clock.now, 10).id


def status(connection_id: int) -> str:
    db.session.expire_all()
    found = db.session.get(Connection, connection_id)
    assert found is not None
    return found.status


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).text
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def fresh_sign_in() -> None:
    g.pop("_login_user", None)  # the tests share one app context, where Flask-Login caches


ROUTES = [
    ("GET", "/connections"),
    ("GET", "/members/{ben}/connect"),
    ("POST", "/members/{ben}/connect"),
    ("POST", "/connections/{cid}/accept"),
    ("POST", "/connections/{cid}/decline"),
    ("POST", "/connections/{cid}/withdraw"),
    ("POST", "/connections/{cid}/remove"),
    ("GET", "/connections/{cid}/report"),
    ("POST", "/connections/{cid}/report"),
    ("POST", "/members/{ben}/block"),
    ("POST", "/members/{ben}/unblock"),
    ("GET", "/sessions/{room}/people-you-met"),
    ("GET", "/organise/connection-reports"),
    ("POST", "/organise/connection-reports/{report}/resolve"),
]


@pytest.mark.parametrize("method, path", ROUTES)
def test_signed_out_visitors_are_sent_to_sign_in(
    client: FlaskClient, organiser: User, ana: User, ben: User, clock: Clock, method, path
) -> None:
    room = make_session(db.session, organiser)
    cid = ask(ana, ben, clock)
    url = path.format(ben=ben.id, cid=cid, room=room.id, report=1)
    response = client.open(url, method=method, data={"confirm": "yes", "reason": "spam"})
    assert response.status_code == 302 and response.location.startswith("/login")
    assert status(cid) == "pending"
    assert not blocks.between(db.session, ana.id, ben.id)


@pytest.mark.parametrize(
    "action, who",
    [
        ("accept", "requester"),
        ("decline", "requester"),
        ("accept", "stranger"),
        ("decline", "stranger"),
        ("withdraw", "addressee"),
        ("withdraw", "stranger"),
        ("report", "requester"),
        ("report", "stranger"),
    ],
)
def test_a_member_cannot_act_on_someone_elses_request(
    client: FlaskClient, auth: Auth, ana: User, ben: User, clock: Clock, action, who
) -> None:
    cid = ask(ana, ben, clock)
    actor = {"requester": ana, "addressee": ben}.get(who) or listed("cy@example.org", "Cy")
    auth.login(actor.email)
    response = client.post(f"/connections/{cid}/{action}", data={"reason": "spam"})
    assert response.status_code == 404
    assert "no such request" in response.text
    if action == "report":
        assert client.get(f"/connections/{cid}/report").status_code == 404
    assert status(cid) == "pending"


def test_a_stranger_cannot_remove_a_connection(
    client: FlaskClient, auth: Auth, ana: User, ben: User, clock: Clock
) -> None:
    cid = ask(ana, ben, clock)
    connections.accept(db.session, ben, cid, clock.now)
    auth.login(listed("cy@example.org", "Cy").email)
    assert client.post(f"/connections/{cid}/remove").status_code == 404
    assert status(cid) == "accepted"


@pytest.mark.parametrize(
    "path, page",
    [
        ("/connections/{cid}/accept", "/connections"),
        ("/members/{ben}/block", "/connections"),
        ("/members/{ben}/unblock", "/connections"),
        ("/members/{ben}/connect", "/members/{ben}/connect"),
        ("/connections/{cid}/report", "/connections/{cid}/report"),
    ],
)
def test_forms_need_their_csrf_token(
    app: Flask, client: FlaskClient, auth: Auth, ana: User, ben: User, clock: Clock, path, page
) -> None:
    cy = listed("cy@example.org", "Cy")
    cid = ask(cy, ana, clock)
    auth.login(ana.email)
    app.config["WTF_CSRF_ENABLED"] = True
    url = path.format(cid=cid, ben=ben.id)
    data = {"confirm": "yes", "reason": "spam", "note": "Hi"}
    refused = client.post(url, data=data)
    assert refused.status_code == 400
    assert status(cid) == "pending"
    assert not blocks.between(db.session, ana.id, ben.id)
    assert connections.outgoing(db.session, ana).items == []
    token = csrf_token(client, page.format(cid=cid, ben=ben.id))
    done = client.post(url, data={**data, "csrf_token": token})
    assert done.status_code in (200, 302)
    assert status(cid) != "pending" or path.endswith(("block", "unblock", "connect"))


def test_organiser_pages_refuse_members(
    client: FlaskClient, auth: Auth, ana: User, ben: User, clock: Clock
) -> None:
    filed = connections.report(db.session, ben, ask(ana, ben, clock), "spam", "", clock.now)
    auth.login(ben.email)
    assert client.get("/organise/connection-reports").status_code == 403
    resolve = client.post(f"/organise/connection-reports/{filed.id}/resolve", data={})
    assert resolve.status_code == 403


def test_a_request_sent_accepted_and_shown_with_contact_details(
    client: FlaskClient, auth: Auth, ana: User, ben: User
) -> None:
    auth.login(ana.email)
    form = client.get(f"/members/{ben.id}/connect?next=/connections")
    assert form.status_code == 200 and "Connect with Ben Answerer" in form.text
    assert 'data-max="300"' in form.text
    sent = client.post(
        f"/members/{ben.id}/connect",
        data={"note": "We met in <b>Endings</b>", "next": "/connections"},
        follow_redirects=True,
    )
    assert "Your request is on its way to Ben Answerer." in sent.text
    assert "Requests you sent" in sent.text and "waiting for their answer" in sent.text
    again = client.get(f"/members/{ben.id}/connect")
    assert again.status_code == 409 and "already sent Ben Answerer a request" in again.text
    auth.logout()
    fresh_sign_in()
    auth.login(ben.email)
    page = client.get("/connections")
    assert "Ana Asker" in page.text
    assert "We met in &lt;b&gt;Endings&lt;/b&gt;" in page.text  # escaped
    assert 'class="nav-count">1<' in page.text
    assert "ana@practice.example" not in page.text  # not before accepting
    cid = connections.incoming(db.session, ben).items[0].id
    accepted = client.post(f"/connections/{cid}/accept", follow_redirects=True)
    assert "Connected" in accepted.text
    assert 'href="mailto:ana@practice.example"' in accepted.text
    assert 'class="nav-count"' not in accepted.text
    auth.logout()
    fresh_sign_in()
    auth.login(ana.email)
    mine = client.get("/connections").text
    assert 'href="https://ben.example" rel="noopener noreferrer" target="_blank"' in mine


@pytest.mark.parametrize(
    "case, code, text",
    [
        ("note too long", 400, "300 characters or fewer"),
        ("not listed", 404, "no such member in the directory"),
        ("blocked", 403, "You can&#39;t send this member a request."),
        ("self", 400, "to yourself"),
    ],
)
def test_a_refused_request_says_why(
    client: FlaskClient, auth: Auth, ana: User, ben: User, clock: Clock, case, code, text
) -> None:
    target, note = ben, "Hi"
    if case == "note too long":
        note = "x" * 301
    elif case == "not listed":
        ben.directory_listed = False
        db.session.commit()
    elif case == "blocked":
        blocks.block(db.session, ben, ana.id, clock.now)
    else:
        target = ana
    auth.login(ana.email)
    response = client.post(f"/members/{target.id}/connect", data={"note": note})
    assert response.status_code == code and text in response.text
    assert db.session.scalars(select(Connection)).all() == []


def test_the_daily_limit_answers_429_until_the_window_passes(
    client: FlaskClient, auth: Auth, ana: User, clock: Clock
) -> None:
    others = [listed(f"m{n}@example.org", f"Member {n}") for n in range(11)]
    auth.login(ana.email)
    for other in others[:10]:
        assert client.post(f"/members/{other.id}/connect", data={"note": ""}).status_code == 302
    clock.now += timedelta(hours=23)
    limited = client.post(f"/members/{others[10].id}/connect", data={"note": "Hi"})
    assert limited.status_code == 429
    assert "You can send the next one in an hour." in limited.text
    clock.now += timedelta(hours=1, seconds=1)
    assert client.post(f"/members/{others[10].id}/connect", data={"note": ""}).status_code == 302


def test_blocking_asks_first_then_blocks_and_ends_the_request(
    client: FlaskClient, auth: Auth, ana: User, ben: User, clock: Clock
) -> None:
    cid = ask(ana, ben, clock)
    auth.login(ben.email)
    confirm = client.post(f"/members/{ana.id}/block", data={"next": "/connections"})
    assert confirm.status_code == 200
    assert "Block Ana Asker?" in confirm.text and "They are not told." in confirm.text
    assert not blocks.between(db.session, ana.id, ben.id)
    done = client.post(f"/members/{ana.id}/block", data={"confirm": "yes", "next": "/connections"})
    assert done.status_code == 302 and done.location == "/connections"
    assert blocks.between(db.session, ana.id, ben.id)
    assert status(cid) == "declined"
    page = client.get("/connections").text
    assert "Members you blocked" in page and "Ana Asker" in page
    unblocked = client.post(f"/members/{ana.id}/unblock", follow_redirects=True)
    assert "Unblocked" in unblocked.text
    assert not blocks.between(db.session, ana.id, ben.id)
    outside = client.post(
        f"/members/{ana.id}/block", data={"confirm": "yes", "next": "https://evil.example/"}
    )
    assert outside.location == "/connections"  # never an open redirect


def test_a_reported_request_reaches_the_organisers_who_resolve_it(
    client: FlaskClient, auth: Auth, ana: User, ben: User, organiser: User, clock: Clock
) -> None:
    cid = ask(ana, ben, clock, "Buy my <i>course</i>")
    auth.login(ben.email)
    form = client.get(f"/connections/{cid}/report")
    assert form.status_code == 200 and "Buy my &lt;i&gt;course&lt;/i&gt;" in form.text
    missing = client.post(f"/connections/{cid}/report", data={"reason": ""})
    assert missing.status_code == 400 and "Choose a reason" in missing.text
    filed = client.post(
        f"/connections/{cid}/report",
        data={"reason": "spam", "note": "Advertising"},
        follow_redirects=True,
    )
    assert "the organisers will look at it" in filed.text
    assert status(cid) == "declined"
    auth.logout()
    fresh_sign_in()
    auth.login(organiser.email)
    assert "Reported connection requests" in client.get("/organise/").text
    queue = client.get("/organise/connection-reports")
    assert "Spam or advertising" in queue.text and "Advertising" in queue.text
    assert "Ana Asker" in queue.text and "Ben Answerer" in queue.text
    report_id = db.session.scalars(select(connections.ConnectionReport.id)).one()
    closed = client.post(
        f"/organise/connection-reports/{report_id}/resolve",
        data={"outcome": "dismissed", "note": "Spoke to them"},
        follow_redirects=True,
    )
    assert "Report closed" in closed.text and "No open reports" in closed.text
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_id, entry.subject_id) == (
        "dismiss_connection_report",
        organiser.id,
        ana.id,
    )
    twice = client.post(
        f"/organise/connection-reports/{report_id}/resolve",
        data={"outcome": "resolved", "note": ""},
        follow_redirects=True,
    )
    assert "already dismissed" in twice.text


def _attend(room: ChatSession, *people: User) -> None:
    for person in people:
        db.session.add(
            Visit(
                session_id=room.id,
                user_id=person.id,
                sid=f"s{person.id}",
                joined_at=room.starts_at,
                left_at=room.starts_at + timedelta(minutes=55),
            )
        )
    db.session.commit()


def test_people_you_met_after_a_session_with_the_card_actions(
    client: FlaskClient, auth: Auth, organiser: User, clock: Clock
) -> None:
    room = make_session(db.session, organiser)
    viv = listed("viv@example.org", "Viv", "trauma, grief", "Scotland")
    ivy = listed("ivy@example.org", "Ivy <Shared>", "Trauma", "")
    nia = listed("nia@example.org", "Nia Nothing", "CBT", "Wales")
    absent = listed("abe@example.org", "Abe Absent", "trauma", "Scotland")
    _attend(room, viv, ivy, nia)
    url = f"/sessions/{room.id}/people-you-met"
    auth.login(viv.email)
    clock.now = room.starts_at + timedelta(minutes=10)
    early = client.get(url)
    assert early.status_code == 409 and "once the session has ended" in early.text
    clock.now = room.starts_at + timedelta(hours=2)
    page = client.get(url)
    assert page.status_code == 200
    assert "Ivy &lt;Shared&gt;" in page.text and "You both mentioned Trauma" in page.text
    assert "Nia Nothing" not in page.text and "Abe Absent" not in page.text
    assert f'href="/members/{ivy.id}/connect?next=' in page.text
    assert f'action="/members/{ivy.id}/block"' in page.text
    lobby = client.get(f"/sessions/{room.id}").text
    assert f'href="/sessions/{room.id}/people-you-met"' in lobby
    connections.request(db.session, viv, ivy.id, "", clock.now, 10)
    assert "Nobody to suggest" in client.get(url).text  # asked already: no longer suggested
    auth.logout()
    fresh_sign_in()
    auth.login(absent.email)
    assert client.get(url).status_code == 403  # was not there
    assert "people-you-met" not in client.get(f"/sessions/{room.id}").text


def test_lists_on_the_connections_page_turn_their_own_pages(
    client: FlaskClient, auth: Auth, ana: User, clock: Clock
) -> None:
    for n in range(connections.PAGE + 1):
        ask(listed(f"p{n}@example.org", f"Person {n:02}"), ana, clock)
    auth.login(ana.email)
    first = client.get("/connections").text
    assert first.count("asked to connect") == connections.PAGE
    assert 'href="/connections?incoming=2"' in first
    second = client.get("/connections?incoming=2&blocked=1").text
    assert second.count("asked to connect") == 1
    assert "incoming=1" in second
