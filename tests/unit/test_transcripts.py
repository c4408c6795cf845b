"""Transcripts: who may download, what they hold, and the Markdown, JSON and CSV forms."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import jsonschema
import pytest
from sqlalchemy.orm import Session

from chat.errors import Forbidden
from chat.models import ChatSession, User
from chat.services import controls, messages, prompts, rooms, schedule, transcripts
from chat.services.transcripts import Author, Transcript
from tests.helpers import START, make_user

LOBBY = 15
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "transcript.schema.json").read_text()
)
QUESTION = "Q1: What stirs in you when a client goes quiet?"
TRICKY = 'Silence, "comfortable" or not,\nstill speaks.'
HOSTILE = "<script>alert(1)</script> & <b>bold</b>"
DELETED = "Sorry, wrong room!"


@pytest.fixture
def people(dbs: Session) -> dict[str, User]:
    cast = {
        "organiser": make_user(dbs, "org@example.org", "Olu Organiser", organiser=True),
        "facilitator": make_user(dbs, "maya@example.org", "Dr Maya Okafor"),
        "member": make_user(dbs, "tam@example.org", "Tam Trainee"),
        "other": make_user(dbs, "kit@example.org", "Kit Trainee"),
    }
    cast["facilitator"].pronouns = "she/her"
    cast["member"].pronouns = "they/them"
    dbs.commit()
    return cast


@pytest.fixture
def session(dbs: Session, people: dict[str, User]) -> ChatSession:
    """Tuesday 1 December 2026, 20:00 to 21:00 in New York (UTC-5 in winter)."""
    organiser = people["organiser"]
    series = schedule.create_series(
        dbs,
        organiser,
        schedule.SeriesInput("#TraineeTalk", 1, "20:00", "America/New_York", 60),
        START,
    )
    form = schedule.SessionInput(
        "Working with silence",
        datetime(2026, 12, 1, 20, 0),
        datetime(2026, 12, 1, 21, 0),
        "America/New_York",
        facilitator_emails=("maya@example.org",),
        series_id=series.id,
    )
    return schedule.create_session(dbs, organiser, form, START)


def at(session: ChatSession, minutes: int) -> datetime:
    return session.starts_at + timedelta(minutes=minutes)


def say(
    dbs: Session,
    user: User,
    session: ChatSession,
    body: str,
    minute: int,
    reply_to: int | None = None,
) -> int:
    sent, _ = messages.send_message(
        dbs, user, session, body, str(uuid4()), reply_to, at(session, minute), LOBBY
    )
    return int(sent["id"])


def react(dbs: Session, user: User, session: ChatSession, message_id: int, kind: str) -> None:
    messages.react(dbs, user, session, message_id, kind, True, at(session, 10), LOBBY)


@pytest.fixture
def chat(dbs: Session, people: dict[str, User], session: ChatSession) -> ChatSession:
    """Five messages; #3 is deleted after #4 replied to it."""
    maya, tam, kit, olu = (people[k] for k in ("facilitator", "member", "other", "organiser"))
    question = say(dbs, maya, session, QUESTION, 3)
    say(dbs, tam, session, TRICKY, 5, reply_to=question)
    stray = say(dbs, kit, session, DELETED, 6)
    say(dbs, olu, session, "Welcome, do stay!", 7, reply_to=stray)
    say(dbs, tam, session, HOSTILE, 8)
    for user, kind in [(tam, "heart"), (kit, "heart"), (tam, "same_here"), (olu, "thumbs_up")]:
        react(dbs, user, session, question, kind)
    react(dbs, kit, session, 2, "same_here")
    react(dbs, tam, session, stray, "heart")
    messages.delete_message(dbs, kit, session, stray, at(session, 9))
    return session


def after(session: ChatSession) -> datetime:
    return rooms.ends_at(session) + timedelta(minutes=1)


@pytest.fixture
def transcript(dbs: Session, people: dict[str, User], chat: ChatSession) -> Transcript:
    return transcripts.build(dbs, people["member"], chat, after(chat), LOBBY)


def entry(transcript: Transcript, message_id: int) -> transcripts.Entry:
    (found,) = [e for e in transcript.entries if e.id == message_id]
    return found


