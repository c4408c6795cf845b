"""The audit log pages: organisers only, filters, paging, the CSV download and its safety."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import audit, messages, reports
from tests.helpers import START, make_session, make_user


@pytest.fixture
def guest(app) -> User:
    return make_user(db.session, "guest@example.org", "Dr Guest")


@pytest.fixture
def room(organiser: User, guest: User) -> ChatSession:
    return make_session(db.session, organiser, guest)


@pytest.fixture
def logged(organiser: User, guest: User, member: User, room: ChatSession) -> ChatSession:
    """A mute in `room`, a formula-shaped removal in another session, a ban by the organiser."""
    other = make_session(db.session, organiser)
    other.title = "Beginnings"
    villain = make_user(db.session, "v@example.org", "Vic")
    at = [START + timedelta(minutes=i) for i in range(3)]
    audit.record(db.session, guest, "mute", at[0], subject=member, session=room,
                 target="", reason="Heated <script>alert(1)</script>")  # fmt: skip
    audit.record(db.session, organiser, "remove", at[1], subject=villain, session=other,
                 reason="=HYPERLINK(\"http://evil.example\",\"click\")")  # fmt: skip
    audit.record(db.session, organiser, "ban", at[2], subject=member, reason="Repeated")
    db.session.commit()
    return other


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_members_and_facilitators_are_refused(
    client: FlaskClient, auth, guest: User, member: User, logged: ChatSession
) -> None:
    for user in (member, guest):
        auth.login(user.email)
        for url in ("/organise/audit", "/organise/audit.csv"):
            response = client.get(url)
            assert response.status_code == 403, (user.email, url)
            assert b"Heated" not in response.data
        auth.logout()
    assert client.get("/organise/audit").status_code == 302  # anonymous: sign in first


def test_organisers_see_every_entry_newest_first_with_text_escaped(
    client: FlaskClient, auth, organiser: User, logged: ChatSession
) -> None:
    auth.login(organiser.email)
    page = client.get("/organise/audit").get_data(as_text=True)
    assert page.index("Repeated") < page.index("HYPERLINK") < page.index("Heated")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Endings" in page and "Beginnings" in page
    assert "<time datetime=" in page  # shown in the viewer's zone


def test_filters_by_session_and_by_person(
    client: FlaskClient, auth, organiser: User, member: User, room: ChatSession,
    logged: ChatSession,
) -> None:  # fmt: skip
    auth.login(organiser.email)
    by_session = client.get(f"/organise/audit?session={room.id}").get_data(as_text=True)
    assert "Heated" in by_session and "Repeated" not in by_session
    by_person = client.get(f"/organise/audit?person={member.id}").get_data(as_text=True)
    assert "Heated" in by_person and "Repeated" in by_person and "HYPERLINK" not in by_person
    both = client.get(f"/organise/audit?session={logged.id}&person={member.id}")
    assert "No entries match these filters" in both.get_data(as_text=True)
    junk = client.get("/organise/audit?session=abc&person=-3")  # ignored, not an error
    assert junk.status_code == 200 and "Repeated" in junk.get_data(as_text=True)


def test_the_page_links_the_csv_with_the_same_filters(
    client: FlaskClient, auth, organiser: User, room: ChatSession, logged: ChatSession
) -> None:
    auth.login(organiser.email)
    page = client.get(f"/organise/audit?session={room.id}").get_data(as_text=True)
    assert f'href="/organise/audit.csv?session={room.id}"' in page


def test_pages_of_a_hundred(client: FlaskClient, auth, organiser: User, member: User) -> None:
    for i in range(audit.PAGE + 5):
        audit.record(db.session, organiser, "mute", START + timedelta(seconds=i),
                     subject=member, reason=f"entry-{i:03d};")  # fmt: skip
    db.session.commit()
    auth.login(organiser.email)
    first = client.get("/organise/audit").get_data(as_text=True)
    assert f"entry-{audit.PAGE + 4:03d};" in first and "entry-004;" not in first
    assert "Older entries" in first and "Newer entries" not in first
    second = client.get("/organise/audit?page=2").get_data(as_text=True)
    assert [f"entry-{i:03d};" in second for i in range(6)] == [True] * 5 + [False]
    assert "Newer entries" in second and "Older entries" not in second


def test_csv_download_headers_filters_and_formula_neutralisation(
    client: FlaskClient, auth, organiser: User, member: User, logged: ChatSession
) -> None:
    auth.login(organiser.email)
    response = client.get("/organise/audit.csv")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="traineetalk-audit-log.csv"'
    )
    rows = rows_of(response.get_data(as_text=True))
    assert [r["action"] for r in rows] == ["ban", "remove", "mute"]
    removal = rows[1]
    assert removal["reason"] == '\'=HYPERLINK("http://evil.example","click")'
    assert (removal["session"], removal["subject"], removal["actor"]) == (
        "Beginnings", "Vic", "Olu Organiser",
    )  # fmt: skip
    filtered = rows_of(client.get(f"/organise/audit.csv?person={member.id}").get_data(as_text=True))
    assert [r["action"] for r in filtered] == ["ban", "mute"]


def test_the_dashboard_counts_open_reports_and_links_the_log(
    client: FlaskClient, auth, organiser: User, guest: User, member: User, room: ChatSession
) -> None:
    stored, _ = messages.send_message(
        db.session, guest, room, "Something", str(uuid.uuid4()), None, room.starts_at, 15
    )
    reports.file_report(db.session, member, room, message_id=stored["id"],
                        reason="safeguarding", note="", now=room.starts_at)  # fmt: skip
    auth.login(organiser.email)
    page = client.get("/organise/").get_data(as_text=True)
    assert "1 open report" in page and "1 urgent" in page
    assert f'<a href="/sessions/{room.id}">Endings</a>' in page
    assert 'href="/organise/audit"' in page
