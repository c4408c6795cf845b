"""A member's data export: every category of what they did, nothing secret, nothing of
anyone else's, and never the reports filed against them."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from chat.models import ApiToken, Certificate, ChatSession, User, Visit
from chat.services import accounts, conduct, messages, moderation, mydata, questions, reports
from tests.helpers import make_user
from tests.unit.builders import LOBBY, live, send

OTHERS_WORDS = "Kit's private reflection"


@pytest.fixture
def kit(dbs: Session) -> User:
    return make_user(dbs, "kit@example.org", "Kit")


@pytest.fixture
def data(
    dbs: Session, room: ChatSession, organiser: User, guest: User, member: User, kit: User
) -> dict[str, Any]:
    """Tam's export after an hour in which Tam did one of everything and Kit reported Tam."""
    member.bio = "Second-year trainee"
    version = conduct.publish_starter(dbs, organiser, live(room, -60))
    conduct.accept(dbs, member, version.id, live(room, -30))
    accounts.issue_api_token(dbs, member, live(room, -20))
    mine = send(dbs, member, room, "Endings stir up my own losses")
    kits = send(dbs, kit, room, OTHERS_WORDS)
    send(dbs, member, room, "Thanks Kit", reply_to=kits["id"], now=live(room, 6))
    asked, _ = questions.ask(
        dbs, member, room, "How do you end well?", True, str(uuid.uuid4()), live(room, 10), LOBBY
    )
    kits_question, _ = questions.ask(
        dbs, kit, room, "Kit's question", False, str(uuid.uuid4()), live(room, 10), LOBBY
    )
    questions.vote(dbs, member, room, kits_question["id"], True, live(room, 11), LOBBY)
    questions.vote(dbs, kit, room, asked["id"], True, live(room, 11), LOBBY)
    messages.react(dbs, member, room, kits["id"], "heart", True, live(room, 12), LOBBY)
    reports.file_report(
        dbs,
        member,
        room,
        message_id=kits["id"],
        reason="spam",
        note="Looks off",
        now=live(room, 13),
    )
    reports.file_report(
        dbs,
        kit,
        room,
        message_id=mine["id"],
        reason="harassment",
        note="KIT-NOTE",
        now=live(room, 14),
    )
    moderation.mute(dbs, guest, room, member.id, 10, "Cool off", live(room, 15))
    dbs.add_all(
        [
            Visit(session_id=room.id, user_id=member.id, sid="a", joined_at=live(room, 0),
                  left_at=live(room, 40)),
            Visit(session_id=room.id, user_id=member.id, sid="b", joined_at=live(room, 30),
                  left_at=live(room, 50)),
            Visit(session_id=room.id, user_id=kit.id, sid="c", joined_at=live(room, 0)),
            Certificate(code="ABCD-1234", session_id=room.id, user_id=member.id, name="Tam",
                        session_title=room.title, facilitators="Dr Guest",
                        session_date="Tue 1 Dec 2026", minutes_attended=50,
                        issued_at=live(room, 70)),
        ]
    )  # fmt: skip
    dbs.commit()
    return mydata.export(dbs, member, live(room, 90))


def test_the_profile_has_every_field_but_the_password_hash(
    data: dict[str, Any], member: User
) -> None:
    profile = data["profile"]
    assert "password_hash" not in profile
    assert profile["email"] == "tam@example.org"
    assert profile["display_name"] == "Tam"
    assert profile["pronouns"] == "they/them"
    assert profile["bio"] == "Second-year trainee"
    assert profile["deleted_at"] is None
    expected = {c.key for c in User.__table__.columns} - {"password_hash"}
    assert set(profile) == expected


def test_messages_questions_votes_and_reactions_are_the_members_own(
    data: dict[str, Any], room: ChatSession
) -> None:
    assert [(m["id"], m["body"], m["consent"]) for m in data["messages"]] == [
        (1, "Endings stir up my own losses", "keep"),
        (3, "Thanks Kit", "keep"),
    ]
    assert data["messages"][1]["reply_to"] == 2
    assert data["messages"][0]["session"] == {"id": room.id, "title": "Endings"}
    assert data["messages"][0]["edited"] is False and data["messages"][0]["deleted"] is False
    [question] = data["questions"]
    assert question["body"] == "How do you end well?"
    assert question["anonymous"] is True and question["status"] == "open"
    assert question["consent"] == "keep"
    assert [v["question_id"] for v in data["votes"]] == [question["id"] + 1]
    assert data["votes"][0]["session"]["id"] == room.id
    assert [(r["message_id"], r["kind"]) for r in data["reactions"]] == [(2, "heart")]


def test_reports_made_are_included_but_never_reports_against_the_member(
    data: dict[str, Any],
) -> None:
    assert [(r["reason"], r["note"], r["status"]) for r in data["reports_made"]] == [
        ("spam", "Looks off", "open")
    ]
    assert data["reports_made"][0]["message_id"] == 2
    text = json.dumps(data)
    assert "KIT-NOTE" not in text and "harassment" not in text


def test_nothing_of_anyone_else_is_included(data: dict[str, Any], kit: User) -> None:
    text = json.dumps(data)
    assert OTHERS_WORDS not in text
    assert "Kit's question" not in text
    assert "kit@example.org" not in text
    assert "Cool off" in text  # the mute they were told about, without who muted them
    assert "Dr Guest" not in json.dumps(data["sanctions"])


def test_attendance_counts_overlapping_tabs_once(data: dict[str, Any], room: ChatSession) -> None:
    [attended] = data["attendance"]
    assert attended["session"]["id"] == room.id
    assert attended["minutes"] == 50  # 0 to 40 and 30 to 50
    assert len(attended["visits"]) == 2


def test_certificates_acceptances_and_tokens_without_their_hashes(
    dbs: Session, data: dict[str, Any], member: User
) -> None:
    assert [c["code"] for c in data["certificates"]] == ["ABCD-1234"]
    assert [a["version"] for a in data["agreement_acceptances"]] == [1]
    assert data["api_tokens"]["count"] == 1
    assert len(data["api_tokens"]["created_at"]) == 1
    token_hash = dbs.query(ApiToken).one().token_hash
    assert token_hash not in json.dumps(data)
    assert member.password_hash not in json.dumps(data)


def test_an_open_visit_counts_until_now(dbs: Session, room: ChatSession, member: User) -> None:
    dbs.add(Visit(session_id=room.id, user_id=member.id, sid="x", joined_at=live(room, 0)))
    dbs.commit()
    data = mydata.export(dbs, member, live(room, 0) + timedelta(minutes=12, seconds=59))
    assert data["attendance"][0]["minutes"] == 12
    assert data["attendance"][0]["visits"][0]["left_at"] is None


def test_a_new_member_gets_empty_lists(dbs: Session, member: User) -> None:
    data = mydata.export(dbs, member, member.created_at)
    assert data["generated_at"] == member.created_at.isoformat(timespec="seconds")
    for key in ("messages", "questions", "votes", "reports_made", "attendance", "certificates"):
        assert data[key] == [], key
    assert data["api_tokens"] == {"count": 0, "created_at": []}