def test_deleted_messages_are_left_out_and_the_rest_keep_their_ids(
    transcript: Transcript,
) -> None:
    assert [e.id for e in transcript.entries] == [1, 2, 4, 5]
    assert all(DELETED not in e.body for e in transcript.entries)


def test_authors_carry_pronouns_and_the_role_they_had(transcript: Transcript) -> None:
    assert entry(transcript, 1).author == Author("Dr Maya Okafor", "she/her", "facilitator")
    assert entry(transcript, 2).author == Author("Tam Trainee", "they/them", "member")
    assert entry(transcript, 4).author == Author("Olu Organiser", "", "organiser")


def test_replies_quote_their_parent_unless_it_was_deleted(transcript: Transcript) -> None:
    assert (entry(transcript, 1).reply_to, entry(transcript, 1).reply_excerpt) == (None, None)
    assert (entry(transcript, 2).reply_to, entry(transcript, 2).reply_excerpt) == (1, QUESTION)
    assert (entry(transcript, 4).reply_to, entry(transcript, 4).reply_excerpt) == (3, None)


def test_a_long_reply_excerpt_is_cut_to_one_short_line(
    dbs: Session, people: dict[str, User], session: ChatSession
) -> None:
    long_body = "First line\n" + "word " * 60
    parent = say(dbs, people["member"], session, long_body, 1)
    say(dbs, people["other"], session, "Yes!", 2, reply_to=parent)
    built = transcripts.build(dbs, people["organiser"], session, at(session, 3), LOBBY)
    excerpt = entry(built, 2).reply_excerpt
    assert excerpt is not None
    assert transcripts.EXCERPT - len("word ") <= len(excerpt) <= transcripts.EXCERPT
    assert excerpt.startswith("First line word word") and excerpt.endswith(" word…")
    assert "\n" not in excerpt


def test_reactions_are_counted_per_kind_and_in_total(transcript: Transcript) -> None:
    question = entry(transcript, 1)
    assert question.reactions == {"heart": 2, "thumbs_up": 1, "same_here": 1}
    assert question.reactions_total == 4
    assert entry(transcript, 2).reactions == {"heart": 0, "thumbs_up": 0, "same_here": 1}
    assert entry(transcript, 5).reactions_total == 0


def test_times_are_in_the_session_zone(transcript: Transcript) -> None:
    question = entry(transcript, 1)
    assert question.created_at.isoformat() == "2026-12-01T20:03:00-05:00"
    assert question.time == "20:03"
    info = transcript.session
    assert info.starts_at.isoformat() == "2026-12-01T20:00:00-05:00"
    assert info.ends_at.isoformat() == "2026-12-01T21:00:00-05:00"
    assert info.when == "Tue 1 Dec 2026, 20:00 to 21:00 EST"
    assert transcript.generated_when == "Tue 1 Dec 2026, 21:01 EST"


def test_session_details(transcript: Transcript) -> None:
    info = transcript.session
    assert (info.title, info.series, info.time_zone) == (
        "Working with silence",
        "#TraineeTalk",
        "America/New_York",
    )
    assert info.facilitators == (transcripts.Person("Dr Maya Okafor", "she/her"),)
    assert info.state == "ended" and transcript.is_final


@pytest.mark.parametrize(
    ("who", "minutes_from_start", "allowed"),
    [
        ("organiser", -60, True),
        ("organiser", 30, True),
        ("organiser", 61, True),
        ("facilitator", -60, True),
        ("facilitator", 30, True),
        ("facilitator", 61, True),
        ("member", -60, False),
        ("member", -5, False),  # lobby
        ("member", 30, False),  # live
        ("member", 59, False),
        ("member", 60, True),  # the moment it ends
    ],
)
def test_who_may_download_when(
    dbs: Session,
    people: dict[str, User],
    session: ChatSession,
    who: str,
    minutes_from_start: int,
    allowed: bool,
) -> None:
    moment = at(session, minutes_from_start)
    if allowed:
        assert transcripts.build(dbs, people[who], session, moment, LOBBY).session.id == session.id
    else:
        with pytest.raises(Forbidden, match="once the session has ended"):
            transcripts.build(dbs, people[who], session, moment, LOBBY)


def test_members_may_download_as_soon_as_an_organiser_ends_the_session(
    dbs: Session, people: dict[str, User], session: ChatSession
) -> None:
    rooms.end_now(dbs, people["organiser"], session, at(session, 20), LOBBY)
    built = transcripts.build(dbs, people["member"], session, at(session, 21), LOBBY)
    assert built.session.ends_at.isoformat() == "2026-12-01T20:20:00-05:00"


