"""Unit tests call services with a plain SQLAlchemy session: no Flask app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from chat.extensions import make_engine
from chat.models import ChatSession, User
from tests.helpers import make_session, make_user


@pytest.fixture
def engine(database_url: str) -> Iterator:
    """An engine on a fresh migrated database (SQLite, then PostgreSQL: tests/conftest.py)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def dbs(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def organiser(dbs: Session) -> User:
    return make_user(dbs, "org@example.org", "Olu", organiser=True)


@pytest.fixture
def guest(dbs: Session) -> User:
    """The guest facilitator of `room`."""
    return make_user(dbs, "guest@example.org", "Dr Guest")


@pytest.fixture
def member(dbs: Session) -> User:
    user = make_user(dbs, "tam@example.org", "Tam")
    user.pronouns = "they/them"
    dbs.commit()
    return user


@pytest.fixture
def room(dbs: Session, organiser: User, guest: User) -> ChatSession:
    """Tuesday 1 December 2026, 20:00 to 21:00 London, facilitated by `guest`."""
    return make_session(dbs, organiser, guest)
