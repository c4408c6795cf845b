"""Moderation: edits and deletes within the author's window, a moderator's removal,
edit-and-note, restore, sensitive messages, and mute, remove and ban with their undo."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden, Muted
from chat.events import MemberRemoved, MessageDeleted, MessageEdited, ModerationNotice
from chat.models import AuditEntry, ChatSession, Message, User
from chat.services import messages, moderation, questions, sanctions
from tests.helpers import make_session, make_user
from tests.unit.builders import LOBBY, live, send


def audit_log(dbs: Session) -> list[tuple[str, str, str, str]]:
    """(action, actor, subject, reason) of every entry, oldest first."""
    rows = dbs.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(e.action, e.actor_name, e.subject_name, e.reason) for e in rows]


def notices(events: list) -> list[tuple[int, dict]]:
    return [(e.user_id, e.payload) for e in events if isinstance(e, ModerationNotice)]


def edit(dbs, actor, room, message_id, body, note=None, minutes=5.0):
    return moderation.edit_message(
        dbs, actor, room, message_id, body, note, live(room, minutes), LOBBY
    )


def test_authors_edit_within_five_minutes_and_it_shows_as_edited(
    dbs: Session, room: ChatSession, member: User
) -> None:
    sent = send(dbs, member, room, "Endigns matter", now=live(room, 5))
    assert sent["edited"] is False and sent["edited_at"] is None
    edited, events = edit(dbs, member, room, sent["id"], "  Endings matter ", minutes=9.5)
    assert edited["body"] == "Endings matter" and edited["edited"] is True
    assert edited["moderator_note"] == ""
    assert [type(e) for e in events] == [MessageEdited] and events[0].payload == edited
    assert messages.recent(dbs, room)["messages"][0]["body"] == "Endings matter"
    assert audit_log(dbs) == []  # an author's own edit is not a moderation action
    with pytest.raises(Forbidden, match="5 minutes"):
        edit(dbs, member, room, sent["id"], "Too late", minutes=10.5)
    with pytest.raises(ChatError) as empty:
        edit(dbs, member, room, sent["id"], "   ", minutes=6)
    assert empty.value.code == "invalid"


def test_nobody_else_edits_a_members_message_without_being_staff(
    dbs: Session, room: ChatSession, member: User
) -> None:
    other = make_user(dbs, "sam@example.org", "Sam")
    sent = send(dbs, member, room, "mine")
    with pytest.raises(Forbidden):
        edit(dbs, other, room, sent["id"], "yours now", note="because")


def test_authors_delete_within_five_minutes_and_it_vanishes(
    dbs: Session, room: ChatSession, member: User
) -> None:
    early = send(dbs, member, room, "oops", now=live(room, 1))
    late = send(dbs, member, room, "kept", now=live(room, 2))
    events = messages.delete_message(dbs, member, room, early["id"], live(room, 6))
    assert events[0].payload["removed_by"] == "author" and len(events) == 1
    with pytest.raises(Forbidden, match="5 minutes"):
        messages.delete_message(dbs, member, room, late["id"], live(room, 7.5))
    assert [m["id"] for m in messages.recent(dbs, room)["messages"]] == [late["id"]]
    assert messages.deleted_ids(dbs, room) == [early["id"]]


def test_a_moderators_removal_leaves_a_tombstone_tells_the_author_and_can_be_undone(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    sent = send(dbs, member, room, "My client, Jo, aged 34, in Leeds")
    reply = send(dbs, guest, room, "Let's keep clients anonymous", reply_to=sent["id"])
    messages.react(dbs, guest, room, sent["id"], "heart", True, live(room), LOBBY)
    events = messages.delete_message(
        dbs, guest, room, sent["id"], live(room, 30), "Identifies a client"
    )
    deleted, _ = events
    assert isinstance(deleted, MessageDeleted)
    tombstone = deleted.payload["message"]
    assert deleted.payload["removed_by"] == "moderator"
    assert tombstone["removed"] == "moderator" and tombstone["body"] == ""
    assert tombstone["author"]["name"] == "Tam"  # its place in the thread still reads
    assert tombstone["reactions"] == {"heart": 0, "thumbs_up": 0, "same_here": 0}
    assert notices(events) == [
        (member.id, {"action": "delete_message", "session_id": room.id,
                     "reason": "Identifies a client", "message_id": sent["id"]}),
    ]  # fmt: skip
    history = messages.recent(dbs, room)["messages"]
    assert [m["id"] for m in history] == [sent["id"], reply["id"]]
    assert history[0] == tombstone and history[1]["reply_preview"]["deleted"] is True
    assert messages.catch_up(dbs, room, 0)["messages"][0] == tombstone
    assert messages.deleted_ids(dbs, room) == []
    assert messages.revised(dbs, room) == [tombstone]
    assert dbs.get(Message, 1).deleted_reason == "Identifies a client"
    assert audit_log(dbs) == [("delete_message", "Dr Guest", "Tam", "Identifies a client")]

    with pytest.raises(Forbidden):
        moderation.restore_message(dbs, member, room, sent["id"], live(room, 31))
    restored = moderation.restore_message(dbs, guest, room, sent["id"], live(room, 31))
    assert isinstance(restored[0], MessageEdited)
    assert restored[0].payload["body"] == "My client, Jo, aged 34, in Leeds"
    assert restored[0].payload["removed"] is None and restored[0].payload["reactions"]["heart"] == 1
    assert notices(restored)[0][1]["action"] == "restore_message"
    # a returning client learns of the restore from the audit log's record of it
    assert [m["id"] for m in messages.revised(dbs, room)] == [sent["id"]]
    assert audit_log(dbs)[-1][:3] == ("restore_message", "Dr Guest", "Tam")
    with pytest.raises(ChatError) as again:
        moderation.restore_message(dbs, guest, room, sent["id"], live(room, 32))
    assert again.value.code == "conflict"


def test_edit_and_note_keeps_the_first_original_and_tells_the_author(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    sent = send(dbs, member, room, "My client Jo from Leeds said")
    with pytest.raises(ChatError) as no_note:
        edit(dbs, guest, room, sent["id"], "My client said", note="  ", minutes=40)
    assert no_note.value.code == "invalid"
    edited, events = edit(dbs, guest, room, sent["id"], "My client said", "Removed a name", 40)
    assert edited["body"] == "My client said" and edited["edited"] is True
    assert edited["moderator_note"] == "Removed a name"
    assert "original_body" not in edited  # the original never reaches members
    assert notices(events) == [
        (member.id, {"action": "edit_message", "session_id": room.id,
                     "reason": "Removed a name", "message_id": sent["id"]}),
    ]  # fmt: skip
    edit(dbs, guest, room, sent["id"], "A client said", "And a place", 41)
    stored = dbs.get(Message, 1)
    assert stored.original_body == "My client Jo from Leeds said"
    assert stored.edited_by_id == guest.id
    assert [e[0] for e in audit_log(dbs)] == ["edit_message", "edit_message"]


def test_staff_mark_messages_sensitive_and_members_cannot(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    sent = send(dbs, member, room, "A hard story about a loss")
    assert sent["sensitive"] is False
    with pytest.raises(Forbidden):
        moderation.set_sensitive(dbs, member, room, sent["id"], True, live(room))
    marked, events = moderation.set_sensitive(dbs, guest, room, sent["id"], True, live(room))
    assert marked["sensitive"] is True and isinstance(events[0], MessageEdited)
    assert notices(events)[0][1]["action"] == "mark_sensitive"
    assert moderation.set_sensitive(dbs, guest, room, sent["id"], True, live(room))[1] == []
    assert messages.revised(dbs, room) == [marked]
    unmarked, events = moderation.set_sensitive(dbs, guest, room, sent["id"], False, live(room))
    assert unmarked["sensitive"] is False and notices(events) == []
    assert [m["id"] for m in messages.revised(dbs, room)] == [sent["id"]]
    assert [e[0] for e in audit_log(dbs)] == ["mark_sensitive", "unmark_sensitive"]


def test_a_muted_member_reads_but_cannot_write_until_unmuted_or_the_time_is_up(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    target = send(dbs, guest, room, "Q1")
    question, _ = questions.ask(dbs, guest, room, "A question to vote on", False,
                                str(uuid.uuid4()), live(room), LOBBY)  # fmt: skip
    now = live(room, 10)
    events = moderation.mute(dbs, guest, room, member.id, 30, "Please cool off", now)
    until = (now + timedelta(minutes=30)).isoformat()
    assert notices(events) == [
        (member.id, {"action": "mute", "session_id": room.id, "reason": "Please cool off",
                     "until": until}),
    ]  # fmt: skip
    listed = events[1].payload["sanctions"]
    assert [(s["kind"], s["user"]["name"], s["until"]) for s in listed] == [("mute", "Tam", until)]
    during = live(room, 20)
    attempts = [
        lambda: send(dbs, member, room, "let me speak", now=during),
        lambda: messages.react(dbs, member, room, target["id"], "heart", True, during, LOBBY),
        lambda: questions.ask(dbs, member, room, "Can I still ask?", False, str(uuid.uuid4()),
                              during, LOBBY),
        lambda: questions.vote(dbs, member, room, question["id"], True, during, LOBBY),
    ]  # fmt: skip
    for attempt in attempts:
        with pytest.raises(Muted) as refused:
            attempt()
        assert refused.value.code == "forbidden"
        assert refused.value.as_ack()["error"]["until"] == until
        assert "Please cool off" in refused.value.message and "20:40" in refused.value.message
    # the mute ends by itself when its time is up
    assert send(dbs, member, room, "back again", now=live(room, 40))["body"] == "back again"
    # ...or a moderator lifts it early
    moderation.mute(dbs, guest, room, member.id, 60, "Again", live(room, 41))
    with pytest.raises(Muted):
        send(dbs, member, room, "no", now=live(room, 42))
    events = moderation.unmute(dbs, guest, room, member.id, live(room, 43))
    assert notices(events)[0][1]["action"] == "unmute"
    assert events[1].payload["sanctions"] == []
    send(dbs, member, room, "thank you", now=live(room, 44))
    with pytest.raises(ChatError) as not_muted:
        moderation.unmute(dbs, guest, room, member.id, live(room, 45))
    assert not_muted.value.code == "conflict"
    assert [e[0] for e in audit_log(dbs)] == ["mute", "mute", "unmute"]


@pytest.mark.parametrize(
    ("minutes", "reason"), [(0, "why"), (1441, "why"), (10, ""), (10, "   "), (10, "x" * 301)]
)
def test_a_mute_needs_a_sensible_length_and_a_reason(
    dbs: Session, room: ChatSession, member: User, guest: User, minutes: int, reason: str
) -> None:
    with pytest.raises(ChatError) as refused:
        moderation.mute(dbs, guest, room, member.id, minutes, reason, live(room))
    assert refused.value.code == "invalid"
    assert audit_log(dbs) == []


def test_nobody_sanctions_staff_themselves_or_without_being_staff(
    dbs: Session, room: ChatSession, member: User, guest: User, organiser: User
) -> None:
    other = make_user(dbs, "sam@example.org", "Sam")
    now = live(room)
    for actor, target in [(guest, organiser), (organiser, guest), (guest, guest)]:
        with pytest.raises(Forbidden):
            moderation.mute(dbs, actor, room, target.id, 10, "no", now)
        with pytest.raises(Forbidden):
            moderation.remove(dbs, actor, room, target.id, "no", now)
    with pytest.raises(Forbidden):
        moderation.mute(dbs, other, room, member.id, 10, "no", now)
    with pytest.raises(Forbidden):
        moderation.remove(dbs, other, room, member.id, "no", now)
    # a facilitator of another session is a member here, and may be sanctioned here
    elsewhere = make_session(dbs, organiser, other)
    assert elsewhere.id != room.id
    moderation.mute(dbs, guest, room, other.id, 10, "Off topic", now)
    assert audit_log(dbs) == [("mute", "Dr Guest", "Sam", "Off topic")]


def test_a_removed_member_cannot_rejoin_until_readmitted(
    dbs: Session, room: ChatSession, member: User, guest: User, organiser: User
) -> None:
    now = live(room)
    events = moderation.remove(dbs, guest, room, member.id, "Hostile to others", now)
    assert notices(events)[0][1] == {"action": "remove", "session_id": room.id,
                                     "reason": "Hostile to others"}  # fmt: skip
    assert isinstance(events[-1], MemberRemoved) and events[-1].payload == {"session_id": room.id}
    with pytest.raises(Forbidden, match="removed from this session: Hostile to others"):
        sanctions.require_admitted(dbs, member, room, live(room, 50))
    other_room = make_session(dbs, organiser, guest)
    sanctions.require_admitted(dbs, member, other_room, now)  # only this session
    with pytest.raises(ChatError) as twice:
        moderation.remove(dbs, guest, room, member.id, "Again", now)
    assert twice.value.code == "conflict"
    events = moderation.readmit(dbs, guest, room, member.id, live(room, 10))
    assert notices(events)[0][1]["action"] == "readmit"
    sanctions.require_admitted(dbs, member, room, live(room, 11))
    assert [e[0] for e in audit_log(dbs)] == ["remove", "readmit"]


def test_only_organisers_ban_and_unban_and_a_ban_binds_everywhere(
    dbs: Session, room: ChatSession, member: User, guest: User, organiser: User
) -> None:
    now = live(room)
    with pytest.raises(Forbidden):
        moderation.ban(dbs, guest, room, member.id, "Abuse", now, LOBBY)
    events = moderation.ban(dbs, organiser, room, member.id, "Abusive messages", now, LOBBY)
    assert notices(events)[0][1] == {"action": "ban", "session_id": room.id,
                                     "reason": "Abusive messages"}  # fmt: skip
    # the room open now (the one it happened in) lets the member go
    assert [e.session_id for e in events if isinstance(e, MemberRemoved)] == [room.id]
    later_room = make_session(dbs, organiser, guest)
    with pytest.raises(Forbidden, match="suspended from the community by an organiser"):
        sanctions.require_admitted(dbs, member, later_room, now)
    assert sanctions.active_ban(dbs, member.id, now) is not None
    (listed,) = moderation.bans(dbs, now)
    assert (listed["name"], listed["reason"], listed["by"]) == ("Tam", "Abusive messages", "Olu")
    with pytest.raises(ChatError) as twice:
        moderation.ban(dbs, organiser, room, member.id, "Again", now, LOBBY)
    assert twice.value.code == "conflict"
    with pytest.raises(Forbidden):
        moderation.unban(dbs, guest, member.id, now)
    moderation.unban(dbs, organiser, member.id, live(room, 20))
    assert sanctions.active_ban(dbs, member.id, live(room, 21)) is None
    assert moderation.bans(dbs, live(room, 21)) == []
    sanctions.require_admitted(dbs, member, room, live(room, 21))
    assert [e[0] for e in audit_log(dbs)] == ["ban", "unban"]
