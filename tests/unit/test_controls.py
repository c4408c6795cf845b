"""Room controls: pin, announce, slow mode, lock, backstage, and rehearsals."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden, NotFound, RateLimited
from chat.events import BackstagePosted, RoomChanged
from chat.models import ChatSession, User
from chat.services import controls, messages, prompts, rehearsals, roles, schedule
from tests.helpers import make_user
from tests.unit.builders import LOBBY, live, send


def test_slow_mode_lets_a_member_send_once_per_interval_and_says_how_long_to_wait(
    dbs: Session, guest: User, member: User, room: ChatSession
) -> None:
    controls.set_slow_mode(dbs, guest, room, 30, live(room))
    send(dbs, member, room, "first", now=live(room, 5))
    with pytest.raises(RateLimited) as refused:
        send(dbs, member, room, "too soon", now=live(room, 5) + timedelta(seconds=18))
    assert refused.value.retry_after == 12
    assert refused.value.as_ack()["error"]["retry_after"] == 12
    send(dbs, member, room, "later", now=live(room, 5) + timedelta(seconds=30))
    # Facilitators and organisers are exempt.
    for _ in range(2):
        send(dbs, guest, room, "staff can keep talking", now=live(room, 6))
    assert room.last_message_id == 4


def test_a_refused_message_is_not_stored_and_does_not_use_up_an_id(
    dbs: Session, guest: User, member: User, room: ChatSession
) -> None:
    controls.set_slow_mode(dbs, guest, room, 60, live(room))
    send(dbs, member, room, "first")
    with pytest.raises(RateLimited):
        send(dbs, member, room, "second")
    dbs.expire_all()
    assert room.last_message_id == 1
    assert [m["body"] for m in messages.recent(dbs, room)["messages"]] == ["first"]


def test_slow_mode_range_is_checked(dbs: Session, guest: User, room: ChatSession) -> None:
    for seconds in (-1, controls.MAX_SLOW_MODE_SECONDS + 1):
        with pytest.raises(ChatError) as refused:
            controls.set_slow_mode(dbs, guest, room, seconds, live(room))
        assert refused.value.code == "invalid"


def test_a_locked_room_is_read_only_for_members_but_not_for_staff(
    dbs: Session, guest: User, member: User, room: ChatSession
) -> None:
    said = send(dbs, member, room, "before the lock")
    events = controls.set_locked(dbs, guest, room, True, live(room))
    assert isinstance(events[0], RoomChanged) and events[0].payload["locked"] is True
    with pytest.raises(ChatError) as closed:
        send(dbs, member, room, "during the lock")
    assert closed.value.code == "room_closed"
    with pytest.raises(ChatError):
        messages.react(dbs, member, room, said["id"], "heart", True, live(room), LOBBY)
    send(dbs, guest, room, "staff may still write")
    controls.set_locked(dbs, guest, room, False, live(room))
    send(dbs, member, room, "after the lock")


def test_pin_replaces_unpins_and_a_deleted_message_is_no_longer_pinned(
    dbs: Session, guest: User, member: User, room: ChatSession
) -> None:
    first = send(dbs, member, room, "worth pinning")
    second = send(dbs, member, room, "even more so")
    controls.pin(dbs, guest, room, first["id"], live(room))
    events = controls.pin(dbs, guest, room, second["id"], live(room))
    assert events[0].payload["pinned"]["body"] == "even more so"
    messages.delete_message(dbs, member, room, second["id"], live(room))
    assert controls.room_payload(dbs, room, live(room))["pinned"] is None
    with pytest.raises(NotFound):
        controls.pin(dbs, guest, room, second["id"], live(room))
    controls.pin(dbs, guest, room, first["id"], live(room))
    assert controls.pin(dbs, guest, room, None, live(room))[0].payload["pinned"] is None


def test_announcements_are_staff_only_idempotent_and_pass_a_lock(
    dbs: Session, guest: User, member: User, room: ChatSession
) -> None:
    controls.set_locked(dbs, guest, room, True, live(room))
    client_id = str(uuid.uuid4())
    stored, events = controls.announce(
        dbs, guest, room, "Ten minutes left", client_id, live(room), LOBBY
    )
    assert stored["kind"] == "announcement" and len(events) == 1
    again, repeat_events = controls.announce(
        dbs, guest, room, "Ten minutes left", client_id, live(room), LOBBY
    )
    assert again["id"] == stored["id"] and repeat_events == []
    with pytest.raises(Forbidden):
        controls.announce(dbs, member, room, "Hijack", str(uuid.uuid4()), live(room), LOBBY)


@pytest.mark.parametrize(
    "control",
    [
        lambda dbs, u, r: controls.pin(dbs, u, r, None, live(r)),
        lambda dbs, u, r: controls.set_locked(dbs, u, r, True, live(r)),
        lambda dbs, u, r: controls.set_slow_mode(dbs, u, r, 30, live(r)),
        lambda dbs, u, r: prompts.set_auto_advance(dbs, u, r, True, live(r)),
        lambda dbs, u, r: controls.post_backstage(dbs, u, r, "psst", str(uuid.uuid4()), live(r)),
        lambda dbs, u, r: controls.backstage(dbs, u, r),
    ],
)
def test_every_control_is_refused_to_members_and_other_sessions_facilitators(
    dbs: Session, member: User, room: ChatSession, control
) -> None:
    other = make_user(dbs, "other@example.org", "Other facilitator")
    for actor in (member, other):
        with pytest.raises(Forbidden):
            control(dbs, actor, room)
    dbs.rollback()
    dbs.expire_all()
    assert (room.locked, room.slow_mode_seconds, room.auto_advance) == (False, 0, False)


def test_backstage_notes_are_for_staff_and_stored_once(
    dbs: Session, organiser: User, guest: User, room: ChatSession
) -> None:
    client_id = str(uuid.uuid4())
    note, events = controls.post_backstage(
        dbs, guest, room, "Can you take the next question?", client_id, live(room)
    )
    assert isinstance(events[0], BackstagePosted)
    assert note["author"]["role"] == "facilitator"
    _, again = controls.post_backstage(dbs, guest, room, "dup", client_id, live(room))
    assert again == []
    assert [n["body"] for n in controls.backstage(dbs, organiser, room)] == [
        "Can you take the next question?"
    ]


def test_a_rehearsal_is_a_private_live_copy_with_the_run_sheet(
    dbs: Session, organiser: User, guest: User, member: User, room: ChatSession
) -> None:
    prompts.add_prompts(dbs, guest, room, ["One", "Two"], 10, live(room, -120))
    now = room.starts_at - timedelta(days=2)
    copy = rehearsals.start_rehearsal(dbs, guest, room, now)
    assert copy.rehearsal_of_id == room.id and copy.title == "Rehearsal: Endings"
    assert [p.body for p in copy.prompts] == ["One", "Two"]
    assert roles.is_facilitator(guest, copy)
    posted, _ = prompts.post_prompt(dbs, guest, copy, None, now, LOBBY)  # live right away
    assert posted is not None and room.prompts[0].number is None  # the real one is untouched
    with pytest.raises(NotFound):
        roles.require_view(member, copy)
    assert copy not in schedule.upcoming_sessions(dbs, now)
    assert copy not in schedule.all_sessions(dbs)
    fresh = rehearsals.start_rehearsal(dbs, guest, room, now + timedelta(minutes=5))
    rehearsals_of_room = select(ChatSession).where(ChatSession.rehearsal_of_id == room.id)
    assert list(dbs.scalars(rehearsals_of_room)) == [fresh]
    assert fresh.prompts[0].number is None and fresh.last_message_id == 0
    with pytest.raises(ChatError):
        rehearsals.start_rehearsal(dbs, guest, fresh, now)
    with pytest.raises(Forbidden):
        rehearsals.start_rehearsal(dbs, member, room, now)
