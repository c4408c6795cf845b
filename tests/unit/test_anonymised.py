"""Anonymised transcripts: pseudonyms by first appearance, names in text replaced,
withdrawn messages and questions absent, organisers only and only after the end."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden
from chat.models import ChatSession, Message, Question, User, Visit
from chat.services import anonymised, messages, questions, transcripts
from tests.helpers import make_user
from tests.unit.builders import LOBBY, live, send

REAL_NAMES = ("Dr Guest", "Guest", "Olu", "Tam", "Kit Lee", "Kit", "Sam Jones", "Sam", "Ren", "Vic")


def ask(dbs: Session, user: User, room: ChatSession, body: str, anonymous: bool = False) -> int:
    asked, _ = questions.ask(
        dbs, user, room, body, anonymous, str(uuid.uuid4()), live(room, 30), LOBBY
    )
    return int(asked["id"])


def withdraw(dbs: Session, model: type[Message] | type[Question], **where: int) -> None:
    row = dbs.scalars(select(model).filter_by(**where)).one()
    row.consent = "withdraw"
    dbs.commit()


@pytest.fixture
def chat(
    dbs: Session, room: ChatSession, organiser: User, guest: User, member: User
) -> ChatSession:
    """A conversation that names people in its text, with withdrawn and anonymous parts."""
    guest.pronouns = "she/her"
    kit = make_user(dbs, "kit@example.org", "Kit Lee")
    sam = make_user(dbs, "sam@example.org", "Sam Jones")
    ren = make_user(dbs, "ren@example.org", "Ren")  # only reacts
    vic = make_user(dbs, "vic@example.org", "Vic")  # only present
    dbs.add(Visit(session_id=room.id, user_id=vic.id, sid="s1", joined_at=live(room, 0)))
    dbs.commit()
    welcome = send(dbs, guest, room, "Welcome! I'm Dr Guest, thanks Olu for hosting.")
    hello = send(dbs, member, room, "Hi @Kit Lee and SAM JONES, is Vic here?")
    secret = send(dbs, kit, room, "My full name is Kit Lee and I train in Leeds.")
    send(dbs, kit, room, "Thanks tam, and thanks Guest", reply_to=hello["id"])
    send(dbs, sam, room, "Agreed with Kit", reply_to=secret["id"])
    send(dbs, organiser, room, "Ren, Olu here: five minutes left.")
    messages.react(dbs, ren, room, welcome["id"], "heart", True, live(room, 20), LOBBY)
    withdraw(dbs, Message, session_id=room.id, seq=secret["id"])
    ask(dbs, member, room, "Could Kit say more about Leeds?")
    ask(dbs, sam, room, "Tam, how do you end with a client?", anonymous=True)
    gone = ask(dbs, kit, room, "Kit Lee's withdrawn question")
    withdraw(dbs, Question, id=gone)
    return room


def export(dbs: Session, room: ChatSession, actor: User, minutes: int = 90):
    return anonymised.build(dbs, actor, room, live(room, minutes), LOBBY)


def by_id(transcript: transcripts.Transcript) -> dict[int, transcripts.Entry]:
    return {entry.id: entry for entry in transcript.entries}


def test_authors_become_roles_and_participants_numbered_by_first_appearance(
    dbs: Session, chat: ChatSession, organiser: User
) -> None:
    entries = by_id(export(dbs, chat, organiser))
    authors = {seq: (e.author.name, e.author.pronouns) for seq, e in entries.items()}
    assert authors == {
        1: ("Facilitator", ""),
        2: ("Participant 1", ""),  # Tam, who then names Kit, Sam and Vic
        4: ("Participant 2", ""),
        5: ("Participant 3", ""),
        6: ("Organiser", ""),
    }


def test_names_typed_in_text_are_replaced_by_the_same_pseudonyms(
    dbs: Session, chat: ChatSession, organiser: User
) -> None:
    entries = by_id(export(dbs, chat, organiser))
    assert entries[1].body == "Welcome! I'm Facilitator, thanks Organiser for hosting."
    assert entries[2].body == "Hi @Participant 2 and Participant 3, is Participant 4 here?"
    assert entries[4].body == "Thanks Participant 1, and thanks Facilitator"
    assert entries[5].body == "Agreed with Participant 2"
    assert entries[6].body == "Participant 5, Organiser here: five minutes left."
    # The excerpt quotes the renamed message, never the original.
    assert entries[4].reply_excerpt == entries[2].body


def test_withdrawn_messages_and_questions_are_absent_and_replies_do_not_quote_them(
    dbs: Session, chat: ChatSession, organiser: User
) -> None:
    transcript = export(dbs, chat, organiser)
    entries = by_id(transcript)
    assert 3 not in entries
    assert entries[5].reply_to == 3 and entries[5].reply_excerpt is None
    assert [q.body for q in transcript.questions] == [
        "Could Participant 2 say more about Leeds?",
        "Participant 1, how do you end with a client?",
    ]
    assert [q.asked_by for q in transcript.questions] == ["Participant 1", "Anonymous"]
    rendered = transcripts.to_csv(transcript) + anonymised.to_markdown(transcript)
    assert "Kit Lee" not in rendered and "full name" not in rendered


def test_no_real_name_or_pronoun_survives_in_any_format(
    dbs: Session, chat: ChatSession, organiser: User
) -> None:
    transcript = export(dbs, chat, organiser)
    rendered = [
        anonymised.to_markdown(transcript),
        json.dumps(transcripts.to_json(transcript)),
        transcripts.to_csv(transcript),
    ]
    for text in rendered:
        for name in REAL_NAMES:
            assert not re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE), name
        assert "she/her" not in text and "they/them" not in text
    assert "*Anonymised for research and training" in rendered[0]
    assert transcript.session.facilitators == (transcripts.Person("Facilitator", ""),)


def test_the_same_transcript_gets_the_same_pseudonyms_every_time(
    dbs: Session, chat: ChatSession, organiser: User
) -> None:
    first = transcripts.to_json(export(dbs, chat, organiser))
    second = transcripts.to_json(export(dbs, chat, organiser))
    assert first == second


def test_a_deleted_message_stays_out_as_in_the_ordinary_transcript(
    dbs: Session, chat: ChatSession, organiser: User, member: User
) -> None:
    extra = send(dbs, member, chat, "Oops, wrong room", now=live(chat, 40))
    messages.delete_message(dbs, member, chat, extra["id"], live(chat, 41))
    assert extra["id"] not in by_id(export(dbs, chat, organiser))


@pytest.mark.parametrize("who", ["guest", "member"])
def test_only_organisers_may_export(
    dbs: Session, chat: ChatSession, request: pytest.FixtureRequest, who: str
) -> None:
    with pytest.raises(Forbidden):
        export(dbs, chat, request.getfixturevalue(who))


@pytest.mark.parametrize("minutes", [-60, 5, 59])
def test_not_before_the_session_has_ended(
    dbs: Session, chat: ChatSession, organiser: User, minutes: int
) -> None:
    with pytest.raises(ChatError) as caught:
        export(dbs, chat, organiser, minutes)
    assert caught.value.code == "conflict"
    assert export(dbs, chat, organiser, 60).session.state == "ended"


def test_a_session_ended_early_may_be_exported_at_once(
    dbs: Session, chat: ChatSession, organiser: User
) -> None:
    chat.ended_at = live(chat, 45)
    dbs.commit()
    assert export(dbs, chat, organiser, 46).entries


PEOPLE = {1: ("Tam Trainee", ""), 2: ("Will Smith", ""), 3: ("Kit Lee", ""), 4: ("Kit Brown", "")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tam trainee said so", "Participant 1 said so"),
        ("Tam said so", "Participant 1 said so"),
        ("tam said so", "tam said so"),  # a part of a name only with its capitals
        ("I will ask Will", "I will ask Participant 1"),
        ("Kit Lee and Kit Brown", "Participant 1 and Participant 2"),
        ("Kit said", "[name removed] said"),  # two people called Kit
        ("Tamsin and Tam.", "Tamsin and Participant 1."),  # whole words only
        ("@Tam_Trainee", "@Tam_Trainee"),
    ],
)
def test_scrubbing_rules(text: str, expected: str) -> None:
    assert anonymised.Pseudonyms(PEOPLE).scrub(text) == expected


def test_deleted_accounts_are_not_searched_for(
    dbs: Session, chat: ChatSession, organiser: User, member: User
) -> None:
    member.display_name = "Former member"
    member.deleted_at = live(chat, 80)
    dbs.commit()
    send(dbs, organiser, chat, "A former member of staff", now=live(chat, 50))
    last = export(dbs, chat, organiser).entries[-1]
    assert last.body == "A former member of staff"


def test_a_participant_only_mentioned_in_a_later_session_is_numbered_afresh(
    dbs: Session, chat: ChatSession, organiser: User, member: User
) -> None:
    """Pseudonyms belong to one transcript: they never link people across sessions."""
    other = ChatSession(
        title="Another",
        starts_at=chat.starts_at + timedelta(days=7),
        duration_minutes=60,
        time_zone=chat.time_zone,
        created_at=chat.created_at,
    )
    dbs.add(other)
    dbs.commit()
    kit = dbs.scalars(select(User).filter_by(display_name="Kit Lee")).one()
    send(dbs, kit, other, "Hello again", now=other.starts_at + timedelta(minutes=5))
    entries = export(dbs, other, organiser, 7 * 24 * 60 + 90).entries
    assert entries[0].author.name == "Participant 1"


def test_a_question_made_from_a_withdrawn_message_is_left_out_too(
    dbs: Session, chat: ChatSession, organiser: User, guest: User
) -> None:
    made, _ = questions.from_message(dbs, guest, chat, 3, live(chat, 35))
    transcript = export(dbs, chat, organiser)
    assert made["id"] not in {q.id for q in transcript.questions}
    assert len(transcript.questions) == 2
