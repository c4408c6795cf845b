"""The question queue: every transition, limits, anonymity, merging and exact votes."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden, NotFound, RateLimited
from chat.events import QuestionChanged
from chat.models import ChatSession, Question, User
from chat.services import questions
from tests.helpers import make_user
from tests.unit.builders import LOBBY, live, send


def ask(dbs: Session, user: User, room: ChatSession, body: str = "How do you end well?", **kw):
    asked, _ = questions.ask(
        dbs,
        user,
        room,
        body,
        kw.pop("anonymous", False),
        kw.pop("client_id", str(uuid.uuid4())),
        kw.pop("now", live(room)),
        LOBBY,
        **kw,
    )
    return asked


def status(dbs: Session, question_id: int) -> str:
    dbs.expire_all()
    question = dbs.get(Question, question_id)
    return question.status if question else "gone"


def votes(dbs: Session, question_id: int) -> int:
    return questions.vote_counts(dbs, [question_id])[question_id]


@pytest.fixture
def trainees(dbs: Session) -> list[User]:
    return [make_user(dbs, f"t{i}@example.org", f"Trainee {i}") for i in range(4)]


def test_members_may_ask_before_the_session_and_not_after(
    dbs: Session, member: User, room: ChatSession
) -> None:
    early = ask(dbs, member, room, now=room.starts_at - timedelta(days=3))
    assert early["status"] == "open" and early["author"]["name"] == "Tam"
    with pytest.raises(ChatError) as closed:
        ask(dbs, member, room, now=live(room, 61))
    assert closed.value.code == "room_closed"


@pytest.mark.parametrize("body", ["", "    ", "Why?", "x" * 501])
def test_question_text_is_5_to_500_characters(
    dbs: Session, member: User, room: ChatSession, body: str
) -> None:
    with pytest.raises(ChatError) as refused:
        ask(dbs, member, room, body)
    assert refused.value.code == "invalid"


def test_a_resend_with_the_same_client_id_is_stored_once(
    dbs: Session, member: User, room: ChatSession
) -> None:
    client_id = str(uuid.uuid4())
    first = ask(dbs, member, room, client_id=client_id)
    again, events = questions.ask(
        dbs, member, room, "How do you end well?", False, client_id, live(room), LOBBY
    )
    assert again["id"] == first["id"] and events == []


def test_members_wait_30_seconds_between_questions_and_keep_three_waiting(
    dbs: Session, member: User, guest: User, room: ChatSession
) -> None:
    start = live(room)
    first = ask(dbs, member, room, now=start)
    with pytest.raises(RateLimited) as soon:
        ask(dbs, member, room, now=start + timedelta(seconds=20))
    assert soon.value.retry_after == 10
    ask(dbs, member, room, now=start + timedelta(seconds=30))
    ask(dbs, member, room, now=start + timedelta(seconds=60))
    with pytest.raises(ChatError) as full:
        ask(dbs, member, room, now=start + timedelta(seconds=90))
    assert full.value.code == "rate_limited" and "3 questions waiting" in full.value.message
    questions.moderate(dbs, guest, room, first["id"], "answer", start)
    ask(dbs, member, room, now=start + timedelta(seconds=120))  # answered frees a place
    with pytest.raises(ChatError):
        ask(dbs, member, room, now=start + timedelta(seconds=150), max_open=3)
    for i in range(5):  # staff are not limited
        ask(dbs, guest, room, now=start, client_id=str(uuid.uuid4()), body=f"Staff note {i}")


def test_anonymous_askers_are_named_only_to_staff_and_themselves(
    dbs: Session, member: User, guest: User, trainees: list[User], room: ChatSession
) -> None:
    asked = ask(dbs, member, room, anonymous=True)
    other = questions.queue(dbs, room, trainees[0])["questions"][0]
    assert other["anonymous"] and other["author"] is None
    assert questions.queue(dbs, room, guest)["questions"][0]["author"]["name"] == "Tam"
    mine = questions.queue(dbs, room, member)
    assert mine["questions"][0]["author"]["name"] == "Tam" and mine["mine"] == [asked["id"]]
    event = questions.vote(dbs, trainees[0], room, asked["id"], True, live(room), LOBBY)[1][0]
    assert isinstance(event, QuestionChanged)
    assert event.public is not None and event.public["author"] is None
    assert event.payload["author"]["name"] == "Tam"


def test_votes_count_once_per_member_and_a_second_vote_takes_it_back(
    dbs: Session, member: User, trainees: list[User], room: ChatSession
) -> None:
    asked = ask(dbs, member, room)
    for voter in trainees:
        questions.vote(dbs, voter, room, asked["id"], True, live(room), LOBBY)
    count, events = questions.vote(dbs, trainees[0], room, asked["id"], True, live(room), LOBBY)
    assert count == 4 and events == []
    count, _ = questions.vote(dbs, trainees[0], room, asked["id"], False, live(room), LOBBY)
    assert count == 3
    assert questions.queue(dbs, room, trainees[1])["voted"] == [asked["id"]]


def test_pre_moderation_holds_questions_until_approved(
    dbs: Session, member: User, guest: User, trainees: list[User], room: ChatSession
) -> None:
    questions.set_premoderation(dbs, guest, room, True, live(room))
    asked = ask(dbs, member, room)
    assert asked["status"] == "pending"
    assert questions.queue(dbs, room, trainees[0])["questions"] == []
    assert [q["id"] for q in questions.queue(dbs, room, member)["questions"]] == [asked["id"]]
    assert [q["status"] for q in questions.queue(dbs, room, guest)["questions"]] == ["pending"]
    with pytest.raises(NotFound):
        questions.vote(dbs, trainees[0], room, asked["id"], True, live(room), LOBBY)
    (event,) = questions.moderate(dbs, guest, room, asked["id"], "approve", live(room))
    assert event.public is not None and event.public["status"] == "open"
    assert len(questions.queue(dbs, room, trainees[0])["questions"]) == 1


def test_dismiss_restore_spotlight_and_answer(
    dbs: Session, member: User, guest: User, trainees: list[User], room: ChatSession
) -> None:
    first = ask(dbs, member, room)["id"]
    second = ask(dbs, trainees[0], room, "What about our own endings?")["id"]
    (dismissed,) = questions.moderate(dbs, guest, room, first, "dismiss", live(room))
    assert dismissed.public is None and dismissed.was_public
    assert [q["id"] for q in questions.queue(dbs, room, trainees[1])["questions"]] == [second]
    with pytest.raises(NotFound):
        questions.vote(dbs, trainees[1], room, first, True, live(room), LOBBY)
    questions.moderate(dbs, guest, room, first, "restore", live(room))
    assert status(dbs, first) == "open"
    questions.moderate(dbs, guest, room, first, "spotlight", live(room))
    events = questions.moderate(dbs, guest, room, second, "spotlight", live(room))
    assert (status(dbs, first), status(dbs, second)) == ("open", "spotlit")
    questions.moderate(dbs, guest, room, second, "reopen", live(room))
    assert status(dbs, second) == "open"
    questions.moderate(dbs, guest, room, second, "spotlight", live(room))
    assert {e.payload["id"] for e in events} == {first, second}
    questions.moderate(dbs, guest, room, second, "answer", live(room, 20))
    assert status(dbs, second) == "answered"
    assert dbs.get(Question, second).answered_at == live(room, 20)
    with pytest.raises(ChatError) as closed:
        questions.vote(dbs, trainees[1], room, second, True, live(room), LOBBY)
    assert closed.value.code == "conflict"
    with pytest.raises(ChatError) as bad:
        questions.moderate(dbs, guest, room, second, "approve", live(room))
    assert bad.value.code == "conflict"
    with pytest.raises(ChatError) as unknown:
        questions.moderate(dbs, guest, room, second, "delete", live(room))
    assert unknown.value.code == "invalid"


def test_merging_adds_votes_without_counting_anyone_twice(
    dbs: Session, member: User, guest: User, trainees: list[User], room: ChatSession
) -> None:
    keep = ask(dbs, member, room, "How do you say goodbye to a client?")["id"]
    dup = ask(dbs, trainees[0], room, "How to say goodbye to clients?")["id"]
    for voter in trainees[1:3]:
        questions.vote(dbs, voter, room, keep, True, live(room), LOBBY)
    for voter in trainees[2:4]:  # trainees[2] voted for both
        questions.vote(dbs, voter, room, dup, True, live(room), LOBBY)
    events = questions.merge(dbs, guest, room, dup, keep)
    assert votes(dbs, keep) == 3 and votes(dbs, dup) == 0
    assert status(dbs, dup) == "merged" and dbs.get(Question, dup).merged_into_id == keep
    assert events[0].public is None and events[1].payload["votes"] == 3
    with pytest.raises(ChatError):
        questions.merge(dbs, guest, room, keep, keep)
    with pytest.raises(ChatError) as again:
        questions.merge(dbs, guest, room, dup, keep)
    assert again.value.code == "conflict"


def test_edit_and_withdraw(
    dbs: Session, member: User, guest: User, trainees: list[User], room: ChatSession
) -> None:
    asked = ask(dbs, member, room)["id"]
    questions.edit(dbs, member, room, asked, "How do you end well with a client?")
    assert not dbs.get(Question, asked).edited_by_staff
    with pytest.raises(Forbidden):
        questions.edit(dbs, trainees[0], room, asked, "Hijacked question")
    (event,) = questions.edit(dbs, guest, room, asked, "How do we end well with clients?")
    assert event.payload["edited"] and event.author_view["edited"]
    with pytest.raises(Forbidden):
        questions.withdraw(dbs, trainees[0], room, asked)
    (gone,) = questions.withdraw(dbs, member, room, asked)
    assert gone.payload["status"] == "withdrawn" and gone.was_public
    assert status(dbs, asked) == "gone"
    answered = ask(dbs, member, room, now=live(room, 2))["id"]
    questions.moderate(dbs, guest, room, answered, "answer", live(room, 3))
    for change in (
        lambda: questions.edit(dbs, member, room, answered, "Too late to change"),
        lambda: questions.withdraw(dbs, member, room, answered),
    ):
        with pytest.raises(ChatError) as late:
            change()
        assert late.value.code == "conflict"


def test_a_chat_message_becomes_a_question_once(
    dbs: Session, member: User, guest: User, room: ChatSession
) -> None:
    said = send(dbs, member, room, "Does anyone else dread the last session?")
    made, events = questions.from_message(dbs, guest, room, said["id"], live(room))
    assert made["author"]["name"] == "Tam" and made["from_message_id"] == said["id"]
    assert made["status"] == "open" and len(events) == 1
    again, none = questions.from_message(dbs, guest, room, said["id"], live(room))
    assert again["id"] == made["id"] and none == []
    long = send(dbs, member, room, "word " * 300)
    assert len(questions.from_message(dbs, guest, room, long["id"], live(room))[0]["body"]) <= 500
    with pytest.raises(Forbidden):
        questions.from_message(dbs, member, room, said["id"], live(room))


@pytest.mark.parametrize(
    "action",
    [
        lambda dbs, u, r, q: questions.moderate(dbs, u, r, q, "approve", live(r)),
        lambda dbs, u, r, q: questions.moderate(dbs, u, r, q, "spotlight", live(r)),
        lambda dbs, u, r, q: questions.moderate(dbs, u, r, q, "dismiss", live(r)),
        lambda dbs, u, r, q: questions.merge(dbs, u, r, q, q),
        lambda dbs, u, r, q: questions.set_premoderation(dbs, u, r, True, live(r)),
    ],
)
def test_facilitator_actions_are_refused_to_members(
    dbs: Session, member: User, trainees: list[User], room: ChatSession, action
) -> None:
    asked = ask(dbs, trainees[0], room)["id"]
    with pytest.raises(Forbidden):
        action(dbs, member, room, asked)
    assert status(dbs, asked) == "open" and not room.questions_premoderated


def concurrent_votes(engine: Engine, room_id: int, question_id: int, voters: list[int]) -> None:
    """Every voter votes twice at once from its own thread and database session."""
    barrier = threading.Barrier(len(voters) * 2, timeout=60)
    failures: list[BaseException] = []

    def cast(voter_id: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as own:
                room = own.get(ChatSession, room_id)
                voter = own.get(User, voter_id)
                assert room is not None and voter is not None
                barrier.wait()
                questions.vote(own, voter, room, question_id, True, live(room), LOBBY)
        except BaseException as exc:  # reported below, with the thread's own traceback
            failures.append(exc)

    threads = [threading.Thread(target=cast, args=(v,)) for v in voters * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_concurrent_votes_count_exactly(
    engine: Engine, dbs: Session, member: User, trainees: list[User], room: ChatSession
) -> None:
    asked = ask(dbs, member, room)["id"]
    concurrent_votes(engine, room.id, asked, [t.id for t in trainees])
    assert votes(dbs, asked) == len(trainees)
