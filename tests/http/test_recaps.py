"""Recaps over HTTP: who reads what, the publish form, the downloads, and consent applied
at once."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from chat.extensions import db
from chat.models import ChatSession, Message, Recap, User
from chat.services import messages, prompts, recaps, rooms, schedule
from tests.helpers import START, Clock, make_user

LOBBY = 15
PROMPT = "What stirs in you when a client goes quiet?"
ANSWER = "Silence can feel like a held breath."
HOSTILE = "<script>alert(1)</script> & <b>bold</b>"


@pytest.fixture
def facilitator(app: Any) -> User:
    return make_user(db.session, "maya@example.org", "Dr Maya Okafor")


@pytest.fixture
def session(organiser: User, facilitator: User) -> ChatSession:
    """Tuesday 1 December 2026, 20:00 to 21:00 in New York (UTC-5 in winter)."""
    form = schedule.SessionInput(
        "Working with silence",
        datetime(2026, 12, 1, 20, 0),
        datetime(2026, 12, 1, 21, 0),
        "America/New_York",
        facilitator_emails=(facilitator.email,),
    )
    return schedule.create_session(db.session, organiser, form, START)


def at(session: ChatSession, minutes: float) -> datetime:
    return session.starts_at + timedelta(minutes=minutes)


def closes(session: ChatSession) -> datetime:
    return rooms.ends_at(session) + timedelta(hours=48)


@pytest.fixture
def chat(session: ChatSession, facilitator: User, member: User) -> ChatSession:
    """Q1 posted, then the member's answer and a hostile-looking message."""
    (prompt,), _ = prompts.add_prompts(db.session, facilitator, session, [PROMPT], 10, START)
    prompts.post_prompt(db.session, facilitator, session, prompt.id, at(session, 2), LOBBY)
    for minute, body in [(3, ANSWER), (4, HOSTILE)]:
        messages.send_message(
            db.session, member, session, body, str(uuid4()), None, at(session, minute), LOBBY
        )
    return session


@pytest.fixture
def reviewed(chat: ChatSession, clock: Clock) -> ChatSession:
    """The review window has closed."""
    clock.now = closes(chat)
    return chat


def publish(session: ChatSession, actor: User, visibility: str = "members") -> Recap:
    return recaps.publish(db.session, actor, session, "We sat with silence.", visibility,
                          closes(session))  # fmt: skip


def people(organiser: User, facilitator: User, member: User) -> dict[str, User | None]:
    return {"anonymous": None, "member": member, "facilitator": facilitator, "organiser": organiser}


PATHS = ["/sessions/{id}/recap", "/sessions/{id}/recap.md", "/sessions/{id}/recap.html",
         "/sessions/{id}/recap.pdf"]  # fmt: skip


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("unpublished", {"anonymous": 302, "member": 404, "facilitator": 200, "organiser": 200}),
        ("members", {"anonymous": 302, "member": 200, "facilitator": 200, "organiser": 200}),
        ("public", {"anonymous": 200, "member": 200, "facilitator": 200, "organiser": 200}),
    ],
)
def test_who_may_read_the_page_and_downloads(
    client: FlaskClient,
    auth: Any,
    reviewed: ChatSession,
    organiser: User,
    facilitator: User,
    member: User,
    path: str,
    state: str,
    expected: dict[str, int],
) -> None:
    if state != "unpublished":
        publish(reviewed, organiser, state)
    url = path.format(id=reviewed.id)
    for who, user in people(organiser, facilitator, member).items():
        if user is not None:
            auth.login(user.email)
        response = client.get(url)
        assert response.status_code == expected[who], (who, url)
        if response.status_code == 302:
            assert response.location.startswith("/login")
        auth.logout()


def test_unknown_sessions_and_formats_are_not_found(
    client: FlaskClient, auth: Any, reviewed: ChatSession, organiser: User
) -> None:
    auth.login(organiser.email)
    assert client.get("/sessions/9999/recap").status_code == 404
    assert client.get(f"/sessions/{reviewed.id}/recap.docx").status_code == 404


