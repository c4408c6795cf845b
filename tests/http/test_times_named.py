"""Every time on every page is in the viewer's zone (profile, else the browser's `tz`
cookie, else UTC) and names it; exports meant for other readers name their zone too."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import (
    attendance,
    conduct,
    invitations,
    messages,
    moderation,
    prompts,
    questions,
    recaps,
    rooms,
    schedule,
)
from tests.conftest import Auth
from tests.helpers import START, Clock, make_user

LOBBY = 15
SECRET = "test-secret"
PLANNED = datetime(2026, 11, 1, tzinfo=UTC)  # when the sessions were put on the schedule


def session_at(organiser: User, title: str, day: datetime, *facilitators: User) -> ChatSession:
    """A one-hour session at 20:00 London time on `day`."""
    form = schedule.SessionInput(
        title,
        day.replace(hour=20, minute=0),
        day.replace(hour=21, minute=0),
        "Europe/London",
        facilitator_emails=tuple(f.email for f in facilitators),
    )
    return schedule.create_session(db.session, organiser, form, PLANNED)


def chat_in(room: ChatSession, guest: User, member: User) -> None:
    """Q1 at 20:02, the member's answer at 20:03 and a question at 20:04 (London)."""
    (prompt,), _ = prompts.add_prompts(db.session, guest, room, ["What is an ending?"], 10, START)
    prompts.post_prompt(
        db.session, guest, room, prompt.id, room.starts_at + timedelta(minutes=2), LOBBY
    )
    messages.send_message(
        db.session, member, room, "Endings stir old losses", str(uuid.uuid4()), None,
        room.starts_at + timedelta(minutes=3), LOBBY,
    )  # fmt: skip
    questions.ask(
        db.session, member, room, "How do you end well?", False, str(uuid.uuid4()),
        room.starts_at + timedelta(minutes=4), LOBBY,
    )  # fmt: skip


@pytest.fixture
def world(app: Any, clock: Clock, organiser: User, member: User) -> dict[str, Any]:
    """A published recap (17 Nov), a session in its review window (1 Dec), one to come
    (8 Dec) with an invitation, a series, a ban and a code of conduct; now is 2 Dec noon."""
    guest = make_user(db.session, "guest@example.org", "Dr Guest")
    rogue = make_user(db.session, "rogue@example.org", "Rogue")
    conduct.publish(db.session, organiser, "Be kind.", START)
    for person in (organiser, guest, member, rogue):
        conduct.accept(db.session, person, conduct.current(db.session).id, START)
    series = schedule.create_series(
        db.session, organiser,
        schedule.SeriesInput("#TraineeTalk", 1, "20:00", "Europe/London", 60), START,
    )  # fmt: skip
    published = session_at(organiser, "Silence", datetime(2026, 11, 17), guest)
    ended = session_at(organiser, "Endings", datetime(2026, 12, 1), guest)
    coming = session_at(organiser, "Beginnings", datetime(2026, 12, 8), guest)
    for room in (published, ended):
        chat_in(room, guest, member)
        attendance.arrive(db.session, member, room, f"m{room.id}", room.starts_at)
        attendance.depart(db.session, f"m{room.id}", rooms.ends_at(room), session_id=room.id)
    recaps.publish(
        db.session, guest, published, "We sat with silence.", "members",
        datetime(2026, 11, 20, 12, tzinfo=UTC),
    )  # fmt: skip
    moderation.ban(
        db.session, organiser, ended, rogue.id, "Hostile", ended.starts_at, LOBBY
    )  # fmt: skip
    _, token = invitations.create_invitation(
        db.session, organiser, coming, "new@example.org", SECRET, START
    )
    clock.now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    certificate = attendance.issue_certificate(db.session, member, ended, clock.now, 50)
    return {
        "published": published.id,
        "ended": ended.id,
        "coming": coming.id,
        "series": series.id,
        "token": token,
        "code": certificate.code,
    }


