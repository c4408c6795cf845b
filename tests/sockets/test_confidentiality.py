"""The confidentiality guard over sockets: sends that skipped the check are stored and
warned in their ack; `check_message` answers with the same rules and changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from chat.extensions import db
from chat.models import ChatSession, Message, Question, User
from chat.services.limits import CHECK_RULE
from chat.services.messages import MAX_BODY
from tests.helpers import Clock
from tests.sockets.helpers import new_message, received

IDENTIFYING = "My client Sarah, a 34-year-old teacher from Leeds"


def stored_bodies(model: type[Message] | type[Question]) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(model.body).order_by(model.id)))


def asking(room: ChatSession, body: str, **extra: object) -> dict:
    return {
        "session_id": room.id,
        "body": body,
        "anonymous": False,
        "client_id": str(uuid.uuid4()),
        **extra,
    }


def test_an_unchecked_send_is_stored_and_heard_but_its_ack_warns(
    joined, room: ChatSession, member: User, organiser: User
) -> None:
    writer, reader = joined(member), joined(organiser)
    ack = writer.emit("send_message", new_message(room, IDENTIFYING), callback=True)
    assert ack["ok"] and ack["message"]["body"] == IDENTIFYING
    warning = ack["warning"]
    assert warning["code"] == "confidentiality"
    assert "may identify a client" in warning["message"]
    assert [(f["rule"], f["text"]) for f in warning["findings"]] == [
        ("name", "Sarah"),
        ("age", "34-year-old"),
        ("occupation", "teacher"),
        ("place", "Leeds"),
    ]
    assert stored_bodies(Message) == [IDENTIFYING]
    assert received(reader, "message") == [ack["message"]]  # the room hears no warning


def test_a_resend_of_an_unchecked_message_warns_again_and_stores_once(
    joined, room: ChatSession, member: User
) -> None:
    writer = joined(member)
    payload = new_message(room, IDENTIFYING)
    first = writer.emit("send_message", payload, callback=True)
    again = writer.emit("send_message", payload, callback=True)
    assert again == first and "warning" in again
    assert stored_bodies(Message) == [IDENTIFYING]


def test_a_checked_send_has_no_warning(joined, room: ChatSession, member: User) -> None:
    writer = joined(member)
    payload = new_message(room, IDENTIFYING, confidentiality_checked=True)
    ack = writer.emit("send_message", payload, callback=True)
    assert ack == {"ok": True, "message": ack["message"]}
    assert stored_bodies(Message) == [IDENTIFYING]


def test_clean_text_has_no_warning_even_unchecked(joined, room: ChatSession, member: User) -> None:
    writer = joined(member)
    for flag in (False, None):
        body = f"A client once told me it helped ({flag})."
        ack = writer.emit(
            "send_message", new_message(room, body, confidentiality_checked=flag), callback=True
        )
        assert ack == {"ok": True, "message": ack["message"]}


def test_a_malformed_flag_is_refused_before_anything_is_stored(
    joined, room: ChatSession, member: User
) -> None:
    writer = joined(member)
    payload = new_message(room, IDENTIFYING, confidentiality_checked="yes")
    ack = writer.emit("send_message", payload, callback=True)
    assert ack["error"]["code"] == "invalid"
    assert "confidentiality_checked" in ack["error"]["message"]
    asked = writer.emit("ask_question", asking(room, IDENTIFYING, confidentiality_checked=1),
                        callback=True)  # fmt: skip
    assert asked["error"]["code"] == "invalid"
    assert stored_bodies(Message) == [] and stored_bodies(Question) == []


def test_check_message_answers_with_the_servers_rules_and_changes_nothing(
    joined, room: ChatSession, member: User, organiser: User
) -> None:
    writer, reader = joined(member), joined(organiser)
    writer.get_received()  # the reader's arrival
    body = "🙂 My client is a nurse."
    ack = writer.emit("check_message", {"session_id": room.id, "body": body}, callback=True)
    assert ack == {
        "ok": True,
        "findings": [
            {
                "rule": "occupation",
                "start": 18,
                "end": 23,
                "text": "nurse",
                "explanation": "mentions a client together with an occupation",
            }
        ],
        "summary": "mentions a client together with an occupation ('nurse')",
    }
    clean = writer.emit(
        "check_message", {"session_id": room.id, "body": "I'm 34 and training."}, callback=True
    )
    assert clean == {"ok": True, "findings": [], "summary": None}
    assert stored_bodies(Message) == []
    assert writer.get_received() == [] and reader.get_received() == []


def test_check_message_refuses_an_over_long_body_and_a_room_not_joined(
    joined, socket_client, app, room: ChatSession, member: User
) -> None:
    writer = joined(member)
    too_long = {"session_id": room.id, "body": "x" * (MAX_BODY + 1)}
    assert writer.emit("check_message", too_long, callback=True)["error"]["code"] == "invalid"
    writer.emit("leave", {"session_id": room.id}, callback=True)
    gone = writer.emit("check_message", {"session_id": room.id, "body": "hi"}, callback=True)
    assert gone["error"]["code"] == "forbidden"


def test_check_message_is_rate_limited_per_member(
    joined, room: ChatSession, member: User, organiser: User
) -> None:
    first_tab, second_tab, other = joined(member), joined(member), joined(organiser)
    check = {"session_id": room.id, "body": "Just a thought."}
    for tab in [first_tab, second_tab] * (CHECK_RULE.burst // 2):
        assert tab.emit("check_message", check, callback=True)["ok"]
    refused = first_tab.emit("check_message", check, callback=True)
    assert refused["error"]["code"] == "rate_limited" and refused["error"]["retry_after"] >= 1
    assert other.emit("check_message", check, callback=True)["ok"]


def test_questions_are_guarded_the_same_way(
    joined, room: ChatSession, member: User, guest: User, clock: Clock
) -> None:
    asker, staff = joined(member), joined(guest)
    unchecked = asker.emit("ask_question", asking(room, "Is it OK that my client is a nurse?"),
                           callback=True)  # fmt: skip
    assert unchecked["ok"] and unchecked["warning"]["code"] == "confidentiality"
    assert "Your question was sent" in unchecked["warning"]["message"]
    assert [f["rule"] for f in unchecked["warning"]["findings"]] == ["occupation"]
    clock.now += timedelta(minutes=1)  # one question at a time
    checked = asker.emit(
        "ask_question",
        asking(room, "How do I end with my client Sarah?", confidentiality_checked=True),
        callback=True,
    )
    assert checked == {"ok": True, "question": checked["question"]}
    assert stored_bodies(Question) == [
        "Is it OK that my client is a nurse?",
        "How do I end with my client Sarah?",
    ]
    assert len(received(staff, "question")) == 2
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_an_edit_that_may_identify_a_client_is_saved_and_warned(
    joined, room: ChatSession, member: User
) -> None:
    writer = joined(member)
    sent = writer.emit("send_message", new_message(room, "A hard week"), callback=True)
    edit = {"session_id": room.id, "message_id": sent["message"]["id"], "body": IDENTIFYING}
    ack = writer.emit("edit_message", edit, callback=True)
    assert ack["ok"] and ack["message"]["body"] == IDENTIFYING
    assert ack["warning"]["code"] == "confidentiality"
    checked = writer.emit(
        "edit_message", {**edit, "body": IDENTIFYING + "!", "confidentiality_checked": True},
        callback=True,
    )  # fmt: skip
    assert checked["ok"] and "warning" not in checked
    assert stored_bodies(Message) == [IDENTIFYING + "!"]
