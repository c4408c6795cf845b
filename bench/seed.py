"""Fill a benchmark database: members with tokens who accepted the group agreement, a
session live now, and an ended session with a long transcript.

Passwords are hashed with argon2 at its lowest cost (as the tests do): hashing thousands
of accounts at production cost would take minutes and measures nothing about the room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from chat import migrate
from chat.services import accounts, conduct, messages, schedule

PASSWORD = "bench-password-1"
ORGANISER_EMAIL = "organiser@bench.example"


@dataclass(frozen=True)
class Seeded:
    """What a benchmark needs from the database it runs on."""

    tokens: list[str]
    live_session_id: int
    ended_session_id: int


def _session(db: Session, organiser: accounts.User, title: str, starts: datetime) -> int:
    form = schedule.SessionInput(
        title=title,
        starts_local=starts.replace(tzinfo=None),
        ends_local=(starts + timedelta(hours=3)).replace(tzinfo=None),
        time_zone="UTC",
        facilitator_emails=(ORGANISER_EMAIL,),
    )
    created_earlier = starts - timedelta(days=1)  # sessions are scheduled ahead
    return schedule.create_session(db, organiser, form, created_earlier).id


def seed(url: str, members: int, transcript_messages: int) -> Seeded:
    """Migrate `url` and fill it; return the members' tokens and the two sessions' ids."""
    migrate.upgrade(url)
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    now = datetime.now(UTC)
    engine = create_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        organiser = accounts.register(
            db, accounts.Registration(ORGANISER_EMAIL, "Bench Organiser", PASSWORD), now, True
        )
        agreement = conduct.publish_starter(db, organiser, now)
        tokens, authors = [], [organiser]
        for n in range(members):
            form = accounts.Registration(f"member{n}@bench.example", f"Member {n}", PASSWORD)
            user = accounts.register(db, form, now)
            conduct.accept(db, user, agreement.id, now)
            tokens.append(accounts.issue_api_token(db, user, now))
            if len(authors) < 50:
                authors.append(user)
        live = _session(db, organiser, "Bench room", now - timedelta(minutes=5))
        ended_id = _session(db, organiser, "Long transcript", now - timedelta(hours=4))
        ended = schedule.get_session(db, ended_id)
        start = now - timedelta(hours=4)
        for n in range(transcript_messages):
            moment = start + timedelta(seconds=n * 10800 / max(transcript_messages, 1))
            body = f"Message {n}: what I noticed about endings with clients this week."
            messages.store(db, ended, authors[n % len(authors)], body, moment)
            if n % 1000 == 999:
                db.commit()
        db.commit()
    engine.dispose()
    return Seeded(tokens, live, ended_id)
