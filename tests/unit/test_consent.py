"""The review window and each participant's consent: the choices table, the window's
boundaries, who may choose, choosing for everything at once, and the banner's sessions."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden, NotFound, ValidationError
from chat.models import ChatSession, Message, Question, User
from chat.services import consent, messages, moderation, prompts, questions, rooms, schedule
from tests.helpers import START, make_session, make_user
from tests.unit.builders import LOBBY, live, send

SECOND = timedelta(seconds=1)


def ended(room: ChatSession, hours: float = 1) -> object:
    """`hours` after the session's end."""
    return rooms.ends_at(room) + timedelta(hours=hours)


def ask(dbs: Session, user: User, room: ChatSession, body: str, minutes: float = 5) -> int:
    asked, _ = questions.ask(
        dbs, user, room, body, False, str(uuid.uuid4()), live(room, minutes), LOBBY
    )
    return int(asked["id"])


def stored(dbs: Session, model: type[Message] | type[Question], **where: object) -> str:
    dbs.expire_all()
    return dbs.query(model).filter_by(**where).one().consent


@pytest.fixture
def other(dbs: Session) -> User:
    return make_user(dbs, "sam@example.org", "Sam")


def write(dbs: Session, what: str, member: User, other: User, guest: User, room: ChatSession):
    """Make one item of kind `what` by `member`; returns (kind, id) to choose for, and
    the rows whose consent must follow the choice (model, filter)."""
    if what == "message":
        seq = send(dbs, member, room, "Endings stir up old losses.")["id"]
        return ("message", seq), [(Message, {"session_id": room.id, "seq": seq})]
    if what == "reply":
        parent = send(dbs, other, room, "Do you plan the last session?")["id"]
        seq = send(dbs, member, room, "I count down with clients.", reply_to=parent)["id"]
        return ("message", seq), [(Message, {"session_id": room.id, "seq": seq})]
    if what == "edited":
        seq = send(dbs, member, room, "Endigns are hard", now=live(room, 5))["id"]
        moderation.edit_message(
            dbs, member, room, seq, "Endings are hard", None, live(room, 6), LOBBY
        )
        return ("message", seq), [(Message, {"session_id": room.id, "seq": seq})]
    if what == "question":
        question_id = ask(dbs, member, room, "How do you end with a client who ghosts?")
        return ("question", question_id), [(Question, {"id": question_id})]
    assert what == "made into a question"
    seq = send(dbs, member, room, "What if the client wants to stay in touch?")["id"]
    made, _ = questions.from_message(dbs, guest, room, seq, live(room, 7))
    rows = [(Message, {"session_id": room.id, "seq": seq}), (Question, {"id": made["id"]})]
    return ("message", seq), rows


KINDS = ("message", "reply", "edited", "question", "made into a question")


@pytest.mark.parametrize("choice", ["keep", "anonymise", "withdraw"])
@pytest.mark.parametrize("what", KINDS)
def test_consent_table(
    dbs: Session,
    room: ChatSession,
    member: User,
    other: User,
    guest: User,
    what: str,
    choice: str,
) -> None:
    (kind, item_id), rows = write(dbs, what, member, other, guest, room)
    others_before = {m.seq: m.consent for m in dbs.query(Message).filter_by(author_id=other.id)}
    # Start from a different choice, so that every row of the table is a change.
    first = "withdraw" if choice == "keep" else "keep"
    consent.set_consent(dbs, member, room, kind, item_id, first, ended(room))
    assert [stored(dbs, model, **where) for model, where in rows] == [first] * len(rows)

    changed = consent.set_consent(dbs, member, room, kind, item_id, choice, ended(room))

    assert changed == len(rows)
    assert [stored(dbs, model, **where) for model, where in rows] == [choice] * len(rows)
    mine = {(i.kind, i.id): i for i in consent.my_items(dbs, member, room)}
    assert mine[(kind, item_id)].consent == choice
    if what == "edited":
        assert mine[(kind, item_id)].body == "Endings are hard"  # the text as it is now
    # Someone else's message (the one replied to) keeps its own author's choice.
    after = {m.seq: m.consent for m in dbs.query(Message).filter_by(author_id=other.id)}
    assert after == others_before


