"""The group agreement pages: reading, accepting before a room, organisers editing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import ConductAcceptance, ConductVersion, User
from chat.services import accounts, conduct
from tests.conftest import Auth
from tests.helpers import PASSWORD, START, Clock, make_session

AGREEMENT = "# Our agreement\n\n- Be **kind**\n- <script>alert('x')</script>"


def publish(organiser: User, body: str = AGREEMENT, when=START) -> ConductVersion:
    version, _ = conduct.publish(db.session, organiser, body, when)
    return version


def acceptances(user: User) -> list[tuple[int, object]]:
    db.session.expire_all()
    rows = db.session.query(ConductAcceptance).filter_by(user_id=user.id)
    return [(row.version_id, row.accepted_at) for row in rows]


def test_without_an_agreement_nobody_is_stopped_at_the_door(
    client: FlaskClient, auth: Auth, organiser: User, member: User
) -> None:
    room = make_session(db.session, organiser)
    auth.login(member.email)
    assert client.get(f"/sessions/{room.id}").status_code == 200
    page = client.get("/agreement").get_data(as_text=True)
    assert "have not published a group agreement yet" in page


def test_a_member_reads_accepts_and_lands_in_the_room(
    client: FlaskClient, auth: Auth, organiser: User, member: User, clock: Clock
) -> None:
    room = make_session(db.session, organiser)
    version = publish(organiser)
    auth.login(member.email)

    sent = client.get(f"/sessions/{room.id}")
    assert sent.status_code == 302
    assert sent.location == f"/agreement?next=/sessions/{room.id}"
    page = client.get(sent.location).get_data(as_text=True)
    assert "<strong>kind</strong>" in page
    assert "&lt;script&gt;alert(" in page  # stored text stays text
    assert "<script>alert" not in page
    assert f'name="version" type="hidden" value="{version.id}"' in page
    assert "I have read and agree" in page

    unticked = client.post(sent.location, data={"version": version.id})
    assert unticked.status_code == 400 and "Tick the box" in unticked.get_data(as_text=True)
    assert acceptances(member) == []

    clock.now = START + timedelta(minutes=5)
    accepted = client.post(sent.location, data={"version": version.id, "agree": "y"})
    assert accepted.status_code == 302 and accepted.location == f"/sessions/{room.id}"
    assert acceptances(member) == [(version.id, clock.now)]
    assert client.get(f"/sessions/{room.id}").status_code == 200
    assert "You have accepted this version" in client.get("/agreement").get_data(as_text=True)


def test_a_changed_agreement_is_asked_for_again(
    client: FlaskClient, auth: Auth, organiser: User, member: User
) -> None:
    room = make_session(db.session, organiser)
    first = publish(organiser)
    conduct.accept(db.session, member, first.id, START)
    auth.login(member.email)
    assert client.get(f"/sessions/{room.id}").status_code == 200

    second = publish(organiser, AGREEMENT + "\n\nNo screenshots.", START + timedelta(days=1))
    assert client.get(f"/sessions/{room.id}").status_code == 302
    # A tab left open on the old version is told to read the new one, not recorded.
    stale = client.post("/agreement", data={"version": first.id, "agree": "y"})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 400 and "changed while you were reading" in text
    assert "No screenshots." in text and f'value="{second.id}"' in text
    assert [v for v, _ in acceptances(member)] == [first.id]

    client.post("/agreement", data={"version": second.id, "agree": "y"})
    assert sorted(v for v, _ in acceptances(member)) == [first.id, second.id]
    assert client.get(f"/sessions/{room.id}").status_code == 200


def test_staff_accept_the_agreement_too(client: FlaskClient, auth: Auth, organiser: User) -> None:
    room = make_session(db.session, organiser)
    publish(organiser)
    auth.login(organiser.email)
    assert client.get(f"/sessions/{room.id}").location.startswith("/agreement?next=")


@pytest.mark.parametrize(
    ("next_path", "lands_on"),
    [
        ("/sessions/1", "/sessions/1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_accepting_follows_only_a_local_next(
    client: FlaskClient, auth: Auth, organiser: User, member: User, next_path: str, lands_on: str
) -> None:
    version = publish(organiser)
    auth.login(member.email)
    response = client.post(
        "/agreement", query_string={"next": next_path}, data={"version": version.id, "agree": "y"}
    )
    assert response.status_code == 302 and response.location == lands_on


def test_anyone_may_read_it_but_only_members_accept(client: FlaskClient, organiser: User) -> None:
    version = publish(organiser)
    page = client.get("/agreement").get_data(as_text=True)
    assert "<h1>Our agreement</h1>" in page and "I have read and agree" not in page
    assert 'href="/login?next=/agreement"' in page
    refused = client.post("/agreement", data={"version": version.id, "agree": "y"})
    assert refused.status_code == 302 and refused.location.startswith("/login")
    assert db.session.query(ConductAcceptance).count() == 0


def test_members_cannot_edit_the_agreement(
    client: FlaskClient, auth: Auth, organiser: User, member: User
) -> None:
    publish(organiser)
    auth.login(member.email)
    assert client.get("/organise/agreement").status_code == 403
    assert client.post("/organise/agreement", data={"body": "My rules"}).status_code == 403
    assert db.session.query(ConductVersion).count() == 1


def test_organisers_publish_versions_and_see_who_accepted(
    client: FlaskClient, auth: Auth, organiser: User, member: User, clock: Clock
) -> None:
    auth.login(organiser.email)
    first_visit = client.get("/organise/agreement").get_data(as_text=True)
    assert "No agreement is published yet" in first_visit
    assert "Our group agreement" in first_visit  # the starter text, ready to adapt

    published = client.post("/organise/agreement", data={"body": AGREEMENT})
    assert published.status_code == 302
    version = conduct.current(db.session)
    assert version is not None and version.created_by_id == organiser.id
    conduct.accept(db.session, member, version.id, clock.now)
    page = client.get("/organise/agreement").get_data(as_text=True)
    assert f"Version {version.id} is in force" in page
    assert "1 of 2 members have accepted it" in page

    client.post("/organise/agreement", data={"body": AGREEMENT + "\n"})
    assert db.session.query(ConductVersion).count() == 1  # the same text: no new version
    assert "No change" in client.get("/organise/agreement").get_data(as_text=True)

    empty = client.post("/organise/agreement", data={"body": "   "})
    assert empty.status_code == 400 and "Write the agreement" in empty.get_data(as_text=True)
    too_long = client.post("/organise/agreement", data={"body": "x" * 20_001})
    assert too_long.status_code == 400 and "20,000 characters" in too_long.get_data(as_text=True)
    assert db.session.query(ConductVersion).count() == 1


def test_every_page_links_to_the_agreement(client: FlaskClient) -> None:
    assert 'href="/agreement">Group agreement</a>' in client.get("/").get_data(as_text=True)


def test_the_first_organiser_starts_with_the_starter_agreement(
    client: FlaskClient, clock: Clock
) -> None:
    token = accounts.issue_setup_link_token(db.session, clock.now)
    client.post(
        f"/setup/{token}",
        data={"email": "lead@example.org", "display_name": "Lead", "password": PASSWORD},
    )
    version = conduct.current(db.session)
    assert version is not None and "Safeguarding" in version.body
    assert client.get("/agreement").status_code == 200


def test_the_content_note_sits_at_the_top_of_the_chat(
    client: FlaskClient, auth: Auth, organiser: User, member: User
) -> None:
    room = make_session(db.session, organiser)
    room.content_note = "Discusses suicide & self-harm <b>"
    db.session.commit()
    auth.login(member.email)
    page = client.get(f"/sessions/{room.id}").get_data(as_text=True)
    chat = page.split('id="chat-heading"', 1)[1].split('id="composer"', 1)[0]
    note = "Discusses suicide &amp; self-harm &lt;b&gt;"
    assert 'id="room-content-note" class="banner room-content-note">' in chat and note in chat
    assert 'aria-describedby="room-content-note"' in chat  # read out with the chat log
