"""What a person does in the browser: sign in, open a session's room, write in it.

Also a little setup that has no page of its own yet in these tests: prompts on a run sheet
and a long history, written straight into the live server's database through the services.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from chat.models import Prompt
from chat.services import (
    accounts,
    attendance,
    messages,
    prompts,
    questions,
    recaps,
    rooms,
    schedule,
)
from tests.conftest import LiveServer
from tests.helpers import PASSWORD
from tests.live_setup import register_users, schedule_session

# Wide enough that a session starting in a minute is open for chat.
LOBBY_MINUTES = 60
LONDON = "Europe/London"


def sign_in(context: Any, server: LiveServer, email: str) -> Any:
    """A new page in `context`, signed in through the login form."""
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    return page


# The people of most browser tests: an organiser, a guest facilitator and three trainees.
OLU = "olu@example.org"
MAYA = "maya@example.org"
ANA = "ana@example.org"
BEN = "ben@example.org"
CAL = "cal@example.org"


def register_cast(server: LiveServer) -> None:
    """Olu (organiser), Maya (she/her, the guest facilitator), and Ana, Ben and Cal."""
    register_users(
        server,
        (OLU, "Olu", "", True),
        (MAYA, "Maya", "she/her", False),
        (ANA, "Ana", "", False),
        (BEN, "Ben", "", False),
        (CAL, "Cal", "", False),
    )


def add_prompts(server: LiveServer, session_id: int, bodies: Sequence[str]) -> None:
    """Put prompts on the session's run sheet, as a facilitator does on its page."""
    with server.database() as db:
        found = schedule.get_session(db, session_id)
        actor = accounts.first_organiser(db)
        prompts.add_prompts(db, actor, found, list(bodies), 10, datetime.now(UTC))


def seed_messages(
    server: LiveServer,
    session_id: int,
    email: str,
    bodies: Sequence[str],
    answering: str | None = None,
) -> None:
    """Store messages by `email`, answering the posted prompt whose text is `answering`."""
    with server.database() as db:
        found = schedule.get_session(db, session_id)
        author = accounts.user_by_email(db, email)
        answer_to = None
        if answering is not None:
            answer_to = db.scalar(
                select(Prompt.id).where(Prompt.session_id == session_id, Prompt.body == answering)
            )
            assert answer_to is not None, answering
        for body in bodies:
            messages.send_message(
                db,
                author,
                found,
                body,
                str(uuid.uuid4()),
                None,
                datetime.now(UTC),
                LOBBY_MINUTES,
                answer_to,
            )


def messages_in(page: Any) -> Any:
    """The chat's messages as a person sees them (hidden ones are left out)."""
    return page.get_by_role("log", name="Chat").get_by_role("listitem")


def message(page: Any, text: str) -> Any:
    return messages_in(page).filter(has=page.locator(".msg-body", has_text=text))


def send(page: Any, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def create_past_session(
    server: LiveServer, title: str, ago: timedelta, bodies: Sequence[str], **form: Any
) -> int:
    """A one-hour session that started `ago` (London time), Maya facilitating, with
    `bodies` on its run sheet; `form` adds SessionInput fields (description, ...)."""
    start = (datetime.now(UTC) - ago).replace(second=0, microsecond=0)
    made = create_london_session(server, title, start, MAYA, **form)
    add_prompts(server, made, bodies)
    return made


def create_london_session(
    server: LiveServer, title: str, starts: datetime, *facilitators: str, **form: Any
) -> int:
    """A one-hour session at the instant `starts` (any date, past or future), scheduled in
    London time by the first organiser (Olu, in the cast), with `facilitators` by email;
    `form` adds SessionInput fields (description, ...)."""
    return schedule_session(server, title, starts, *facilitators, time_zone=LONDON, **form)


def stage_room(
    server: LiveServer,
    session_id: int,
    lines: Sequence[tuple[str, str]],
    asked: Sequence[tuple[str, str]],
) -> None:
    """A room in full swing before anyone opens the page: Maya has opened it and posted
    its first prompt, `lines` answer it and `asked` are in the question queue, each as
    (email, text)."""
    with server.database() as db:
        found = schedule.get_session(db, session_id)
        now = datetime.now(UTC)
        maya = accounts.user_by_email(db, MAYA)
        rooms.open_now(db, maya, found, now, LOBBY_MINUTES)
        prompt = prompts.next_prompt(found)
        assert prompt is not None
        prompts.post_prompt(db, maya, found, prompt.id, now, LOBBY_MINUTES)
        for email, text in lines:
            author = accounts.user_by_email(db, email)
            messages.send_message(
                db, author, found, text, str(uuid.uuid4()), None, now, LOBBY_MINUTES
            )
        for email, text in asked:
            author = accounts.user_by_email(db, email)
            questions.ask(db, author, found, text, False, str(uuid.uuid4()), now, LOBBY_MINUTES)


def publish_recap(server: LiveServer, session_id: int, summary: str) -> None:
    """Maya publishes a past session's recap for members (its review window must be over:
    a session more than three days ago)."""
    with server.database() as db:
        found = schedule.get_session(db, session_id)
        maya = accounts.user_by_email(db, MAYA)
        recaps.publish(db, maya, found, summary, "members", datetime.now(UTC))


def hold_session(server: LiveServer, session_id: int, lines: Sequence[tuple[str, str]]) -> None:
    """Play a past session's hour: Maya posts its first prompt two minutes in, `lines`
    (email, text) answer it a minute apart, and everyone who spoke was present all hour."""
    with server.database() as db:
        found = schedule.get_session(db, session_id)
        start = found.starts_at
        maya = accounts.user_by_email(db, MAYA)
        prompt = prompts.next_prompt(found)
        assert prompt is not None
        prompts.post_prompt(db, maya, found, prompt.id, start + timedelta(minutes=2), 15)
        for minute, (email, text) in enumerate(lines, start=3):
            author = accounts.user_by_email(db, email)
            when = start + timedelta(minutes=minute)
            messages.send_message(db, author, found, text, str(uuid.uuid4()), None, when, 15)
        for email in dict.fromkeys((MAYA, *(email for email, _ in lines))):
            sid = f"seed-{email}-{session_id}"
            attendance.arrive(db, accounts.user_by_email(db, email), found, sid, start)
            attendance.depart(db, sid, start + timedelta(minutes=60), session_id=session_id)