def test_my_items_lists_only_my_messages_and_questions_with_times_and_prompts(
    dbs: Session, room: ChatSession, member: User, other: User, guest: User, organiser: User
) -> None:
    prompts.add_prompts(dbs, guest, room, ["What does an ending mean to you?"], 10, START)
    prompts.post_prompt(dbs, guest, room, None, live(room, 2), LOBBY)
    answer = send(dbs, member, room, "A door left open", now=live(room, 3))["id"]
    send(dbs, other, room, "Someone else's words", now=live(room, 4))
    send(dbs, guest, room, "The facilitator's own message", now=live(room, 5))
    gone = send(dbs, member, room, "Typo, deleting", now=live(room, 6))["id"]
    messages.delete_message(dbs, member, room, gone, live(room, 7))
    removed = send(dbs, member, room, "My client Jo, 34, in Leeds", now=live(room, 8))["id"]
    messages.delete_message(dbs, guest, room, removed, live(room, 9), "Confidentiality")
    asked = ask(dbs, member, room, "How long is a good ending?", minutes=10)
    withdrawn = ask(dbs, member, room, "Never mind", minutes=11)
    questions.withdraw(dbs, member, room, withdrawn)
    ask(dbs, other, room, "Another person's question", minutes=12)

    items = consent.my_items(dbs, member, room)

    assert [(i.kind, i.id, i.body, i.created_at, i.prompt_number, i.removed) for i in items] == [
        ("message", answer, "A door left open", live(room, 3), 1, False),
        ("message", removed, "", live(room, 8), 1, True),  # removed text is never shown again
        ("question", asked, "How long is a good ending?", live(room, 10), None, False),
    ]
    assert [i.choosable for i in items] == [True, False, True]
    assert [i.consent for i in items] == ["keep"] * 3
    # The facilitator's posted prompt is not theirs to withdraw; their own message is.
    assert [(i.kind, i.body) for i in consent.my_items(dbs, guest, room)] == [
        ("message", "The facilitator's own message")
    ]


@pytest.mark.parametrize(
    ("review_hours", "offset", "is_open"),
    [
        (None, -SECOND, False),
        (None, timedelta(0), True),
        (None, timedelta(hours=48) - SECOND, True),
        (None, timedelta(hours=48), False),
        (3, timedelta(hours=3) - SECOND, True),
        (3, timedelta(hours=3), False),
        (336, timedelta(hours=300), True),
    ],
)
def test_window_boundaries(
    dbs: Session,
    room: ChatSession,
    organiser: User,
    review_hours: int | None,
    offset: timedelta,
    is_open: bool,
) -> None:
    if review_hours is not None:
        series = schedule.create_series(
            dbs,
            organiser,
            schedule.SeriesInput("#TraineeTalk", 1, "20:00", "UTC", 60, review_hours=review_hours),
            START,
        )
        room.series_id = series.id
        dbs.commit()
        dbs.refresh(room)
    end = rooms.ends_at(room)
    assert consent.review_closes_at(room) == end + timedelta(hours=review_hours or 48)
    assert consent.window_open(room, end + offset) is is_open


def test_the_window_opens_when_the_session_is_ended_early(
    dbs: Session, room: ChatSession, guest: User
) -> None:
    early = live(room, 20)
    rooms.end_now(dbs, guest, room, early, LOBBY)
    assert consent.window_open(room, early)
    assert consent.review_closes_at(room) == early + timedelta(hours=48)


def test_a_cancelled_session_has_no_window(dbs: Session, room: ChatSession) -> None:
    room.cancelled = True
    assert not consent.window_open(room, ended(room))


def test_choices_wait_for_the_end_and_stay_open_after_the_window(
    dbs: Session, room: ChatSession, member: User
) -> None:
    seq = send(dbs, member, room, "Endings matter")["id"]
    with pytest.raises(ChatError) as early:
        consent.set_consent(dbs, member, room, "message", seq, "withdraw", live(room, 59))
    assert early.value.code == "conflict" and "once the session has ended" in early.value.message
    assert stored(dbs, Message, session_id=room.id, seq=seq) == "keep"
    # After the window closes a change still applies: a published recap follows it at once.
    late = consent.review_closes_at(room) + timedelta(days=30)
    consent.set_consent(dbs, member, room, "message", seq, "withdraw", late)
    assert stored(dbs, Message, session_id=room.id, seq=seq) == "withdraw"


