"""Account deletion: what goes, what stays, and who may not delete."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import Forbidden, RateLimited, ValidationError
from chat.models import AuditEntry, Certificate, ChatSession, Message, Question, User
from chat.services import (
    accounts,
    deletion,
    limits,
    messages,
    moderation,
    questions,
    schedule,
    transcripts,
)
from tests.helpers import PASSWORD, make_user
from tests.unit.builders import LOBBY, live, send


@pytest.fixture
def kit(dbs: Session) -> User:
    return make_user(dbs, "kit@example.org", "Kit")


@pytest.fixture
def before(dbs: Session, room: ChatSession, guest: User, member: User, kit: User) -> dict[str, Any]:
    """Tam wrote, asked, voted and reacted; a guest moderated Tam; Tam holds a token."""
    member.bio, member.trains_at, member.modality = "Trainee", "Metanoia", "Integrative"
    member.training_stage, member.interests, member.time_zone = "Certificate", "grief", "UTC"
    dbs.commit()
    token = accounts.issue_api_token(dbs, member, live(room, -10))
    mine = send(dbs, member, room, "My reflection on endings")
    kits = send(dbs, kit, room, "Kit's message")
    send(dbs, member, room, "Replying to Kit", reply_to=kits["id"], now=live(room, 6))
    asked, _ = questions.ask(
        dbs, member, room, "How do you end?", False, str(uuid.uuid4()), live(room, 8), LOBBY
    )
    kits_question, _ = questions.ask(
        dbs, kit, room, "Kit asks", False, str(uuid.uuid4()), live(room, 8), LOBBY
    )
    questions.vote(dbs, member, room, kits_question["id"], True, live(room, 9), LOBBY)
    messages.react(dbs, member, room, kits["id"], "heart", True, live(room, 9), LOBBY)
    moderation.mute(dbs, guest, room, member.id, 10, "Breathe", live(room, 10))
    dbs.add(
        Certificate(
            code="CERT-1", session_id=room.id, user_id=member.id, name="Tam",
            session_title="Endings", facilitators="Dr Guest", session_date="1 Dec 2026",
            minutes_attended=60, issued_at=live(room, 70),
        )
    )  # fmt: skip
    dbs.commit()
    return {"token": token, "mine": mine["id"], "kits": kits["id"], "asked": asked["id"],
            "kits_question": kits_question["id"]}  # fmt: skip


def delete(dbs: Session, user: User, room: ChatSession, password: str = PASSWORD, **kw) -> None:
    deletion.delete_account(dbs, user, password, live(room, 90), **kw)


def test_the_profile_is_scrubbed_and_the_account_marked_deleted(
    dbs: Session, room: ChatSession, member: User, before: dict[str, Any]
) -> None:
    delete(dbs, member, room)
    dbs.expire_all()
    gone = dbs.get(User, member.id)
    assert gone is not None
    assert gone.deleted_at == live(room, 90)
    assert gone.display_name == "Former member"
    for field in ("pronouns", "trains_at", "modality", "training_stage", "interests", "bio"):
        assert getattr(gone, field) == "", field
    assert gone.time_zone == ""
    assert gone.email == f"deleted-{member.id}@invalid"


def test_the_email_is_free_to_register_again(
    dbs: Session, room: ChatSession, member: User, before: dict[str, Any]
) -> None:
    delete(dbs, member, room)
    again = make_user(dbs, "tam@example.org", "Tam again")
    assert again.id != member.id


@pytest.mark.parametrize("email", ["tam@example.org", "deleted-{id}@invalid"])
def test_nobody_can_sign_in_as_the_deleted_member(
    dbs: Session, room: ChatSession, member: User, before: dict[str, Any], email: str
) -> None:
    delete(dbs, member, room)
    with pytest.raises(ValidationError) as refused:
        accounts.authenticate(dbs, email.format(id=member.id), PASSWORD)
    assert refused.value.fields == {"password": "That email and password do not match."}


def test_api_tokens_stop_working(
    dbs: Session, room: ChatSession, member: User, before: dict[str, Any]
) -> None:
    assert accounts.user_for_token(dbs, before["token"]) is not None
    delete(dbs, member, room)
    assert accounts.user_for_token(dbs, before["token"]) is None


def test_messages_and_questions_are_withdrawn_but_others_are_untouched(
    dbs: Session, room: ChatSession, member: User, before: dict[str, Any]
) -> None:
    delete(dbs, member, room)
    consent = dict(dbs.execute(select(Message.seq, Message.consent)).all())
    assert consent == {before["mine"]: "withdraw", before["kits"]: "keep", 3: "withdraw"}
    asked = dict(dbs.execute(select(Question.id, Question.consent)).all())
    assert asked == {before["asked"]: "withdraw", before["kits_question"]: "keep"}


def test_votes_and_reactions_stay_counted(
    dbs: Session, room: ChatSession, member: User, before: dict[str, Any]
) -> None:
    delete(dbs, member, room)
    assert questions.vote_counts(dbs, [before["kits_question"]]) == {before["kits_question"]: 1}
    counts = messages.reaction_counts(dbs, room)
    assert counts[before["kits"]]["heart"] == 1


def test_the_live_history_and_transcript_show_former_member_without_pronouns(
    dbs: Session, room: ChatSession, organiser: User, member: User, before: dict[str, Any]
) -> None:
    assert member.pronouns == "they/them"
    delete(dbs, member, room)
    history = {m["id"]: m for m in messages.recent(dbs, room)["messages"]}
    mine = history[before["mine"]]
    assert mine["author"]["name"] == "Former member"
    assert mine["author"]["pronouns"] == ""
    assert mine["body"] == "My reflection on endings"  # the live room keeps the conversation
    assert history[before["kits"]]["author"]["name"] == "Kit"
    transcript = transcripts.build(dbs, organiser, room, live(room, 91), LOBBY)
    names = {e.id: (e.author.name, e.author.pronouns) for e in transcript.entries}
    assert names[before["mine"]] == ("Former member", "")
    assert "Tam" not in transcripts.to_markdown(transcript)


def test_audit_entries_and_certificates_keep_the_names_they_copied(
    dbs: Session, room: ChatSession, member: User, before: dict[str, Any]
) -> None:
    delete(dbs, member, room)
    entry = dbs.scalars(select(AuditEntry).where(AuditEntry.action == "mute")).one()
    assert (entry.subject_id, entry.subject_name) == (member.id, "Tam")
    assert dbs.scalars(select(Certificate)).one().name == "Tam"


def test_facilitating_future_sessions_ends_but_past_ones_keep_their_facilitator(
    dbs: Session, room: ChatSession, organiser: User, guest: User
) -> None:
    later = schedule.create_session(
        dbs,
        organiser,
        schedule.SessionInput(
            "Beginnings",
            room.starts_at.replace(tzinfo=None) + timedelta(days=7),
            room.starts_at.replace(tzinfo=None) + timedelta(days=7, hours=1),
            "UTC",
            facilitator_emails=(guest.email,),
        ),
        live(room, -1000),
    )
    delete(dbs, guest, room)
    dbs.expire_all()
    assert [f.id for f in dbs.get(ChatSession, room.id).facilitators] == [guest.id]
    assert dbs.get(ChatSession, later.id).facilitators == []


def test_a_wrong_password_changes_nothing(
    dbs: Session, room: ChatSession, member: User, before: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as refused:
        delete(dbs, member, room, "not my password")
    assert refused.value.fields == {"password": "That password is not right."}
    dbs.rollback()
    dbs.expire_all()
    assert dbs.get(User, member.id).deleted_at is None
    assert accounts.user_for_token(dbs, before["token"]) is not None


def test_wrong_passwords_use_up_the_sign_in_allowance(
    dbs: Session, room: ChatSession, member: User
) -> None:
    rules = {
        limits.SIGN_IN_ACCOUNT: limits.Rule(2, 600, 2),
        limits.SIGN_IN_ADDRESS: limits.Rule(10, 600, 10),
    }
    limiter = limits.Limiter(limits.MemoryStore(), rules)
    for _ in range(2):
        with pytest.raises(ValidationError):
            delete(dbs, member, room, "guess", limiter=limiter, address="10.0.0.1")
    with pytest.raises(RateLimited):
        delete(dbs, member, room, limiter=limiter, address="10.0.0.1")
    assert member.deleted_at is None


def test_the_last_organiser_may_not_delete_their_account(
    dbs: Session, room: ChatSession, organiser: User
) -> None:
    with pytest.raises(Forbidden, match="only organiser"):
        delete(dbs, organiser, room)
    dbs.rollback()
    assert dbs.get(User, organiser.id).deleted_at is None


def test_an_organiser_with_a_colleague_may_and_stops_being_one(
    dbs: Session, room: ChatSession, organiser: User
) -> None:
    make_user(dbs, "second@example.org", "Second", organiser=True)
    delete(dbs, organiser, room)
    assert organiser.deleted_at is not None and not organiser.is_organiser
    assert not accounts.needs_first_organiser(dbs)


def test_an_organiser_whose_only_colleague_was_deleted_is_the_last(
    dbs: Session, room: ChatSession, organiser: User
) -> None:
    second = make_user(dbs, "second@example.org", "Second", organiser=True)
    delete(dbs, second, room)
    with pytest.raises(Forbidden):
        delete(dbs, organiser, room)


def test_a_deleted_account_cannot_be_deleted_again(
    dbs: Session, room: ChatSession, member: User
) -> None:
    delete(dbs, member, room)
    with pytest.raises(Forbidden):
        delete(dbs, member, room)