def test_cancelled_sessions_are_for_staff_only(
    dbs: Session, people: dict[str, User], session: ChatSession
) -> None:
    session.cancelled = True
    dbs.commit()
    with pytest.raises(Forbidden, match="cancelled"):
        transcripts.build(dbs, people["member"], session, after(session), LOBBY)
    built = transcripts.build(dbs, people["facilitator"], session, after(session), LOBBY)
    assert built.session.state == "cancelled" and built.is_final


def test_markdown_has_the_details_and_every_message_in_order(transcript: Transcript) -> None:
    text = transcripts.to_markdown(transcript)
    assert text.startswith("# Transcript: Working with silence\n\n- Series: #TraineeTalk\n")
    assert "- Facilitators: Dr Maya Okafor (she/her)\n" in text
    assert "- When: Tue 1 Dec 2026, 20:00 to 21:00 EST (America/New_York)\n" in text
    assert "- Messages: 4\n" in text
    assert "later messages are not included" not in text
    headings = [line for line in text.splitlines() if line.startswith("**#")]
    assert headings == [
        "**#1 · 20:03 · Dr Maya Okafor (she/her)** · facilitator",
        "**#2 · 20:05 · Tam Trainee (they/them)** · member",
        "**#4 · 20:07 · Olu Organiser** · organiser",
        "**#5 · 20:08 · Tam Trainee (they/them)** · member",
    ]
    assert "Reactions: heart 2 · thumbs up 1 · same here 1 (4 in all)" in text
    assert f"*In reply to #1: “{QUESTION}”*" in text
    assert "*In reply to #3: a deleted message*" in text
    assert "wrong room" not in text


def test_markdown_keeps_line_breaks_and_never_passes_html_through(
    transcript: Transcript,
) -> None:
    text = transcripts.to_markdown(transcript)
    assert '> Silence, "comfortable" or not,\\\n> still speaks.\n' in text
    assert r"> \<script\>alert(1)\</script\> \& \<b\>bold\</b\>" in text
    assert "<script>" not in text and "<b>" not in text


def test_markdown_says_when_it_was_taken_before_the_end(
    dbs: Session, people: dict[str, User], chat: ChatSession
) -> None:
    built = transcripts.build(dbs, people["facilitator"], chat, at(chat, 30), LOBBY)
    text = transcripts.to_markdown(built)
    assert (
        "- Downloaded: Tue 1 Dec 2026, 20:30 EST, while the session was live: "
        "later messages are not included\n"
    ) in text


def validate(document: Any) -> None:
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(document)


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_json_validates_against_the_schema_and_keeps_every_field(
    transcript: Transcript,
) -> None:
    document = json.loads(json.dumps(transcripts.to_json(transcript)))
    validate(document)
    assert document["session"] == {
        "id": transcript.session.id,
        "title": "Working with silence",
        "series": "#TraineeTalk",
        "facilitators": [{"name": "Dr Maya Okafor", "pronouns": "she/her"}],
        "time_zone": "America/New_York",
        "starts_at": "2026-12-01T20:00:00-05:00",
        "ends_at": "2026-12-01T21:00:00-05:00",
        "state": "ended",
    }
    assert document["generated_at"] == "2026-12-01T21:01:00-05:00"
    assert document["messages"][1] == {
        "id": 2,
        "created_at": "2026-12-01T20:05:00-05:00",
        "time": "20:05",
        "author": {"name": "Tam Trainee", "pronouns": "they/them", "role": "member"},
        "kind": "message",
        "prompt_number": None,
        "body": TRICKY,
        "reply_to": 1,
        "reply_excerpt": QUESTION,
        "reactions": {"heart": 0, "thumbs_up": 0, "same_here": 1},
        "reactions_total": 1,
    }
    assert [m["id"] for m in document["messages"]] == [1, 2, 4, 5]


def test_an_empty_transcript_is_valid_in_every_format(
    dbs: Session, people: dict[str, User], session: ChatSession
) -> None:
    built = transcripts.build(dbs, people["organiser"], session, START, LOBBY)
    validate(transcripts.to_json(built))
    assert "*No messages.*" in transcripts.to_markdown(built)
    assert transcripts.to_csv(built) == ",".join(transcripts.CSV_COLUMNS) + "\r\n"