def test_only_the_author_chooses(
    dbs: Session, room: ChatSession, member: User, other: User, organiser: User, guest: User
) -> None:
    seq = send(dbs, member, room, "Mine")["id"]
    question_id = ask(dbs, member, room, "My question?")
    send(dbs, other, room, "Sam was here too")
    with pytest.raises(NotFound):
        consent.set_consent(dbs, other, room, "message", seq, "withdraw", ended(room))
    with pytest.raises(NotFound):
        consent.set_consent(dbs, other, room, "question", question_id, "withdraw", ended(room))
    for staff in (organiser, guest):  # staff who wrote nothing here have nothing to review
        with pytest.raises(Forbidden):
            consent.set_consent(dbs, staff, room, "message", seq, "withdraw", ended(room))
    assert stored(dbs, Message, session_id=room.id, seq=seq) == "keep"
    assert stored(dbs, Question, id=question_id) == "keep"


@pytest.mark.parametrize("choice", ["", "delete", "KEEP", "anonymize"])
def test_unknown_choices_are_refused_by_the_field(
    dbs: Session, room: ChatSession, member: User, choice: str
) -> None:
    seq = send(dbs, member, room, "Mine")["id"]
    with pytest.raises(ValidationError) as refused:
        consent.set_consent(dbs, member, room, "message", seq, choice, ended(room))
    assert list(refused.value.fields) == [f"message-{seq}"]
    with pytest.raises(ValidationError) as refused_all:
        consent.set_all(dbs, member, room, choice, ended(room))
    assert list(refused_all.value.fields) == ["all"]
    with pytest.raises(ValidationError):
        consent.set_consent(dbs, member, room, "reaction", seq, "keep", ended(room))
    assert stored(dbs, Message, session_id=room.id, seq=seq) == "keep"


def test_several_choices_are_stored_together_or_not_at_all(
    dbs: Session, room: ChatSession, member: User
) -> None:
    first = send(dbs, member, room, "First")["id"]
    second = send(dbs, member, room, "Second")["id"]
    with pytest.raises(ValidationError) as refused:
        consent.set_choices(
            dbs,
            member,
            room,
            {("message", first): "withdraw", ("message", second): "nope"},
            ended(room),
        )
    assert list(refused.value.fields) == [f"message-{second}"]
    assert stored(dbs, Message, session_id=room.id, seq=first) == "keep"
    changes = {("message", first): "withdraw", ("message", second): "anonymise"}
    assert consent.set_choices(dbs, member, room, changes, ended(room)) == 2
    assert consent.set_choices(dbs, member, room, changes, ended(room)) == 0


