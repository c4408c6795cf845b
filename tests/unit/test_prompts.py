"""The run sheet and steering: numbering, going back, skipping, extending, auto-advance."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden, NotFound, ValidationError
from chat.events import MessagePosted, RoomChanged, RunSheetChanged
from chat.models import ChatSession, Message, Prompt, User
from chat.services import prompts
from tests.helpers import make_user
from tests.unit.builders import LOBBY, live, send


@pytest.fixture
def sheet(dbs: Session, guest: User, room: ChatSession) -> list[Prompt]:
    added, _ = prompts.add_prompts(
        dbs, guest, room, ["What brought you here?", "Endings", "Self-care"], 10, live(room, -60)
    )
    return added


def post(dbs: Session, user: User, room: ChatSession, prompt_id: int | None = None, at=5):
    return prompts.post_prompt(dbs, user, room, prompt_id, live(room, at), LOBBY)


def prompt_messages(dbs: Session, room: ChatSession) -> list[Message]:
    query = select(Message).where(Message.session_id == room.id, Message.kind == "prompt")
    return list(dbs.scalars(query.order_by(Message.seq)))


def test_parse_lines_drops_blank_lines_and_numbering() -> None:
    text = "Q1: Why counselling?\n\n2. Endings\n- Self-care \n3) Supervision\n  Plain line"
    assert prompts.parse_lines(text) == [
        "Why counselling?",
        "Endings",
        "Self-care",
        "Supervision",
        "Plain line",
    ]


def test_run_sheet_keeps_planned_order_through_edit_move_and_delete(
    dbs: Session, guest: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    first, second, third = sheet
    assert [p.position for p in room.prompts] == [1, 2, 3]
    prompts.edit_prompt(dbs, guest, room, second.id, "  Endings, again ", 15, live(room, -50))
    assert (second.body, second.duration_minutes) == ("Endings, again", 15)
    events = prompts.move_prompt(dbs, guest, room, third.id, -1)
    assert [p.id for p in room.prompts] == [first.id, third.id, second.id]
    assert isinstance(events[0], RunSheetChanged)
    assert [p["id"] for p in events[0].payload["prompts"]] == [first.id, third.id, second.id]
    prompts.delete_prompt(dbs, guest, room, first.id)
    assert [(p.id, p.position) for p in room.prompts] == [(third.id, 1), (second.id, 2)]
    with pytest.raises(ChatError) as moved:
        prompts.move_prompt(dbs, guest, room, third.id, -1)
    assert moved.value.code == "conflict"


@pytest.mark.parametrize(
    ("body", "minutes", "field"),
    [
        ("", 10, "body"),
        ("x" * 501, 10, "body"),
        ("Fine", 0, "duration_minutes"),
        ("Fine", 61, "duration_minutes"),
    ],
)
def test_bad_prompts_are_refused_with_the_field_named(
    dbs: Session, guest: User, room: ChatSession, body: str, minutes: int, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        prompts.add_prompts(dbs, guest, room, [body], minutes, live(room, -60))
    assert field in refused.value.fields
    dbs.rollback()
    assert dbs.scalar(select(func.count()).select_from(Prompt)) == 0


def test_a_run_sheet_is_capped(dbs: Session, guest: User, room: ChatSession) -> None:
    with pytest.raises(ValidationError):
        prompts.add_prompts(dbs, guest, room, ["q"] * (prompts.MAX_PROMPTS + 1), 10, live(room))


def test_members_and_other_sessions_facilitators_cannot_touch_the_run_sheet(
    dbs: Session, member: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    other = make_user(dbs, "other@example.org", "Other facilitator")
    for actor in (member, other):
        with pytest.raises(Forbidden):
            prompts.add_prompts(dbs, actor, room, ["Hijack"], 10, live(room))
        with pytest.raises(Forbidden):
            prompts.delete_prompt(dbs, actor, room, sheet[0].id)
        with pytest.raises(Forbidden):
            post(dbs, actor, room)
    assert len(room.prompts) == 3 and room.current_prompt_id is None


def test_posting_numbers_prompts_in_the_order_asked_and_posts_them_in_the_chat(
    dbs: Session, guest: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    first, second, third = sheet
    posted, events = post(dbs, guest, room, third.id)  # out of planned order
    assert posted is not None and posted["kind"] == "prompt"
    assert posted["prompt"] == {"id": third.id, "number": 1}
    assert posted["body"] == "Self-care"
    assert [type(e) for e in events] == [MessagePosted, RoomChanged, RunSheetChanged]
    room_state = events[1].payload
    assert room_state["current_prompt"]["number"] == 1
    assert room_state["current_prompt"]["ends_at"] == live(room, 15).isoformat()
    post(dbs, guest, room, at=7)  # the next one in planned order: `first`
    assert (first.number, third.number, second.number) == (2, 1, None)
    assert [m.body for m in prompt_messages(dbs, room)] == ["Self-care", "What brought you here?"]
    assert room.current_prompt_id == first.id


def test_going_back_re_pins_the_earlier_prompt_without_posting_it_twice(
    dbs: Session, guest: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    post(dbs, guest, room)
    post(dbs, guest, room, at=10)
    events = prompts.previous_prompt(dbs, guest, room, live(room, 12), LOBBY)
    assert room.current_prompt_id == sheet[0].id
    assert events[0].payload["current_prompt"]["ends_at"] == live(room, 22).isoformat()
    assert len(prompt_messages(dbs, room)) == 2
    with pytest.raises(ChatError) as none_earlier:
        prompts.previous_prompt(dbs, guest, room, live(room, 13), LOBBY)
    assert none_earlier.value.code == "conflict"
    with pytest.raises(ChatError) as already:
        post(dbs, guest, room, sheet[0].id, at=14)
    assert already.value.code == "conflict"


def test_skip_moves_next_on_and_the_skipped_prompt_can_still_be_posted(
    dbs: Session, guest: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    post(dbs, guest, room)
    prompts.skip_prompt(dbs, guest, room, live(room, 6), LOBBY)
    assert sheet[1].skipped and prompts.next_prompt(room) is sheet[2]
    post(dbs, guest, room, at=7)
    assert sheet[2].number == 2
    post(dbs, guest, room, sheet[1].id, at=9)
    assert sheet[1].number == 3 and not sheet[1].skipped
    with pytest.raises(ChatError) as nothing_left:
        post(dbs, guest, room, at=10)
    assert nothing_left.value.code == "conflict"


def test_extend_gives_the_current_prompt_more_time(
    dbs: Session, guest: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    with pytest.raises(ChatError) as nothing_current:
        prompts.extend_prompt(dbs, guest, room, 5, live(room), LOBBY)
    assert nothing_current.value.code == "conflict"
    post(dbs, guest, room)
    prompts.extend_prompt(dbs, guest, room, 5, live(room, 6), LOBBY)
    assert room.prompt_ends_at == live(room, 20)
    # After the time is up, an extension counts from now.
    prompts.extend_prompt(dbs, guest, room, 2, live(room, 30), LOBBY)
    assert room.prompt_ends_at == live(room, 32)
    with pytest.raises(ChatError):
        prompts.extend_prompt(dbs, guest, room, 31, live(room, 31), LOBBY)


def test_prompts_are_posted_only_while_the_room_is_open(
    dbs: Session, guest: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    for minutes in (-60, 61):
        with pytest.raises(ChatError) as closed:
            post(dbs, guest, room, at=minutes)
        assert closed.value.code == "room_closed"
    assert prompt_messages(dbs, room) == []


def test_auto_advance_posts_the_next_prompt_when_time_is_up_once(
    dbs: Session, guest: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    post(dbs, guest, room)  # Q1 until minute 15
    prompts.set_auto_advance(dbs, guest, room, True, live(room, 5))
    assert prompts.due_prompts(dbs, live(room, 14), LOBBY) == []
    events = prompts.due_prompts(dbs, live(room, 15), LOBBY)
    assert [type(e) for e in events] == [MessagePosted, RoomChanged, RunSheetChanged]
    assert events[0].payload["author"]["name"] == "Dr Guest"
    assert events[0].payload["prompt"]["number"] == 2
    assert prompts.due_prompts(dbs, live(room, 15), LOBBY) == []
    assert prompts.due_prompts(dbs, live(room, 24), LOBBY) == []
    prompts.due_prompts(dbs, live(room, 25), LOBBY)
    assert [p.number for p in sheet] == [1, 2, 3]
    # Nothing left: time runs out on Q3 and nothing more happens.
    assert prompts.due_prompts(dbs, live(room, 40), LOBBY) == []


def test_auto_advance_waits_for_a_current_prompt_and_stops_when_off_or_ended(
    dbs: Session, guest: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    prompts.set_auto_advance(dbs, guest, room, True, live(room))
    assert prompts.due_prompts(dbs, live(room, 30), LOBBY) == []  # nothing posted yet
    post(dbs, guest, room, at=30)
    assert prompts.due_prompts(dbs, live(room, 61), LOBBY) == []  # the session has ended
    prompts.set_auto_advance(dbs, guest, room, False, live(room, 31))
    assert prompts.due_prompts(dbs, live(room, 45), LOBBY) == []
    assert len(prompt_messages(dbs, room)) == 1


def test_two_clocks_on_one_database_post_the_next_prompt_exactly_once(
    engine: Engine, dbs: Session, guest: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    post(dbs, guest, room)
    prompts.set_auto_advance(dbs, guest, room, True, live(room))
    due = live(room, 15)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def clock_process() -> None:
        with Session(engine, expire_on_commit=False) as own:
            barrier.wait()
            results.append(len(prompts.due_prompts(own, due, LOBBY)))

    workers = [threading.Thread(target=clock_process) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == [0, 3]
    dbs.expire_all()
    assert len(prompt_messages(dbs, room)) == 2
    assert [p.number for p in dbs.get(ChatSession, room.id).prompts] == [1, 2, None]


def test_a_stale_view_loses_the_race_to_move_the_room_on(
    engine: Engine, dbs: Session, guest: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    post(dbs, guest, room)
    with Session(engine, expire_on_commit=False) as other:
        stale = other.get(ChatSession, room.id)
        assert stale is not None and len(stale.prompts) == 3
        post(dbs, guest, room, at=6)  # this process moves on first
        with pytest.raises(ChatError) as lost:
            prompts.post_prompt(other, guest, stale, None, live(room, 6), LOBBY)
        assert lost.value.code == "conflict"
    dbs.expire_all()
    assert len(prompt_messages(dbs, room)) == 2


def test_messages_answer_the_current_prompt_unless_another_is_chosen(
    dbs: Session, guest: User, member: User, room: ChatSession, sheet: list[Prompt]
) -> None:
    assert send(dbs, member, room, "Hello before any question")["prompt"] is None
    post(dbs, guest, room)
    post(dbs, guest, room, at=10)
    q1, q2 = sheet[0], sheet[1]
    assert send(dbs, member, room, "On Q2")["prompt"] == {"id": q2.id, "number": 2}
    assert send(dbs, member, room, "Back on Q1", answer_to=q1.id)["prompt"]["number"] == 1
    assert send(dbs, member, room, "Just chatting", answer_to=None)["prompt"] is None
    with pytest.raises(NotFound):
        send(dbs, member, room, "Unposted", answer_to=sheet[2].id)