def _without_reactions_total(doc: dict[str, Any]) -> None:
    del doc["messages"][0]["reactions_total"]


def _with_unknown_field(doc: dict[str, Any]) -> None:
    doc["messages"][0]["email"] = "tam@example.org"


def _with_naive_time(doc: dict[str, Any]) -> None:
    doc["messages"][0]["created_at"] = "2026-12-01T20:03:00"


def _with_unknown_role(doc: dict[str, Any]) -> None:
    doc["messages"][0]["author"]["role"] = "admin"


def _with_unknown_reaction(doc: dict[str, Any]) -> None:
    doc["messages"][0]["reactions"]["laugh"] = 1


def _with_negative_count(doc: dict[str, Any]) -> None:
    doc["messages"][0]["reactions"]["heart"] = -1


def _with_loose_time(doc: dict[str, Any]) -> None:
    doc["messages"][0]["time"] = "8:3"


@pytest.mark.parametrize(
    "spoil",
    [
        _without_reactions_total,
        _with_unknown_field,
        _with_naive_time,
        _with_unknown_role,
        _with_unknown_reaction,
        _with_negative_count,
        _with_loose_time,
    ],
)
def test_the_schema_rejects_documents_that_break_the_format(
    transcript: Transcript, spoil: Any
) -> None:
    document = transcripts.to_json(transcript)
    spoil(document)
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_opens_with_the_csv_module_and_round_trips_awkward_bodies(
    transcript: Transcript,
) -> None:
    text = transcripts.to_csv(transcript)
    rows = read_csv(text)
    assert list(rows[0]) == list(transcripts.CSV_COLUMNS)
    assert [row["id"] for row in rows] == ["1", "2", "4", "5"]
    assert rows[1]["body"] == TRICKY
    assert rows[3]["body"] == HOSTILE
    assert rows[0] | {"body": ""} == {
        "id": "1",
        "created_at": "2026-12-01T20:03:00-05:00",
        "time": "20:03",
        "author": "Dr Maya Okafor",
        "pronouns": "she/her",
        "role": "facilitator",
        "kind": "message",
        "prompt_number": "",
        "label": "",
        "body": "",
        "reply_to": "",
        "reply_excerpt": "",
        "heart": "2",
        "thumbs_up": "1",
        "same_here": "1",
        "reactions_total": "4",
    }
    assert (rows[1]["reply_to"], rows[1]["reply_excerpt"]) == ("1", QUESTION)
    assert (rows[2]["reply_to"], rows[2]["reply_excerpt"]) == ("3", "")


def test_prompts_answers_and_announcements_are_labelled_in_every_format(
    dbs: Session, people: dict[str, User], session: ChatSession
) -> None:
    maya, tam = people["facilitator"], people["member"]
    prompts.add_prompts(dbs, maya, session, ["What does silence ask of us?"], 10, START)
    prompts.post_prompt(dbs, maya, session, None, at(session, 2), LOBBY)
    say(dbs, tam, session, "Patience.", 3)
    messages.send_message(
        dbs, tam, session, "Off topic", str(uuid4()), None, at(session, 4), LOBBY, answer_to=None
    )
    controls.announce(dbs, maya, session, "Ten minutes left", str(uuid4()), at(session, 50), LOBBY)
    transcript = transcripts.build(dbs, tam, session, after(session), LOBBY)
    assert [e.label for e in transcript.entries] == ["Q1", "A1", "", "Announcement"]
    markdown = transcripts.to_markdown(transcript)
    assert "### Q1\n" in markdown and "· member · A1**" not in markdown
    assert "** · member · A1" in markdown and "· Announcement" in markdown
    document = transcripts.to_json(transcript)
    validate(document)
    assert [(m["kind"], m["prompt_number"]) for m in document["messages"]] == [
        ("prompt", 1),
        ("message", 1),
        ("message", None),
        ("announcement", None),
    ]
    rows = read_csv(transcripts.to_csv(transcript))
    assert [(r["kind"], r["prompt_number"], r["label"]) for r in rows] == [
        ("prompt", "1", "Q1"),
        ("message", "1", "A1"),
        ("message", "", ""),
        ("announcement", "", "Announcement"),
    ]
