"""Introductions: the draft from a profile, the offer once per room, posting and skipping."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import ChatError
from chat.models import ChatSession, IntroductionChoice, Message, User
from chat.services import (
    blocks,
    controls,
    deletion,
    introductions,
    messages,
    moderation,
    mydata,
    recaps,
    rooms,
    transcripts,
)
from tests.helpers import PASSWORD, make_session, make_user
from tests.unit.builders import LOBBY, live, send

FULL = "Hi, I'm Sam (they/them), a second-year trainee in person-centred counselling at Metanoia, based in Leeds. Interested in grief and LGBTQ+ affirmative practice."  # noqa: E501


def profile(dbs: Session, user: User, **fields: str) -> User:
    for name, value in fields.items():
        setattr(user, name, value)
    dbs.commit()
    return user


@pytest.fixture
def sam(dbs: Session) -> User:
    return profile(
        dbs,
        make_user(dbs, "sam@example.org", "Sam"),
        pronouns="they/them",
        training_stage="Diploma or degree, year 2",
        modality="person-centred counselling",
        trains_at="Metanoia",
        region="Leeds",
        interests="grief, LGBTQ+ affirmative practice",
    )


def introduce(dbs: Session, user: User, room: ChatSession, body: str = "Hi all", **kw):
    return introductions.introduce(
        dbs, user, room, body, kw.pop("client_id", str(uuid.uuid4())), kw.pop("now", live(room)),
        LOBBY,
    )  # fmt: skip


def choices(dbs: Session) -> list[tuple[int, int, str]]:
    rows = dbs.scalars(select(IntroductionChoice).order_by(IntroductionChoice.user_id))
    return [(c.session_id, c.user_id, c.choice) for c in rows]


def test_the_draft_reads_the_whole_profile(sam: User) -> None:
    assert introductions.draft(sam) == FULL


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "Hi, I'm Kit."),
        ({"pronouns": "she/her"}, "Hi, I'm Kit (she/her)."),
        ({"training_stage": "Qualified"}, "Hi, I'm Kit, a qualified therapist."),
        ({"modality": "CBT"}, "Hi, I'm Kit, working in CBT."),
        ({"trains_at": "Regent's"}, "Hi, I'm Kit, training or practising at Regent's."),
        ({"region": "Ontario"}, "Hi, I'm Kit, based in Ontario."),
        ({"interests": "endings"}, "Hi, I'm Kit. Interested in endings."),
        ({"interests": "a, b, c"}, "Hi, I'm Kit. Interested in a, b and c."),
        ({"interests": " , "}, "Hi, I'm Kit."),
        (
            {"training_stage": "Certificate", "trains_at": "CPPD"},
            "Hi, I'm Kit, a certificate-level trainee at CPPD.",
        ),
    ],
)
def test_the_draft_leaves_out_what_is_empty(dbs: Session, fields: dict, expected: str) -> None:
    kit = profile(dbs, make_user(dbs, "kit@example.org", "Kit"), **fields)
    assert introductions.draft(kit) == expected


def test_the_offer_is_made_once_per_room(dbs: Session, sam: User, room: ChatSession,
                                         organiser: User, guest: User) -> None:  # fmt: skip
    assert introductions.offer(dbs, sam, room, live(room), LOBBY) == FULL
    assert introductions.offer(dbs, sam, room, live(room, 30), LOBBY) == FULL  # a reload
    introductions.skip(dbs, sam, room, live(room))
    assert introductions.offer(dbs, sam, room, live(room, 31), LOBBY) is None
    next_week = make_session(dbs, organiser, guest)
    assert introductions.offer(dbs, sam, next_week, live(next_week), LOBBY) == FULL


@pytest.mark.parametrize(
    ("minutes", "offered"),
    [(-30, False), (-10, True), (5, True), (59, True), (61, False)],
)
def test_the_offer_is_made_only_while_the_room_is_open_for_chat(
    dbs: Session, sam: User, room: ChatSession, minutes: int, offered: bool
) -> None:
    draft = introductions.offer(dbs, sam, room, live(room, minutes), LOBBY)
    assert (draft is not None) == offered


def test_the_join_reads_the_offer_and_the_hidden_members_together(
    dbs: Session, sam: User, member: User, room: ChatSession
) -> None:
    kit = make_user(dbs, "kit@example.org", "Kit")
    blocks.block(dbs, sam, member.id, live(room))
    blocks.block(dbs, kit, sam.id, live(room))
    joined = introductions.for_join(dbs, sam, room, live(room), LOBBY)
    assert joined == {"introduction": {"draft": FULL}, "hidden_member_ids": [member.id, kit.id]}
    assert set(joined["hidden_member_ids"]) == blocks.hidden_ids(dbs, sam.id)
    introduce(dbs, sam, room)
    joined = introductions.for_join(dbs, sam, room, live(room), LOBBY)
    assert joined == {"introduction": None, "hidden_member_ids": [member.id, kit.id]}


def test_posting_stores_an_introduction_and_records_the_choice(
    dbs: Session, sam: User, room: ChatSession
) -> None:
    stored, events = introduce(dbs, sam, room, "  Hi, I'm Sam: grief work.  ")
    assert stored["kind"] == "introduction"
    assert stored["body"] == "Hi, I'm Sam: grief work."
    assert [e.payload for e in events] == [stored]
    message = dbs.scalars(select(Message)).one()
    assert (message.kind, message.consent, message.author_id) == ("introduction", "keep", sam.id)
    assert choices(dbs) == [(room.id, sam.id, "posted")]


def test_a_resend_returns_the_stored_introduction_without_an_event(
    dbs: Session, sam: User, room: ChatSession
) -> None:
    client_id = str(uuid.uuid4())
    first, _ = introduce(dbs, sam, room, client_id=client_id)
    again, events = introduce(dbs, sam, room, client_id=client_id)
    assert (again, events) == (first, [])


def test_a_second_introduction_is_refused(dbs: Session, sam: User, room: ChatSession) -> None:
    introduce(dbs, sam, room)
    with pytest.raises(ChatError) as refused:
        introduce(dbs, sam, room, "Hi again")
    assert refused.value.code == "conflict"
    assert dbs.scalars(select(Message.body)).all() == ["Hi all"]


def test_an_introduction_after_skipping_is_refused(
    dbs: Session, sam: User, room: ChatSession
) -> None:
    assert introductions.skip(dbs, sam, room, live(room)) == "skipped"
    assert introductions.skip(dbs, sam, room, live(room)) == "skipped"
    with pytest.raises(ChatError) as refused:
        introduce(dbs, sam, room)
    assert refused.value.code == "conflict"
    assert choices(dbs) == [(room.id, sam.id, "skipped")]
    assert dbs.scalars(select(Message)).all() == []


def test_skipping_after_posting_keeps_posted(dbs: Session, sam: User, room: ChatSession) -> None:
    introduce(dbs, sam, room)
    assert introductions.skip(dbs, sam, room, live(room)) == "posted"
    assert choices(dbs) == [(room.id, sam.id, "posted")]


def test_a_muted_member_cannot_introduce_themselves(
    dbs: Session, sam: User, guest: User, room: ChatSession
) -> None:
    moderation.mute(dbs, guest, room, sam.id, 10, "Heated", live(room, 1))
    with pytest.raises(ChatError) as refused:
        introduce(dbs, sam, room, now=live(room, 2))
    assert refused.value.code == "forbidden"
    assert choices(dbs) == []
    assert introductions.offer(dbs, sam, room, live(room, 2), LOBBY) == FULL


@pytest.mark.parametrize("minutes", [-30, 61])
def test_a_closed_room_refuses_introductions(
    dbs: Session, sam: User, room: ChatSession, minutes: int
) -> None:
    with pytest.raises(ChatError) as refused:
        introduce(dbs, sam, room, now=live(room, minutes))
    assert refused.value.code == "room_closed"
    assert choices(dbs) == []


def test_a_locked_room_refuses_members_but_not_staff(
    dbs: Session, sam: User, guest: User, room: ChatSession
) -> None:
    controls.set_locked(dbs, guest, room, True, live(room))
    assert introductions.offer(dbs, sam, room, live(room), LOBBY) is None
    with pytest.raises(ChatError) as refused:
        introduce(dbs, sam, room)
    assert refused.value.code == "room_closed"
    assert choices(dbs) == []
    stored, _ = introduce(dbs, guest, room, "I'm your guest tonight.")
    assert stored["author"]["role"] == "facilitator"


@pytest.mark.parametrize(("body", "code"), [("   ", "invalid"), ("x" * 2001, "invalid")])
def test_the_message_limits_apply(
    dbs: Session, sam: User, room: ChatSession, body: str, code: str
) -> None:
    with pytest.raises(ChatError) as refused:
        introduce(dbs, sam, room, body)
    assert refused.value.code == code
    assert choices(dbs) == []


def test_a_client_id_of_another_message_is_refused(
    dbs: Session, sam: User, room: ChatSession
) -> None:
    said = send(dbs, sam, room, "hello")
    with pytest.raises(ChatError) as refused:
        introduce(dbs, sam, room, client_id=said["client_id"])
    assert refused.value.code == "conflict"


def test_the_strip_lists_introductions_without_hidden_members(
    dbs: Session, sam: User, member: User, room: ChatSession
) -> None:
    kit = make_user(dbs, "kit@example.org", "Kit")
    for who in (sam, member, kit):
        introduce(dbs, who, room, f"Hi, I'm {who.display_name}")
    send(dbs, kit, room, "Not an introduction")
    blocks.block(dbs, member, sam.id, live(room))
    shown = introductions.strip(dbs, member, room)
    assert [i["author"]["name"] for i in shown["introductions"]] == ["Tam", "Kit"]
    assert shown["more_before"] is False
    everyone = introductions.strip(dbs, kit, room)
    assert [i["body"] for i in everyone["introductions"]] == ["Hi, I'm Sam", "Hi, I'm Tam",
                                                              "Hi, I'm Kit"]  # fmt: skip


def test_the_strip_pages_back(
    dbs: Session, organiser: User, room: ChatSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        introduce(dbs, make_user(dbs, f"p{n}@example.org", f"P{n}"), room)
    monkeypatch.setattr(introductions, "STRIP_PAGE", 2)
    last = introductions.strip(dbs, organiser, room)
    earlier = introductions.strip(dbs, organiser, room, last["introductions"][0]["id"])
    assert [i["id"] for i in last["introductions"]] == [2, 3]
    assert last["more_before"] is True
    assert [i["id"] for i in earlier["introductions"]] == [1]
    assert earlier["more_before"] is False


def test_the_data_export_lists_the_members_choices(
    dbs: Session, sam: User, room: ChatSession, organiser: User, guest: User
) -> None:
    other = make_session(dbs, organiser, guest)
    introduce(dbs, sam, room)
    introductions.skip(dbs, sam, other, live(room) + timedelta(minutes=1))
    exported = mydata.export(dbs, sam, live(room, 2))
    assert [(c["session_id"], c["choice"]) for c in exported["introduction_choices"]] == [
        (room.id, "posted"),
        (other.id, "skipped"),
    ]


def test_the_recap_leaves_introductions_out_and_the_transcript_labels_them(
    dbs: Session, sam: User, room: ChatSession
) -> None:
    introduce(dbs, sam, room, "Hi, I'm Sam from Leeds")
    send(dbs, sam, room, "Endings are hard")
    dbs.expire_all()
    view = recaps.build(dbs, room, rooms.ends_at(room) + timedelta(hours=48))
    recap = "\n".join([repr(view), recaps.to_markdown(view)])
    assert "Endings are hard" in recap
    assert "from Leeds" not in recap
    assert view.figures.messages == 1
    entries = transcripts.build(dbs, sam, room, rooms.ends_at(room), LOBBY).entries
    assert [(e.label, e.body) for e in entries] == [
        ("Introduction", "Hi, I'm Sam from Leeds"),
        ("", "Endings are hard"),
    ]


def test_deleting_the_account_makes_introductions_vanish(
    dbs: Session, sam: User, member: User, room: ChatSession
) -> None:
    introduce(dbs, sam, room, "Hi, I'm Sam from Leeds")
    introduce(dbs, member, room, "Hi, I'm Tam")
    deletion.delete_account(dbs, sam, PASSWORD, live(room, 90))
    assert [i["body"] for i in introductions.strip(dbs, member, room)["introductions"]] == [
        "Hi, I'm Tam"
    ]
    assert choices(dbs) == [(room.id, member.id, "posted")]
    assert messages.deleted_ids(dbs, room) == [1]
