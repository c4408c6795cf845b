"""Random and malformed payloads at every socket event, as every role (hypothesis).

Whatever arrives, the server answers with an ack that is either `ok` or one of the
documented error codes, never `unavailable` (which is what an unhandled exception
becomes), and it stores nothing that breaks an invariant of the data."""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from chat.errors import HTTP_STATUS
from chat.extensions import db, socketio
from chat.models import (
    REPORT_REASONS,
    REPORT_STATUSES,
    ChatSession,
    Message,
    Prompt,
    Question,
    Report,
    Sanction,
    User,
)
from chat.services import prompts, questions
from tests.helpers import make_session, make_user
from tests.sockets.helpers import new_message

FIELDS = [
    "session_id", "message_id", "question_id", "prompt_id", "into_id", "body", "client_id",
    "reply_to", "answer_to", "last_seen_id", "before_id", "after_id", "reaction", "active",
    "enabled", "locked", "seconds", "minutes", "anonymous", "action", "report_id", "reason",
    "note", "outcome", "user_id", "sensitive", "confidentiality_checked",
]  # fmt: skip
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
plausible = (
    st.integers(min_value=-1, max_value=4)
    | st.sampled_from(["approve", "dismiss", "restore", "spotlight", "reopen", "answer", "heart"])
    | st.sampled_from(["harassment", "safeguarding", "spam", "resolved", "dismissed"])
    | st.builds(lambda: str(uuid.uuid4()))
    | st.text(min_size=0, max_size=30)
    | st.booleans()
)
payloads = (
    st.dictionaries(st.sampled_from(FIELDS), plausible | anything, max_size=6).map(
        lambda d: {"session_id": 1, **d} if "session_id" not in d else d
    )
    | anything
)


def events() -> list[str]:
    return sorted(set(socketio.server.handlers["/"]) - {"connect", "disconnect"})


def check_invariants() -> None:
    db.session.expire_all()
    for message in db.session.scalars(select(Message)):
        assert 1 <= len(message.body) <= 2000 and not CONTROL.search(message.body)
        assert message.kind in ("message", "prompt", "announcement")
        assert len(message.deleted_reason) <= 300 and len(message.moderator_note) <= 300
    for sanction in db.session.scalars(select(Sanction)):
        assert sanction.kind in ("mute", "remove", "ban") and 1 <= len(sanction.reason) <= 300
        assert (sanction.until is not None) == (sanction.kind == "mute")
    for question in db.session.scalars(select(Question)):
        assert 5 <= len(question.body) <= 500
        assert question.status in ("pending", "open", "spotlit", "answered", "dismissed", "merged")
    for room in db.session.scalars(select(ChatSession)):
        assert 0 <= room.slow_mode_seconds <= 600
        spotlit = [q for q in db.session.scalars(select(Question).where(
            Question.session_id == room.id, Question.status == "spotlit"))]  # fmt: skip
        assert len(spotlit) <= 1
    for report in db.session.scalars(select(Report)):
        assert report.reason in REPORT_REASONS and report.status in REPORT_STATUSES
        assert (report.message_id is None) != (report.question_id is None)
        assert report.reporter_id != report.reported_user_id and len(report.note) <= 1000
        assert report.urgent == (report.reason == "safeguarding")
    numbers = [p.number for p in db.session.scalars(select(Prompt)) if p.number is not None]
    assert len(numbers) == len(set(numbers))


@pytest.mark.parametrize("role", ["member", "facilitator", "organiser", "other facilitator"])
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_payload_gets_a_documented_ack(
    joined, guest: User, member: User, organiser: User, room: ChatSession, role: str, data
) -> None:  # fmt: skip
    users = {"member": member, "facilitator": guest, "organiser": organiser}
    if role not in users:
        users[role] = db.session.scalar(select(User).where(User.email == "other@example.org"))
        if users[role] is None:
            users[role] = make_user(db.session, "other@example.org", "Other")
            make_session(db.session, organiser, users[role])
    if not room.prompts:
        prompts.add_prompts(db.session, guest, room, ["One", "Two"], 10, room.starts_at)
        questions.ask(db.session, member, room, "A first question", False, str(uuid.uuid4()),
                      room.starts_at, 15)  # fmt: skip
    sio = joined(users[role])
    sio.emit("send_message", new_message(room, "hello"), callback=True)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        event = data.draw(st.sampled_from(events()))
        ack = sio.emit(event, data.draw(payloads), callback=True)
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (event, ack)
        if not ack["ok"]:
            assert ack["error"]["code"] in HTTP_STATUS, (event, ack)
            assert ack["error"]["code"] != "unavailable", (event, ack)
    sio.disconnect()
    check_invariants()
