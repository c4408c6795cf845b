"""Messages: ordering, idempotency, catch-up, replies, reactions, deletion, permissions."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden, NotFound
from chat.models import ChatSession, Message, User
from chat.services import messages, roles, schedule
from tests.helpers import START, make_user
from tests.unit.builders import LOBBY, live, send


def test_ids_count_up_per_session_and_payload_has_author_role(
    dbs: Session, room: ChatSession, member: User, guest: User, organiser: User
) -> None:
    sent = [send(dbs, u, room, f"hello {i}") for i, u in enumerate([member, guest, organiser])]
    assert [m["id"] for m in sent] == [1, 2, 3]
    assert [m["author"]["role"] for m in sent] == ["member", "facilitator", "organiser"]
    assert sent[0]["author"] == {
        "id": member.id,
        "name": "Tam",
        "pronouns": "they/them",
        "role": "member",
    }
    other = schedule.create_session(
        dbs,
        organiser,
        schedule.SessionInput(
            "Other", datetime(2026, 12, 1, 20, 0), datetime(2026, 12, 1, 21, 0), "UTC"
        ),
        START,
    )
    assert send(dbs, member, other, "elsewhere")["id"] == 1


def test_the_same_client_id_is_stored_once(dbs: Session, room: ChatSession, member: User) -> None:
    client_id = str(uuid.uuid4())
    first, events = messages.send_message(
        dbs, member, room, "once", client_id, None, live(room), LOBBY
    )
    again, again_events = messages.send_message(
        dbs, member, room, "once", client_id, None, live(room, 6), LOBBY
    )
    assert len(events) == 1 and again_events == []
    assert again == first
    assert dbs.scalar(select(func.count()).select_from(Message)) == 1
    # even after the room closed, a late resend is answered with the stored message
    late, _ = messages.send_message(
        dbs, member, room, "once", client_id, None, live(room, 90), LOBBY
    )
    assert late["id"] == first["id"]


def test_the_database_refuses_a_duplicate_client_id(
    dbs: Session, room: ChatSession, member: User
) -> None:
    send(dbs, member, room, "first", client_id="00000000-0000-4000-8000-000000000001")
    dbs.add(
        Message(
            session_id=room.id,
            seq=99,
            author_id=member.id,
            client_id="00000000-0000-4000-8000-000000000001",
            body="dup",
            created_at=START,
        )
    )
    with pytest.raises(IntegrityError, match="client_id"):
        dbs.commit()
    dbs.rollback()


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write something"), ("   \n\t ", "Write something"), ("x" * 2001, "2000 characters")],
)
def test_bad_bodies_are_refused_and_nothing_stored(
    dbs: Session, room: ChatSession, member: User, body: str, message: str
) -> None:
    with pytest.raises(ChatError, match=message) as err:
        send(dbs, member, room, body)
    assert err.value.code == "invalid"
    assert dbs.scalar(select(func.count()).select_from(Message)) == 0
    dbs.refresh(room)
    assert room.last_message_id == 0


def test_bodies_are_trimmed_and_normalised(dbs: Session, room: ChatSession, member: User) -> None:
    stored = send(dbs, member, room, "  line one\r\nline two\x00\x07  ")
    assert stored["body"] == "line one\nline two"
    assert send(dbs, member, room, "y" * 2000)["body"] == "y" * 2000


@pytest.mark.parametrize(
    ("offset", "allowed"),
    [
        (timedelta(minutes=-16), False),
        (timedelta(minutes=-15), True),
        (timedelta(0), True),
        (timedelta(minutes=59), True),
        (timedelta(minutes=60), False),
    ],
)
def test_the_room_is_open_in_lobby_and_live_only(
    dbs: Session, room: ChatSession, member: User, offset: timedelta, allowed: bool
) -> None:
    now = room.starts_at + offset
    if allowed:
        assert send(dbs, member, room, "hi", now=now)["id"] == 1
    else:
        with pytest.raises(ChatError) as err:
            send(dbs, member, room, "hi", now=now)
        assert err.value.code == "room_closed"


def test_cancelled_rooms_are_hidden_from_members(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    room.cancelled = True
    dbs.commit()
    with pytest.raises(Forbidden):
        roles.require_view(member, room)
    roles.require_view(guest, room)  # staff still see it


def test_catch_up_returns_exactly_what_was_missed(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    for i in range(5):
        send(dbs, member if i % 2 else guest, room, f"m{i}")
    missed = messages.catch_up(dbs, room, 2)
    assert [m["body"] for m in missed["messages"]] == ["m2", "m3", "m4"]
    assert missed["more_after"] is False
    assert messages.catch_up(dbs, room, 5)["messages"] == []
    for bad in (-1, 6):
        with pytest.raises(ChatError) as err:
            messages.catch_up(dbs, room, bad)
        assert err.value.code == "invalid"


def test_recent_pages_backwards(dbs: Session, room: ChatSession, member: User) -> None:
    for i in range(messages.HISTORY_PAGE + 5):
        send(dbs, member, room, f"m{i}")
    page = messages.recent(dbs, room)
    assert len(page["messages"]) == messages.HISTORY_PAGE and page["more_before"]
    assert page["messages"][0]["id"] == 6 and page["messages"][-1]["id"] == 105
    older = messages.recent(dbs, room, before_id=6)
    assert [m["id"] for m in older["messages"]] == [1, 2, 3, 4, 5] and not older["more_before"]


def test_long_catch_up_is_paged(
    dbs: Session, room: ChatSession, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messages, "CATCH_UP_LIMIT", 3)
    for i in range(5):
        send(dbs, member, room, f"m{i}")
    first = messages.catch_up(dbs, room, 0)
    assert [m["id"] for m in first["messages"]] == [1, 2, 3] and first["more_after"]
    rest = messages.catch_up(dbs, room, 3)
    assert [m["id"] for m in rest["messages"]] == [4, 5] and not rest["more_after"]


def test_replies_carry_a_preview_until_the_parent_is_deleted(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    question = send(dbs, guest, room, "Q1: how do you end with clients?")
    answer = send(dbs, member, room, "A1: slowly", reply_to=question["id"])
    assert answer["reply_to"] == question["id"]
    assert answer["reply_preview"] == {
        "id": 1,
        "author": "Dr Guest",
        "excerpt": "Q1: how do you end with clients?",
        "deleted": False,
    }
    messages.delete_message(dbs, guest, room, question["id"], live(room))
    (reloaded,) = messages.catch_up(dbs, room, 1)["messages"]
    assert reloaded["reply_preview"]["deleted"] is True
    assert reloaded["reply_preview"]["excerpt"] is None
    with pytest.raises(NotFound):
        send(dbs, member, room, "to nothing", reply_to=question["id"])
    with pytest.raises(NotFound):
        send(dbs, member, room, "to the future", reply_to=99)


def test_reactions_count_once_per_person_and_kind(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    msg = send(dbs, guest, room, "Q1")
    now = live(room)
    counts, events = messages.react(dbs, member, room, msg["id"], "heart", True, now, LOBBY)
    assert counts["heart"] == 1 and len(events) == 1
    assert events[0].payload == {"session_id": room.id, "message_id": 1, "counts": counts}
    counts, events = messages.react(dbs, member, room, msg["id"], "heart", True, now, LOBBY)
    assert counts["heart"] == 1 and events == []  # idempotent
    messages.react(dbs, guest, room, msg["id"], "heart", True, now, LOBBY)
    counts, _ = messages.react(dbs, member, room, msg["id"], "same_here", True, now, LOBBY)
    assert counts == {"heart": 2, "thumbs_up": 0, "same_here": 1}
    assert messages.my_reactions(dbs, room, member) == {1: ["heart", "same_here"]}
    counts, events = messages.react(dbs, member, room, msg["id"], "heart", False, now, LOBBY)
    assert counts["heart"] == 1 and len(events) == 1
    with pytest.raises(ChatError) as err:
        messages.react(dbs, member, room, msg["id"], "angry", True, now, LOBBY)
    assert err.value.code == "invalid"
    with pytest.raises(ChatError) as err:
        messages.react(dbs, member, room, msg["id"], "heart", True, live(room, 61), LOBBY)
    assert err.value.code == "room_closed"


def test_authors_and_staff_delete_others_cannot(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    other = make_user(dbs, "sam@example.org", "Sam")
    mine = send(dbs, member, room, "mine")
    theirs = send(dbs, other, room, "theirs")
    with pytest.raises(Forbidden):
        messages.delete_message(dbs, member, room, theirs["id"], live(room))
    events = messages.delete_message(dbs, member, room, mine["id"], live(room))
    assert events[0].payload == {
        "session_id": room.id,
        "message_id": mine["id"],
        "removed_by": "author",
    }
    messages.delete_message(dbs, guest, room, theirs["id"], live(room))
    # the author's delete vanishes; a facilitator's removal stays as a tombstone
    (tombstone,) = messages.recent(dbs, room)["messages"]
    assert tombstone["id"] == theirs["id"] and tombstone["removed"] == "moderator"
    assert tombstone["body"] == ""
    assert messages.deleted_ids(dbs, room) == [1]
    with pytest.raises(NotFound):
        messages.delete_message(dbs, guest, room, mine["id"], live(room))