def test_removed_messages_and_questions_made_from_messages_are_not_chosen_alone(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    removed = send(dbs, member, room, "Client details")["id"]
    messages.delete_message(dbs, guest, room, removed, live(room, 6), "Confidentiality")
    source = send(dbs, member, room, "Can an ending be a beginning?")["id"]
    made, _ = questions.from_message(dbs, guest, room, source, live(room, 8))
    with pytest.raises(ChatError, match="removed") as on_removed:
        consent.set_consent(dbs, member, room, "message", removed, "keep", ended(room))
    assert on_removed.value.code == "conflict"
    with pytest.raises(ChatError, match=f"message #{source}") as on_made:
        consent.set_consent(dbs, member, room, "question", made["id"], "withdraw", ended(room))
    assert on_made.value.code == "conflict"
    item = next(i for i in consent.my_items(dbs, member, room) if i.kind == "question")
    assert item.follows == source and not item.choosable


def test_set_all_applies_one_choice_to_everything_i_wrote(
    dbs: Session, room: ChatSession, member: User, other: User, guest: User
) -> None:
    seqs = [send(dbs, member, room, f"Thought {n}")["id"] for n in range(3)]
    consent.set_consent(dbs, member, room, "message", seqs[0], "anonymise", live(room, 70))
    removed = send(dbs, member, room, "Removed")["id"]
    messages.delete_message(dbs, guest, room, removed, live(room, 6), "Off topic")
    question_id = ask(dbs, member, room, "A question of mine?")
    theirs = send(dbs, other, room, "Not mine")["id"]

    assert consent.set_all(dbs, member, room, "withdraw", ended(room)) == 4

    assert [stored(dbs, Message, session_id=room.id, seq=s) for s in seqs] == ["withdraw"] * 3
    assert stored(dbs, Question, id=question_id) == "withdraw"
    assert stored(dbs, Message, session_id=room.id, seq=removed) == "keep"  # out anyway
    assert stored(dbs, Message, session_id=room.id, seq=theirs) == "keep"
    assert consent.set_all(dbs, member, room, "withdraw", ended(room)) == 0


def test_review_refuses_non_participants_and_waits_for_the_end(
    dbs: Session, room: ChatSession, member: User, other: User
) -> None:
    send(dbs, member, room, "Here")
    with pytest.raises(Forbidden, match="nothing to review"):
        consent.review(dbs, other, room, ended(room))
    with pytest.raises(ChatError) as early:
        consent.review(dbs, member, room, live(room, 30))
    assert early.value.code == "conflict"
    page = consent.review(dbs, member, room, ended(room))
    assert page.window_open and page.closes_at == rooms.ends_at(room) + timedelta(hours=48)
    late = consent.review(dbs, member, room, ended(room, 49))
    assert not late.window_open and [i.body for i in late.messages] == ["Here"]


def test_sessions_to_review_during_the_window_only(
    dbs: Session, room: ChatSession, member: User, other: User, organiser: User, guest: User
) -> None:
    send(dbs, member, room, "Here")
    ask(dbs, other, room, "Only a question from Sam?")
    deleted = make_session(dbs, organiser, guest)  # a session whose only message was deleted
    deleted.starts_at -= timedelta(days=1)
    dbs.commit()
    gone = send(dbs, member, deleted, "Oops")["id"]
    messages.delete_message(dbs, member, deleted, gone, live(deleted, 6))
    rehearsal = make_session(dbs, organiser, guest)
    rehearsal.rehearsal_of_id = room.id
    dbs.commit()
    send(dbs, guest, rehearsal, "Practising")
    end = rooms.ends_at(room)

    def reviewing(user: User, when) -> list[tuple[int, str, object]]:
        return [
            (r.session_id, r.title, r.closes_at)
            for r in consent.sessions_to_review(dbs, user, when)
        ]

    assert reviewing(member, end - SECOND) == []
    assert reviewing(member, end) == [(room.id, "Endings", end + timedelta(hours=48))]
    assert reviewing(other, end + timedelta(hours=47)) == [
        (room.id, "Endings", end + timedelta(hours=48))
    ]
    assert reviewing(member, end + timedelta(hours=48)) == []
    assert reviewing(organiser, end) == []
    assert reviewing(guest, end) == []  # a rehearsal has no recap to review
    room.cancelled = True
    dbs.commit()
    assert reviewing(member, end) == []


def test_the_banner_query_is_one_statement_however_many_sessions(
    dbs: Session, engine, room: ChatSession, member: User, organiser: User, guest: User
) -> None:
    series = schedule.create_series(
        dbs, organiser, schedule.SeriesInput("#TraineeTalk", 1, "20:00", "UTC", 60, "", 72), START
    )
    for n in range(4):
        other_room = make_session(dbs, organiser, guest)
        other_room.series_id = series.id if n % 2 else None
        dbs.commit()
        send(dbs, member, other_room, "Hello")
    send(dbs, member, room, "Hello")
    dbs.expunge_all()  # nothing loaded already
    statements: list[str] = []

    def count(conn, cursor, statement: str, *args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        found = consent.sessions_to_review(dbs, member, ended(room))
        closing = sorted({r.closes_at - rooms.ends_at(room) for r in found})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(found) == 5 and closing == [timedelta(hours=48), timedelta(hours=72)]
    assert len(statements) == 1
