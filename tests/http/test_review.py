"""The review page and its banner over HTTP: only my items, saving each and all, who is
refused and when, the reminder during the window, and the series' review hours."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from chat.extensions import db
from chat.models import ChatSession, Message, Question, Series, User
from chat.services import messages, questions, rooms
from tests.conftest import Auth
from tests.helpers import Clock, make_session, make_user

LOBBY = 15


@pytest.fixture
def guest(app: Any) -> User:
    return make_user(db.session, "guest@example.org", "Dr Guest")


@pytest.fixture
def other(app: Any) -> User:
    return make_user(db.session, "sam@example.org", "Sam Other")


@pytest.fixture
def room(organiser: User, guest: User) -> ChatSession:
    """Tuesday 1 December 2026, 20:00 to 21:00 in London (GMT)."""
    return make_session(db.session, organiser, guest)


def say(user: User, room: ChatSession, body: str, minute: int = 5, **kw: Any) -> int:
    sent, _ = messages.send_message(
        db.session, user, room, body, str(uuid.uuid4()), kw.get("reply_to"),
        room.starts_at + timedelta(minutes=minute), LOBBY,
    )  # fmt: skip
    return int(sent["id"])


def ask(user: User, room: ChatSession, body: str, minute: int = 10) -> int:
    asked, _ = questions.ask(
        db.session, user, room, body, False, str(uuid.uuid4()),
        room.starts_at + timedelta(minutes=minute), LOBBY,
    )  # fmt: skip
    return int(asked["id"])


@pytest.fixture
def chat(room: ChatSession, member: User, other: User) -> dict[str, int]:
    """Two messages and a question by the member; a message by someone else."""
    return {
        "first": say(member, room, "Endings <b>stir</b> old losses", 3),
        "theirs": say(other, room, "Sam's own thoughts on endings", 4),
        "second": say(member, room, "I count down the sessions with clients", 5),
        "question": ask(member, room, "How do you end with a client who ghosts?"),
    }


@pytest.fixture
def after(room: ChatSession, clock: Clock) -> ChatSession:
    clock.now = rooms.ends_at(room) + timedelta(hours=1)
    return room


def consent_of(model: type[Message] | type[Question], **where: Any) -> str:
    db.session.expire_all()
    return db.session.query(model).filter_by(**where).one().consent


def radio_checked(page: str, name: str) -> str | None:
    match = re.search(
        rf'<input type="radio" id="{name}-(\w+)" name="{name}" value="\w+" checked', page
    )
    return match.group(1) if match else None


def test_the_page_lists_only_my_messages_and_questions(
    client: FlaskClient, auth: Auth, member: User, chat: dict[str, int], after: ChatSession
) -> None:
    auth.login(member.email)
    response = client.get(f"/sessions/{after.id}/review")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Endings &lt;b&gt;stir&lt;/b&gt; old losses" in page  # text stays text
    assert "I count down the sessions with clients" in page
    assert "How do you end with a client who ghosts?" in page
    assert "Sam&#39;s own thoughts" not in page and "Sam's own thoughts" not in page
    # times in the viewer's zone (UTC here: no profile zone, no browser cookie), named
    assert f"<legend>Message #{chat['first']} at <time" in page
    assert 'data-local="clock">20:03</time>: “Endings &lt;b&gt;stir' in page
    assert "Times are in <span data-local-zone" in page and ">UTC</span>" in page
    assert "The review window is open until <strong><time" in page
    assert "data-local>Thu 3 Dec, 21:00 UTC</time></strong>" in page
    for key in (
        f"message-{chat['first']}",
        f"message-{chat['second']}",
        f"question-{chat['question']}",
    ):
        assert radio_checked(page, key) == "keep"
    assert f'name="message-{chat["theirs"]}"' not in page
    assert 'name="all"' in page and "Apply to all my messages and questions" in page
    for label in ("Keep with my name", "Show without my name", "Withdraw from the recap"):
        assert page.count(label) >= 4  # in the explanation, "all", and each item


def test_saving_each_choice(
    client: FlaskClient, auth: Auth, member: User, chat: dict[str, int], after: ChatSession
) -> None:
    auth.login(member.email)
    url = f"/sessions/{after.id}/review"
    response = client.post(
        url,
        data={
            "scope": "each",
            f"message-{chat['first']}": "withdraw",
            f"message-{chat['second']}": "keep",
            f"question-{chat['question']}": "anonymise",
            f"message-{chat['theirs']}": "withdraw",  # not mine: ignored
        },
    )
    assert response.status_code == 302 and response.location == url
    assert consent_of(Message, session_id=after.id, seq=chat["first"]) == "withdraw"
    assert consent_of(Message, session_id=after.id, seq=chat["second"]) == "keep"
    assert consent_of(Question, id=chat["question"]) == "anonymise"
    assert consent_of(Message, session_id=after.id, seq=chat["theirs"]) == "keep"
    page = client.get(url).get_data(as_text=True)
    assert "Saved. 2 of your choices changed" in page
    assert radio_checked(page, f"message-{chat['first']}") == "withdraw"
    assert radio_checked(page, f"question-{chat['question']}") == "anonymise"


def test_applying_one_choice_to_all(
    client: FlaskClient, auth: Auth, member: User, chat: dict[str, int], after: ChatSession
) -> None:
    auth.login(member.email)
    url = f"/sessions/{after.id}/review"
    response = client.post(url, data={"scope": "all", "all": "anonymise"})
    assert response.status_code == 302
    assert [
        consent_of(Message, session_id=after.id, seq=chat["first"]),
        consent_of(Message, session_id=after.id, seq=chat["second"]),
        consent_of(Question, id=chat["question"]),
        consent_of(Message, session_id=after.id, seq=chat["theirs"]),
    ] == ["anonymise", "anonymise", "anonymise", "keep"]
    assert "Saved. 3 of your choices changed" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"scope": "all"}, "all", "Choose what to apply to all your messages."),
        ({"scope": "all", "all": "delete"}, "all", "Choose keep, show without my name"),
        ({"scope": "each", "message-{first}": "forget"}, "message-{first}", "Choose keep"),
    ],
)
def test_a_bad_choice_is_shown_by_its_field(
    client: FlaskClient,
    auth: Auth,
    member: User,
    chat: dict[str, int],
    after: ChatSession,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    auth.login(member.email)
    data = {key.format(**chat): value for key, value in data.items()}
    response = client.post(f"/sessions/{after.id}/review", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    name = field.format(**chat)
    error = re.search(rf'<p class="error" id="{name}-error">([^<]*)</p>', page)
    assert error and message in error.group(1)
    assert f'aria-describedby="{name}-error"' in page and 'role="alert"' in page
    assert consent_of(Message, session_id=after.id, seq=chat["first"]) == "keep"


def test_a_post_without_a_scope_is_refused(
    client: FlaskClient, auth: Auth, member: User, chat: dict[str, int], after: ChatSession
) -> None:
    auth.login(member.email)
    response = client.post(f"/sessions/{after.id}/review", data={"all": "withdraw"})
    assert response.status_code == 400
    assert consent_of(Message, session_id=after.id, seq=chat["first"]) == "keep"


@pytest.mark.parametrize(
    ("who", "hours_after_end", "status", "says"),
    [
        ("member", -0.5, 409, "once the session has ended (Tue 1 Dec, 21:00 GMT)"),
        ("member", 0, 200, "The review window is open until"),
        ("member", 48, 200, "data-local>Thu 3 Dec, 21:00 UTC</time>. You can still change"),
        ("other", 1, 403, "nothing to review"),  # wrote nothing in this session
        ("non-participant", 1, 403, "nothing to review"),
        ("non-participant", -0.5, 403, "nothing to review"),
        ("organiser", 1, 403, "nothing to review"),
        ("anonymous", 1, 302, ""),
    ],
)
def test_who_may_review_when(
    client: FlaskClient,
    auth: Auth,
    clock: Clock,
    room: ChatSession,
    member: User,
    organiser: User,
    who: str,
    hours_after_end: float,
    status: int,
    says: str,
) -> None:
    say(member, room, "Mine")
    users = {
        "member": member,
        "organiser": organiser,
        "other": make_user(db.session, "o@example.org", "O"),
        "non-participant": make_user(db.session, "n@example.org", "N"),
    }
    # "other" wrote in another session, not this one.
    elsewhere = make_session(db.session, organiser)
    say(users["other"], elsewhere, "Elsewhere")
    if who != "anonymous":
        auth.login(users[who].email)
    clock.now = rooms.ends_at(room) + timedelta(hours=hours_after_end)
    for method in ("get", "post"):
        response = getattr(client, method)(
            f"/sessions/{room.id}/review", data={"scope": "all", "all": "withdraw"}
        )
        assert response.status_code == (302 if status == 200 and method == "post" else status)
        if method == "get":
            assert says in response.get_data(as_text=True)
    assert consent_of(Message, session_id=room.id, author_id=member.id) == (
        "withdraw" if who == "member" and status == 200 else "keep"
    )


def test_a_missing_session_is_404(client: FlaskClient, auth: Auth, member: User) -> None:
    auth.login(member.email)
    assert client.get("/sessions/999/review").status_code == 404


def banner(page: str) -> list[str]:
    return re.findall(r'<p class="review-reminder">(.*?)</p>', page, re.S)


def test_the_banner_reminds_participants_during_the_window(
    client: FlaskClient,
    auth: Auth,
    clock: Clock,
    room: ChatSession,
    member: User,
    other: User,
    chat: dict[str, int],
) -> None:
    member.time_zone = "Asia/Tokyo"
    db.session.commit()
    end = rooms.ends_at(room)
    auth.login(member.email)
    clock.now = end - timedelta(minutes=1)
    assert banner(client.get("/").get_data(as_text=True)) == []
    clock.now = end
    for path in ("/", "/profile"):
        page = client.get(path).get_data(as_text=True)
        [line] = banner(page)
        # The closing time is in the viewer's zone: 21:00 GMT on Thursday is 06:00 in Tokyo.
        assert "You can review what the recap of “Endings” shows until" in line
        assert "Fri 4 Dec, 06:00 JST</time>" in line
        assert f'<a href="/sessions/{room.id}/review">Review now' in line
        assert '<div class="review-reminders" role="status">' in page
    # The review page itself does not remind anyone to go to the review page.
    assert banner(client.get(f"/sessions/{room.id}/review").get_data(as_text=True)) == []
    clock.now = end + timedelta(hours=48) - timedelta(seconds=1)
    assert len(banner(client.get("/").get_data(as_text=True))) == 1
    clock.now = end + timedelta(hours=48)
    assert banner(client.get("/").get_data(as_text=True)) == []


def test_no_banner_for_non_participants_or_visitors(
    client: FlaskClient,
    auth: Auth,
    clock: Clock,
    room: ChatSession,
    organiser: User,
    chat: dict[str, int],
) -> None:
    clock.now = rooms.ends_at(room) + timedelta(hours=1)
    assert banner(client.get("/").get_data(as_text=True)) == []
    auth.login(organiser.email)
    assert banner(client.get("/").get_data(as_text=True)) == []


def test_the_banner_costs_one_query(
    client: FlaskClient,
    auth: Auth,
    clock: Clock,
    room: ChatSession,
    organiser: User,
    member: User,
    chat: dict[str, int],
) -> None:
    for _ in range(3):  # more sessions to review do not add queries
        say(member, make_session(db.session, organiser), "More")
    clock.now = rooms.ends_at(room) + timedelta(hours=1)
    auth.login(member.email)
    client.get("/")  # warm up: the first request loads the app's caches
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    assert db.engine is not None
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = client.get("/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(banner(page)) == 4
    assert sum("EXISTS" in s for s in statements) == 1


SERIES = {
    "name": "#TraineeTalk",
    "weekday": "1",
    "local_time": "20:00",
    "time_zone": "Europe/London",
    "duration_minutes": "60",
}


@pytest.mark.parametrize(
    ("review_hours", "status", "stored"),
    [
        (None, 302, 48),  # a form without the field keeps the default
        ("1", 302, 1),
        ("72", 302, 72),
        ("336", 302, 336),
        ("0", 400, None),
        ("337", 400, None),
        ("", 400, None),
        ("two days", 400, None),
    ],
)
def test_organisers_set_the_review_window_on_the_series_form(
    client: FlaskClient,
    auth: Auth,
    organiser: User,
    review_hours: str | None,
    status: int,
    stored: int | None,
) -> None:
    auth.login(organiser.email)
    assert 'name="review_hours"' in client.get("/organise/series/new").get_data(as_text=True)
    data = SERIES | ({"review_hours": review_hours} if review_hours is not None else {})
    response = client.post("/organise/series/new", data=data)
    assert response.status_code == status
    series = db.session.scalar(select(Series))
    if stored is None:
        assert series is None
        assert re.search(r'id="review_hours-error">[^<]+<', response.get_data(as_text=True))
        assert db.session.scalar(select(func.count()).select_from(Series)) == 0
    else:
        assert series is not None and series.review_hours == stored
        page = client.get(f"/organise/series/{series.id}").get_data(as_text=True)
        assert f"for {stored} hours after its session" in page
