"""History reads find a session's messages through an index, on SQLite and PostgreSQL.

Each read runs for real while every statement it sends is recorded; then the database
explains each one. A full scan of `messages` (every session's messages) fails the test:
on a community with years of sessions that is what would make a join or an export slow.
The plan is checked, not the time. PostgreSQL is asked with sequential scans
discouraged, since on a table this small it would rightly prefer one; the question is
whether an index can serve the query at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from chat.models import ChatSession, User
from chat.services import messages, transcripts
from tests.helpers import START, make_session

Read = Callable[[Session, ChatSession, User], Any]
READS: dict[str, Read] = {
    "recent": lambda db, room, _: messages.recent(db, room),
    "older page": lambda db, room, _: messages.recent(db, room, before_id=30),
    "catch up": lambda db, room, _: messages.catch_up(db, room, 20),
    "deleted ids": lambda db, room, _: messages.deleted_ids(db, room),
    "revised": lambda db, room, _: messages.revised(db, room),
    "reaction counts": lambda db, room, _: messages.reaction_counts(db, room),
    "transcript": lambda db, room, organiser: transcripts.build(
        db, organiser, room, room.starts_at + timedelta(days=1), 15
    ),
}


@pytest.fixture
def rooms(dbs: Session, organiser: User, member: User) -> ChatSession:
    """Two sessions with messages and reactions, so a query must pick one session's."""
    chosen = make_session(dbs, organiser)
    other = make_session(dbs, organiser)
    for session in (other, chosen):
        for n in range(40):
            messages.store(dbs, session, member, f"Message {n}", START + timedelta(seconds=n))
        dbs.commit()
    messages.react(dbs, organiser, chosen, 3, "heart", True, chosen.starts_at, 15)
    return chosen


@contextmanager
def recorded(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan(engine: Engine, statement: str, parameters: Any) -> str:
    """The database's plan for one recorded statement, as one string."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in rows)
        connection.exec_driver_sql("SET enable_seqscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in rows)


def full_scans_of_messages(engine: Engine, query_plan: str) -> list[str]:
    """The lines of a plan that read the whole messages table."""
    lines = query_plan.splitlines()
    if engine.dialect.name == "sqlite":
        return [line for line in lines if line.startswith("SCAN messages")]
    return [line for line in lines if "Seq Scan on messages" in line]


@pytest.mark.parametrize("read", READS)
def test_history_reads_use_an_index_on_messages(
    engine: Engine, dbs: Session, rooms: ChatSession, organiser: User, read: str
) -> None:
    with recorded(engine) as statements:
        READS[read](dbs, rooms, organiser)
    reading_messages = [(s, p) for s, p in statements if "messages" in s]
    assert reading_messages, f"{read} read no messages: the check would prove nothing"
    for statement, parameters in reading_messages:
        query_plan = plan(engine, statement, parameters)
        assert full_scans_of_messages(engine, query_plan) == [], f"{statement}\n{query_plan}"
