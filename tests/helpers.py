"""Shared test helpers: a settable clock, users, sign-in, services checks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn

import pytest
from sqlalchemy.orm import Session

from chat.models import ChatSession, User
from chat.services import accounts, schedule

PASSWORD = "correct horse battery"
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    """A clock the tests move by hand; the app reads it through CHAT_NOW."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


def make_user(db: Session, email: str, name: str | None = None, organiser: bool = False) -> User:
    """Register a user with the shared test password."""
    form = accounts.Registration(email, name or email.split("@")[0].title(), PASSWORD)
    return accounts.register(db, form, START, organiser=organiser)


def missing_service(reason: str) -> NoReturn:
    """Skip on a laptop without the service; fail in CI (CHAT_REQUIRE_SERVICES=1)."""
    if os.environ.get("CHAT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


def make_session(db: Session, organiser: User, *facilitators: User) -> ChatSession:
    """ "Endings": Tuesday 1 December 2026, 20:00 to 21:00 in London."""
    form = schedule.SessionInput(
        "Endings",
        datetime(2026, 12, 1, 20, 0),
        datetime(2026, 12, 1, 21, 0),
        "Europe/London",
        facilitator_emails=tuple(f.email for f in facilitators),
    )
    return schedule.create_session(db, organiser, form, START)