# (who is signed in, path): every page type that shows times.
PAGES = [
    ("member", "/"),
    ("member", "/sessions/{coming}"),
    ("member", "/sessions/{ended}"),
    ("member", "/sessions/{ended}/review"),
    ("member", "/sessions/{published}/recap"),
    ("member", "/sessions/{published}/recap.html"),
    ("member", "/sessions/{ended}/transcript.html"),
    ("member", "/agreement"),
    ("member", "/certificates/verify?code={code}"),
    ("organiser", "/organise/"),
    ("organiser", "/organise/audit"),
    ("organiser", "/organise/bans/"),
    ("organiser", "/organise/agreement"),
    ("organiser", "/organise/sessions/{coming}/facilitators"),
    ("organiser", "/sessions/{ended}/attendance"),
    ("organiser", "/sessions/{ended}/recap"),
    (None, "/invitations/{token}"),
]
EMAILS = {"member": "trainee@example.org", "organiser": "org@example.org"}
# (how the zone is chosen, the zone): the profile's zone wins over the browser's cookie.
VIEWERS = [("cookie", "America/New_York"), ("profile", "Asia/Tokyo")]
CASES = [
    pytest.param(who, path, how, zone, id=f"{how}-{who}-{path}")
    for who, path in PAGES
    for how, zone in VIEWERS
    if who is not None or how == "cookie"
]
TIME_ELEMENT = re.compile(r'<time datetime="([^"]+)"[^>]*>([^<]*)</time>')
CLOCK = re.compile(r"\b(\d\d):(\d\d)\b")
# A time outside a <time> element is a rule or a record stated in its own zone ("every
# Tuesday at 20:00 Europe/London", a certificate's printed date): it must name that zone.
NAMED_ZONE = r"(?: to \d\d:\d\d)? \(?(?:[A-Z]{3,5}\b|[A-Z][A-Za-z_]+/[A-Za-z_]+)"


def visible_text(html: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.mark.parametrize(("who", "path", "how", "zone"), CASES)
def test_every_time_is_in_the_viewers_zone_and_names_it(
    client: FlaskClient, auth: Auth, world: dict[str, Any], who, path, how, zone
) -> None:
    client.set_cookie("tz", "America/New_York", domain="traineetalk.test")
    if who:
        user = db.session.query(User).filter_by(email=EMAILS[who]).one()
        user.time_zone = zone if how == "profile" else ""
        db.session.commit()
        auth.login(user.email)
    response = client.get(path.format(**world))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    tz = ZoneInfo(zone)
    times = TIME_ELEMENT.findall(html)
    assert times, "each page in the table shows at least one time"
    for iso, text in times:
        local = datetime.fromisoformat(iso).astimezone(tz)
        assert f"{local:%H:%M}" in text, (iso, text, zone)
        if text.strip() == f"{local:%H:%M}":  # a short clock: the page names its zone
            assert f"Times are in {zone} ({local:%Z})" in visible_text(html), text
        else:
            assert f"{local:%H:%M} {local:%Z}" in text or f"{local:%Z}" in text.split()[-1], text
    outside = visible_text(TIME_ELEMENT.sub(" ", html))
    for match in CLOCK.finditer(outside):
        assert re.match(NAMED_ZONE, outside[match.end() :]), outside[match.start() - 60 :][:140]


# Files meant for other readers: in the session's own zone, which each names.
EXPORTS = [
    ("member", "/sessions/{ended}/transcript.md", "20:00 to 21:00 GMT (Europe/London)"),
    ("member", "/sessions/{published}/recap.md", "20:00 to 21:00 GMT (Europe/London)"),
    ("member", "/sessions/{ended}/transcript.json", '"time_zone": "Europe/London"'),
    ("member", "/sessions/{ended}/transcript.csv", "2026-12-01T20:03:00+00:00"),
    ("organiser", "/sessions/{ended}/questions.csv", "2026-12-01T20:04:00+00:00"),
    ("organiser", "/organise/audit.csv", "2026-12-01T20:00:00+00:00"),
]


@pytest.mark.parametrize(("who", "path", "named"), EXPORTS)
def test_exports_name_their_zone(
    client: FlaskClient, auth: Auth, world: dict[str, Any], who, path, named
) -> None:
    client.set_cookie("tz", "America/New_York", domain="traineetalk.test")
    auth.login(EMAILS[who])
    response = client.get(path.format(**world))
    assert response.status_code == 200
    assert named in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/sessions/{published}/recap.pdf", "/sessions/{ended}/certificate.pdf"]
)
def test_pdfs_name_their_zone(
    client: FlaskClient, auth: Auth, world: dict[str, Any], path: str
) -> None:
    auth.login(EMAILS["member"])
    response = client.get(path.format(**world))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "20:00 to 21:00 GMT" in text