@pytest.mark.parametrize(
    ("fmt", "content_type", "disposition"),
    [
        ("md", "text/markdown; charset=utf-8", "attachment"),
        ("html", "text/html; charset=utf-8", "inline"),
        ("pdf", "application/pdf", "attachment"),
    ],
)
def test_downloads_have_their_type_and_file_name(
    client: FlaskClient,
    reviewed: ChatSession,
    organiser: User,
    fmt: str,
    content_type: str,
    disposition: str,
) -> None:
    publish(reviewed, organiser, "public")
    response = client.get(f"/sessions/{reviewed.id}/recap.{fmt}")
    assert response.status_code == 200
    assert response.content_type == content_type
    expected = f'{disposition}; filename="traineetalk-session-{reviewed.id}-recap.{fmt}"'
    assert response.headers["Content-Disposition"] == expected


def test_the_pdf_opens_and_holds_the_prompt_answers_and_summary(
    client: FlaskClient, reviewed: ChatSession, organiser: User
) -> None:
    publish(reviewed, organiser, "public")
    response = client.get(f"/sessions/{reviewed.id}/recap.pdf")
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert f"Q1: {PROMPT}" in text
    assert ANSWER in text
    assert "We sat with silence." in text
    assert "Tue 1 Dec 2026, 20:00 to 21:00 EST" in text
    assert reader.metadata.title == "Recap: Working with silence"


def test_the_markdown_and_html_escape_members_words(
    client: FlaskClient, reviewed: ChatSession, organiser: User
) -> None:
    publish(reviewed, organiser, "public")
    markdown = client.get(f"/sessions/{reviewed.id}/recap.md").get_data(as_text=True)
    assert "\\<script\\>alert(1)\\</script\\> \\& \\<b\\>bold\\</b\\>" in markdown
    assert f"> {PROMPT}" in markdown
    for path in (f"/sessions/{reviewed.id}/recap.html", f"/sessions/{reviewed.id}/recap"):
        page = client.get(path)
        html = page.get_data(as_text=True)
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_standalone_html_styles_itself_with_this_responses_nonce(
    client: FlaskClient, reviewed: ChatSession, organiser: User
) -> None:
    publish(reviewed, organiser, "public")
    response = client.get(f"/sessions/{reviewed.id}/recap.html")
    policy = response.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in response.get_data(as_text=True)


def test_changing_consent_after_publication_changes_the_recap_at_once(
    client: FlaskClient, reviewed: ChatSession, organiser: User, member: User
) -> None:
    publish(reviewed, organiser, "public")
    assert ANSWER in client.get(f"/sessions/{reviewed.id}/recap").get_data(as_text=True)
    theirs = list(db.session.scalars(select(Message).where(Message.author_id == member.id)))
    for message in theirs:
        message.consent = "anonymise"
    db.session.commit()
    page = client.get(f"/sessions/{reviewed.id}/recap").get_data(as_text=True)
    assert ANSWER in page
    assert "A participant" in page
    assert "Tam Trainee" not in page
    (answer,) = [message for message in theirs if message.body == ANSWER]
    answer.consent = "withdraw"
    db.session.commit()
    for path in PATHS[:3]:
        assert ANSWER not in client.get(path.format(id=reviewed.id)).get_data(as_text=True)


# The publish form


def test_staff_see_when_the_window_closes_and_cannot_publish_before(
    client: FlaskClient, auth: Any, chat: ChatSession, clock: Clock, facilitator: User
) -> None:
    clock.now = at(chat, 90)
    auth.login(facilitator.email)
    page = client.get(f"/sessions/{chat.id}/recap").get_data(as_text=True)
    assert "Preview: not published" in page
    assert "Fri 4 Dec, 02:00 UTC" in page  # 21:00 EST, in the viewer's zone (UTC here)
    assert 'name="summary"' not in page
    response = client.post(
        f"/sessions/{chat.id}/recap", data={"summary": "x", "visibility": "members"}
    )
    assert response.status_code == 409
    assert "Thu 3 Dec 2026, 21:00 EST" in response.get_data(as_text=True)
    assert recaps.get(db.session, chat) is None


