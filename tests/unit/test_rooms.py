"""Room state: boundaries, overrides, and announcing each change exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden
from chat.models import ChatSession, User
from chat.services import rooms
from tests.helpers import START, make_user

LOBBY = 15


def make_session(dbs: Session, starts_in: timedelta = timedelta(hours=1), **extra) -> ChatSession:
    session = ChatSession(
        title="Working with shame",
        starts_at=START + starts_in,
        duration_minutes=60,
        time_zone="Europe/London",
        created_at=START,
        **extra,
    )
    dbs.add(session)
    dbs.commit()
    return session


@pytest.fixture
def session(dbs: Session) -> ChatSession:
    return make_session(dbs)


@pytest.fixture
def organiser(dbs: Session) -> User:
    return make_user(dbs, "org@example.org", organiser=True)


@pytest.mark.parametrize(
    ("offset", "state"),
    [
        (timedelta(minutes=-16), "scheduled"),
        (timedelta(minutes=-15, microseconds=-1), "scheduled"),
        (timedelta(minutes=-15), "lobby"),
        (timedelta(microseconds=-1), "lobby"),
        (timedelta(0), "live"),
        (timedelta(minutes=59, seconds=59), "live"),
        (timedelta(minutes=60), "ended"),
        (timedelta(days=3), "ended"),
    ],
)
def test_state_boundaries(session: ChatSession, offset: timedelta, state: str) -> None:
    assert rooms.derive_state(session, session.starts_at + offset, LOBBY) == state


def test_lobby_minutes_are_configurable(session: ChatSession) -> None:
    at = session.starts_at - timedelta(minutes=20)
    assert rooms.derive_state(session, at, 15) == "scheduled"
    assert rooms.derive_state(session, at, 30) == "lobby"


def test_cancelled_wins_over_the_clock(dbs: Session) -> None:
    cancelled = make_session(dbs, cancelled=True)
    assert rooms.derive_state(cancelled, cancelled.starts_at, LOBBY) == "cancelled"


def test_open_early_goes_live_and_keeps_the_scheduled_end(
    dbs: Session, session: ChatSession, organiser: User
) -> None:
    now = session.starts_at - timedelta(minutes=30)
    events = rooms.open_now(dbs, organiser, session, now, LOBBY)
    assert [e.payload["state"] for e in events] == ["live"]
    assert events[0].payload["starts_at"] == now.isoformat()
    assert rooms.ends_at(session) == session.starts_at + timedelta(minutes=60)


def test_extend_moves_the_end_and_tells_the_room(
    dbs: Session, session: ChatSession, organiser: User
) -> None:
    now = session.starts_at + timedelta(minutes=55)
    rooms.announce_if_changed(dbs, session, now, LOBBY)
    events = rooms.extend(dbs, organiser, session, 10, now, LOBBY)
    assert len(events) == 1 and events[0].payload["state"] == "live"
    assert events[0].payload["ends_at"] == (session.starts_at + timedelta(minutes=70)).isoformat()
    assert rooms.derive_state(session, session.starts_at + timedelta(minutes=65), LOBBY) == "live"


def test_end_now_ends_and_is_final(dbs: Session, session: ChatSession, organiser: User) -> None:
    now = session.starts_at + timedelta(minutes=5)
    events = rooms.end_now(dbs, organiser, session, now, LOBBY)
    assert [e.payload["state"] for e in events] == ["ended"]
    with pytest.raises(ChatError) as err:
        rooms.extend(dbs, organiser, session, 5, now, LOBBY)
    assert err.value.code == "conflict"
    with pytest.raises(ChatError):
        rooms.end_now(dbs, organiser, session, now, LOBBY)


@pytest.mark.parametrize("minutes", [0, -5, 121])
def test_extend_rejects_odd_amounts(
    dbs: Session, session: ChatSession, organiser: User, minutes: int
) -> None:
    with pytest.raises(ChatError) as err:
        rooms.extend(dbs, organiser, session, minutes, session.starts_at, LOBBY)
    assert err.value.code == "invalid"
    assert session.extra_minutes == 0


def test_open_early_is_refused_once_live(
    dbs: Session, session: ChatSession, organiser: User
) -> None:
    with pytest.raises(ChatError) as err:
        rooms.open_now(dbs, organiser, session, session.starts_at + timedelta(minutes=1), LOBBY)
    assert err.value.code == "conflict"


@pytest.mark.parametrize("action", ["open", "extend", "end"])
def test_only_organisers_override(dbs: Session, session: ChatSession, action: str) -> None:
    member = make_user(dbs, "trainee@example.org")
    now = session.starts_at - timedelta(minutes=5)
    with pytest.raises(Forbidden):
        if action == "open":
            rooms.open_now(dbs, member, session, now, LOBBY)
        elif action == "extend":
            rooms.extend(dbs, member, session, 5, now, LOBBY)
        else:
            rooms.end_now(dbs, member, session, now, LOBBY)
    dbs.refresh(session)
    assert (session.opened_at, session.extra_minutes, session.ended_at) == (None, 0, None)


def test_due_transitions_announce_each_change_once(dbs: Session, session: ChatSession) -> None:
    far = make_session(dbs, starts_in=timedelta(days=7))
    steps = [
        (session.starts_at - timedelta(minutes=20), []),
        (session.starts_at - timedelta(minutes=15), ["lobby"]),
        (session.starts_at - timedelta(minutes=1), []),
        (session.starts_at, ["live"]),
        (session.starts_at + timedelta(minutes=30), []),
        (session.starts_at + timedelta(minutes=60), ["ended"]),
        (session.starts_at + timedelta(minutes=61), []),
    ]
    for now, expected in steps:
        events = rooms.due_transitions(dbs, now, LOBBY)
        assert [e.payload["state"] for e in events] == expected, now
        assert all(e.session_id == session.id for e in events)
        assert rooms.due_transitions(dbs, now, LOBBY) == []  # idempotent
    assert far.announced_state == "scheduled"


def test_a_second_process_with_a_stale_view_does_not_announce_again(
    dbs: Session, session: ChatSession, tmp_path
) -> None:
    other = Session(dbs.get_bind(), expire_on_commit=False)
    stale = other.get(ChatSession, session.id)
    assert stale is not None
    now = session.starts_at
    assert len(rooms.due_transitions(dbs, now, LOBBY)) == 1
    # `other` still believes the announced state is "scheduled": its swap must miss.
    assert rooms.announce_if_changed(other, stale, now, LOBBY) == []
    other.close()
