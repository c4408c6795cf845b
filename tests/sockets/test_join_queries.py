"""A join costs a fixed number of statements, however busy the room.

At the start of the hour thousands join within seconds, and on one worker each join's
statements are most of its cost (docs/performance.md). A statement per message, author
or question (an N+1) would make a busy room's joins slower the busier it is; a first
join must also not read the corrections only a returning client needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import accounts
from tests.helpers import START, make_user
from tests.sockets.helpers import new_message
from tests.sockets.test_questions import ask

# connect (2): the token's user, any ban. join (17): the user; the session with its
# facilitators and prompts; a removal or ban; the agreement; the last page of messages,
# their authors and reactions; the reply parents and their authors; the visit; the
# queue, its authors, its votes and mine; my reactions; the resources with their
# authors and votes; my blocks together with my introduction answer for the room.
BUDGET = 19


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement the app sends while the block runs."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def first_join(app: Flask, socket_client: Any, room: ChatSession, member: User) -> list[str]:
    """The statements of a script's connect and first join, on a fresh database session."""
    token = accounts.issue_api_token(db.session, member, START)
    db.remove()  # nothing the test loaded may spare the handlers a query
    with statements() as sent:
        sio = socket_client(auth={"token": token})
        ack = sio.emit("join", {"session_id": room.id}, callback=True)
    assert ack["ok"], ack
    sio.disconnect()
    return sent


def busy(joined: Any, room: ChatSession, people: range) -> None:
    """Each of these people replies to the first message (the first writes it), reacts
    and asks in the room."""
    for n in people:
        sio = joined(make_user(db.session, f"writer{n}@example.org", f"Writer {n}"))
        reply_to = {"reply_to": 1} if n else {}
        sent = sio.emit(
            "send_message", new_message(room, f"Thought {n}", **reply_to), callback=True
        )
        reaction = {"message_id": sent["message"]["id"], "reaction": "heart", "active": True}
        assert sio.emit("react", {"session_id": room.id, **reaction}, callback=True)["ok"]
        ask(sio, room, f"What about endings, {n}?")


def test_a_first_join_costs_the_same_statements_in_a_quiet_and_a_busy_room(
    app: Flask, socket_client: Any, joined: Any, room: ChatSession, member: User
) -> None:
    busy(joined, room, range(2))
    quiet = first_join(app, socket_client, room, member)
    busy(joined, room, range(2, 14))
    crowded = first_join(app, socket_client, room, member)
    assert len(crowded) == len(quiet), "\n".join(crowded)
    assert len(crowded) <= BUDGET, "\n".join(crowded)
    corrections = ("audit_log", "GROUP BY messages.seq, reactions.kind")
    assert not [s for s in crowded if any(c in s for c in corrections)]