def test_a_facilitator_publishes_for_members_and_updates_it(
    client: FlaskClient, auth: Any, reviewed: ChatSession, facilitator: User
) -> None:
    auth.login(facilitator.email)
    page = client.get(f"/sessions/{reviewed.id}/recap").get_data(as_text=True)
    assert 'name="summary"' in page
    assert 'value="public"' not in page  # only organisers are offered "anyone"
    response = client.post(
        f"/sessions/{reviewed.id}/recap",
        data={"summary": "A gentle hour.", "visibility": "members", "action": "publish"},
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "The recap is published." in page
    assert "A gentle hour." in page
    assert "Update the recap" in page
    client.post(
        f"/sessions/{reviewed.id}/recap", data={"summary": "Edited.", "visibility": "members"}
    )
    db.session.expire_all()
    recap = recaps.get(db.session, reviewed)
    assert recap is not None
    assert (recap.summary, recap.visibility) == ("Edited.", "members")


def test_only_organisers_make_a_recap_public(
    client: FlaskClient, auth: Any, reviewed: ChatSession, facilitator: User, organiser: User
) -> None:
    auth.login(facilitator.email)
    response = client.post(
        f"/sessions/{reviewed.id}/recap", data={"summary": "", "visibility": "public"}
    )
    assert response.status_code == 403
    assert "Only organisers can make a recap public." in response.get_data(as_text=True)
    auth.logout()
    auth.login(organiser.email)
    assert 'value="public"' in client.get(f"/sessions/{reviewed.id}/recap").get_data(as_text=True)
    response = client.post(
        f"/sessions/{reviewed.id}/recap", data={"summary": "", "visibility": "public"}
    )
    assert response.status_code == 302
    auth.logout()
    assert client.get(f"/sessions/{reviewed.id}/recap").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"summary": "x" * 2001, "visibility": "members"}, "Keep the summary to 2,000 characters"),
        ({"summary": "ok", "visibility": "friends"}, "Choose who can read the recap"),
    ],
)
def test_bad_input_is_shown_by_its_field(
    client: FlaskClient, auth: Any, reviewed: ChatSession, organiser: User, data: dict, message: str
) -> None:
    auth.login(organiser.email)
    response = client.post(f"/sessions/{reviewed.id}/recap", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert recaps.get(db.session, reviewed) is None


def test_members_cannot_publish(
    client: FlaskClient, auth: Any, reviewed: ChatSession, member: User
) -> None:
    auth.login(member.email)
    response = client.post(
        f"/sessions/{reviewed.id}/recap", data={"summary": "", "visibility": "members"}
    )
    assert response.status_code == 403
    assert recaps.get(db.session, reviewed) is None


def test_unpublishing_takes_it_away_from_members(
    client: FlaskClient, auth: Any, reviewed: ChatSession, facilitator: User, member: User
) -> None:
    publish(reviewed, facilitator)
    auth.login(facilitator.email)
    response = client.post(f"/sessions/{reviewed.id}/recap", data={"action": "unpublish"})
    assert response.status_code == 302
    auth.logout()
    auth.login(member.email)
    assert client.get(f"/sessions/{reviewed.id}/recap").status_code == 404


# Links to it


def test_the_schedule_and_the_lobby_link_to_a_published_recap(
    client: FlaskClient, auth: Any, reviewed: ChatSession, organiser: User, member: User
) -> None:
    link = f'href="/sessions/{reviewed.id}/recap"'
    assert link not in client.get("/").get_data(as_text=True)
    publish(reviewed, organiser, "public")
    assert link in client.get("/").get_data(as_text=True)
    auth.login(member.email)
    assert link in client.get(f"/sessions/{reviewed.id}").get_data(as_text=True)


def test_staff_are_led_to_the_preview_once_the_session_ended(
    client: FlaskClient, auth: Any, chat: ChatSession, clock: Clock, facilitator: User
) -> None:
    auth.login(facilitator.email)
    link = f'href="/sessions/{chat.id}/recap"'
    clock.now = at(chat, 30)
    assert link not in client.get(f"/sessions/{chat.id}").get_data(as_text=True)
    clock.now = at(chat, 61)
    page = client.get(f"/sessions/{chat.id}").get_data(as_text=True)
    assert link in page
    assert "Recap: preview and publish" in page
