"""Attendance over HTTP: the staff's table and CSV, a member's certificate PDF, the public
verification page, and what the session's page offers about them."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import attendance
from tests.conftest import Auth
from tests.helpers import Clock, make_session, make_user

VALID = re.compile(r"TT-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture
def guest(app: Any) -> User:
    return make_user(db.session, "guest@example.org", "Dr Guest")


@pytest.fixture
def room(organiser: User, guest: User) -> ChatSession:
    """ "Endings", Tuesday 1 December 2026, 20:00 to 21:00 London, with `guest`."""
    return make_session(db.session, organiser, guest)


def at(room: ChatSession, minutes: float) -> datetime:
    return room.starts_at + timedelta(minutes=minutes)


def attend(user: User, room: ChatSession, start: float, end: float, sid: str = "") -> None:
    """`user` was in the room from `start` to `end` minutes after its start."""
    connection = sid or f"{user.id}-{start}"
    attendance.arrive(db.session, user, room, connection, at(room, start))
    attendance.depart(db.session, connection, at(room, end), session_id=room.id)


def text_of(response: Any) -> str:
    return " ".join(response.get_data(as_text=True).split())


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def attended(room: ChatSession, member: User, guest: User, clock: Clock) -> ChatSession:
    """Tam stayed 50 minutes over two tabs and a reconnect; the guest all hour; then it ended."""
    attend(member, room, -10, 30, sid="tab-1")
    attend(member, room, 20, 40, sid="tab-2")
    attend(member, room, 45, 55, sid="tab-1-again")
    attend(guest, room, -5, 62)
    clock.now = at(room, 61)
    return room


@pytest.mark.parametrize("suffix", ["attendance", "attendance.csv"])
def test_only_the_sessions_staff_see_the_attendance(
    client: FlaskClient,
    auth: Auth,
    attended: ChatSession,
    member: User,
    guest: User,
    organiser: User,
    suffix: str,
) -> None:
    url = f"/sessions/{attended.id}/{suffix}"
    assert "/login" in client.get(url).location
    other = make_user(db.session, "other@example.org", "Other Facilitator")
    make_session(db.session, organiser, other)
    for refused in (member, other):
        auth.login(refused.email)
        response = client.get(url)
        assert response.status_code == 403
        assert "facilitators and organisers" in text_of(response)
        auth.logout()
    for allowed in (guest, organiser):
        auth.login(allowed.email)
        assert client.get(url).status_code == 200
        auth.logout()


def test_the_table_shows_minutes_share_messages_and_questions(
    client: FlaskClient, auth: Auth, attended: ChatSession, guest: User
) -> None:
    hostile = make_user(db.session, "h@example.org", "<b>Bold</b> & co")
    attend(hostile, attended, 0, 6)
    auth.login(guest.email)
    page = text_of(client.get(f"/sessions/{attended.id}/attendance"))
    # in the viewer's zone (UTC without a profile zone or browser cookie), named
    assert ">Tue 1 Dec 2026, 20:00 to 21:00 UTC</time> (60 minutes live)" in page
    assert "A certificate of attendance needs 75%" in page
    assert f'href="/sessions/{attended.id}/attendance.csv"' in page
    rows = re.findall(r"<tr> <th scope=\"row\">(.*?)</th> <td>(\d+)</td> <td>(.*?)</td>", page)
    assert rows == [
        ("&lt;b&gt;Bold&lt;/b&gt; &amp; co", "6", "10.0%"),
        ("Dr Guest", "60", "100.0%"),
        ("Tam Trainee", "50", "83.3%"),
    ]


def test_the_csv_download(client: FlaskClient, auth: Auth, attended: ChatSession, guest: User):
    auth.login(guest.email)
    response = client.get(f"/sessions/{attended.id}/attendance.csv")
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="traineetalk-session-{attended.id}-attendance.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        {"name": "Dr Guest", "minutes_present": "60", "share_percent": "100.0",
         "messages": "0", "questions": "0"},
        {"name": "Tam Trainee", "minutes_present": "50", "share_percent": "83.3",
         "messages": "0", "questions": "0"},
    ]  # fmt: skip


def test_the_certificate_pdf_opens_and_is_issued_once(
    client: FlaskClient, auth: Auth, attended: ChatSession, member: User, clock: Clock
) -> None:
    auth.login(member.email)
    response = client.get(f"/sessions/{attended.id}/certificate.pdf")
    assert response.status_code == 200
    assert response.content_type == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    (code,) = set(VALID.findall(text))
    for expected in (
        "Certificate of attendance",
        "Tam Trainee",
        "attended the #TraineeTalk session",
        "Endings",
        "facilitated by Dr Guest",
        "Tue 1 Dec 2026, 20:00 to 21:00 GMT",
        "Minutes attended: 50",
        f"Verification code: {code}",
        f"http://traineetalk.test/certificates/verify?code={code}",
        "Issued 1 Dec 2026",
    ):
        assert expected in text, expected
    clock.now = at(attended, 60 * 24 * 30)  # a month later: the same certificate
    again = pdf_text(client.get(f"/sessions/{attended.id}/certificate.pdf").data)
    assert set(VALID.findall(again)) == {code}
    assert "Issued 1 Dec 2026" in again


def test_no_certificate_before_the_end(
    client: FlaskClient, auth: Auth, attended: ChatSession, member: User, clock: Clock
) -> None:
    clock.now = at(attended, 59)
    auth.login(member.email)
    response = client.get(f"/sessions/{attended.id}/certificate.pdf")
    assert response.status_code == 409
    assert "available once the session has ended" in text_of(response)


def test_no_certificate_below_the_share_and_the_member_is_told_their_minutes(
    client: FlaskClient, auth: Auth, attended: ChatSession, clock: Clock
) -> None:
    late = make_user(db.session, "late@example.org", "Lee Late")
    attend(late, attended, 15, 59.99)  # 44 min 59.4 s: just short of 75%
    auth.login(late.email)
    response = client.get(f"/sessions/{attended.id}/certificate.pdf")
    assert response.status_code == 403
    assert (
        "You were present for 44 of 60 minutes (74.9%); "
        "a certificate of attendance needs 75%." in text_of(response)
    )


@pytest.mark.parametrize("app_config", [{"CHAT_CERTIFICATE_SHARE": 40}])
def test_the_share_is_configurable(
    client: FlaskClient, auth: Auth, attended: ChatSession, app_config: dict[str, Any]
) -> None:
    brief = make_user(db.session, "brief@example.org", "Bo Brief")
    attend(brief, attended, 0, 24)
    auth.login(brief.email)
    assert client.get(f"/sessions/{attended.id}/certificate.pdf").status_code == 200


def test_anyone_can_verify_a_certificate(
    client: FlaskClient, auth: Auth, attended: ChatSession, member: User
) -> None:
    auth.login(member.email)
    (code,) = set(
        VALID.findall(pdf_text(client.get(f"/sessions/{attended.id}/certificate.pdf").data))
    )
    auth.logout()
    form = client.get("/certificates/verify")
    assert form.status_code == 200
    assert 'name="code"' in form.get_data(as_text=True)
    messy = f"  {code.lower().replace('-', ' ')} "
    for typed in (code, messy, code.replace("TT-", "")):
        response = client.get("/certificates/verify", query_string={"code": typed})
        assert response.status_code == 200, typed
        assert (
            "Valid: Tam Trainee attended “Endings” on Tue 1 Dec 2026, 20:00 to 21:00 GMT "
            "for 50 minutes, issued 1 Dec 2026." in re.sub(r"<[^>]+>", "", text_of(response))
        )


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        ("TT-0000-0000", 404, "No certificate has that code"),
        ("<script>alert(1)</script>", 404, "No certificate has that code"),
        ("   ", 400, "Enter the code printed on the certificate"),
    ],
)
def test_an_unknown_code_is_not_verified(
    client: FlaskClient, attended: ChatSession, typed: str, status: int, message: str
) -> None:
    response = client.get("/certificates/verify", query_string={"code": typed})
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page
    assert "Valid:" not in page
    assert "<script>alert(1)" not in page  # what was typed comes back as text


def test_the_session_page_offers_the_certificate_or_says_why_not(
    client: FlaskClient, auth: Auth, attended: ChatSession, member: User, guest: User, clock: Clock
) -> None:
    late = make_user(db.session, "late@example.org", "Lee Late")
    attend(late, attended, 30, 60)
    lobby = f"/sessions/{attended.id}"
    certificate = f'href="/sessions/{attended.id}/certificate.pdf"'
    table = f'href="/sessions/{attended.id}/attendance"'

    clock.now = at(attended, 30)  # during the session nobody is offered one yet
    auth.login(member.email)
    page = text_of(client.get(lobby))
    assert certificate not in page and table not in page
    assert 'id="attendance-links"' not in page

    clock.now = at(attended, 61)
    page = text_of(client.get(lobby))
    assert f"<a {certificate}>Download your CPD certificate</a>" in page
    assert "you were here for 50 minutes" in page
    assert table not in page
    auth.logout()

    auth.login(late.email)
    page = text_of(client.get(lobby))
    assert certificate not in page
    assert "You were here for 30 of 60 minutes (50.0%); a CPD certificate" in page
    auth.logout()

    auth.login(guest.email)
    page = text_of(client.get(lobby))
    assert certificate in page and table in page
