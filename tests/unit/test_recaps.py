"""Recaps: grouping by prompt, what consent shows and hides in every format, who may
publish and when, who may read, and the figures."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden, ValidationError
from chat.models import AuditEntry, ChatSession, Message, Question, User
from chat.services import clock, controls, messages, moderation, prompts, questions, recaps, rooms
from chat.services import schedule as schedule_service
from chat.services.recaps import RecapView
from tests.helpers import START, make_user
from tests.unit.builders import LOBBY, live, send

SECRET = "Marmalade lighthouse confession"
ORIGINAL = "Quince harbour original wording"
REPLY = "Kit answers warmly"


@pytest.fixture
def kit(dbs: Session) -> User:
    return make_user(dbs, "kit@example.org", "Kit")


def closes(room: ChatSession) -> datetime:
    """When the review window of `room` (no series: 48 hours) closes."""
    return rooms.ends_at(room) + timedelta(hours=48)


def post(dbs: Session, guest: User, room: ChatSession, body: str, minute: float) -> int:
    """Add a prompt to the run sheet and post it; returns the prompt's id."""
    (added,), _ = prompts.add_prompts(dbs, guest, room, [body], 10, START)
    prompts.post_prompt(dbs, guest, room, added.id, live(room, minute), LOBBY)
    return added.id


def build(dbs: Session, room: ChatSession) -> RecapView:
    dbs.expire_all()
    return recaps.build(dbs, room, closes(room))


def pdf_text(view: RecapView) -> str:
    reader = PdfReader(io.BytesIO(recaps.to_pdf(view)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def everywhere(view: RecapView) -> str:
    """Every rendering this module makes, and the view the HTML template is filled from."""
    return "\n".join([repr(view), recaps.to_markdown(view), pdf_text(view)])


def message_row(dbs: Session, room: ChatSession, seq: int) -> Message:
    return dbs.scalars(
        select(Message).where(Message.session_id == room.id, Message.seq == seq)
    ).one()


def test_sections_follow_the_prompts_in_posted_order_with_answers_in_order(
    dbs: Session, room: ChatSession, guest: User, member: User, kit: User
) -> None:
    send(dbs, member, room, "Hello everyone", now=live(room, 1))
    q1 = post(dbs, guest, room, "What brought you to this work?", 2)
    send(dbs, member, room, "Tam on Q1", now=live(room, 3))
    send(dbs, kit, room, "Kit on Q1", now=live(room, 4))
    post(dbs, guest, room, "What do endings stir in you?", 12)
    send(dbs, kit, room, "Kit on Q2", now=live(room, 13))
    send(dbs, member, room, "Tam, late, on Q1", now=live(room, 14), answer_to=q1)
    send(dbs, kit, room, "An aside", now=live(room, 15), answer_to=None)
    controls.announce(dbs, guest, room, "Ten minutes left", "a1", live(room, 50), LOBBY)

    view = build(dbs, room)

    assert [s.title for s in view.sections] == ["General conversation", "Q1", "Q2"]
    assert [s.prompt for s in view.sections] == [
        None,
        "What brought you to this work?",
        "What do endings stir in you?",
    ]
    assert [[m.body for m in s.messages] for s in view.sections] == [
        ["Hello everyone", "An aside", "Ten minutes left"],
        ["Tam on Q1", "Kit on Q1", "Tam, late, on Q1"],
        ["Kit on Q2"],
    ]
    assert view.sections[0].messages[-1].kind == "announcement"
    assert view.sections[1].posted_by == "Dr Guest"
    markdown = recaps.to_markdown(view)
    order = [
        "Hello everyone",
        "## Q1",
        "Tam on Q1",
        "Kit on Q1",
        "late, on Q1",
        "## Q2",
        "Kit on Q2",
    ]
    positions = [markdown.index(text) for text in order]
    assert positions == sorted(positions)
    text = pdf_text(view)
    assert text.index("Q1: What brought you") < text.index("Kit on Q1") < text.index("Q2: What do")


def test_a_session_with_no_prompts_has_only_the_general_conversation(
    dbs: Session, room: ChatSession, member: User
) -> None:
    send(dbs, member, room, "Just chatting", now=live(room, 1))
    view = build(dbs, room)
    assert [(s.title, len(s.messages)) for s in view.sections] == [("General conversation", 1)]


def _message(dbs: Session, room: ChatSession, member: User, kit: User, guest: User) -> None:
    send(dbs, member, room, SECRET)


def _reply(dbs: Session, room: ChatSession, member: User, kit: User, guest: User) -> None:
    sent = send(dbs, member, room, SECRET)
    send(dbs, kit, room, REPLY, reply_to=sent["id"], now=live(room, 6))


def _question(dbs: Session, room: ChatSession, member: User, kit: User, guest: User) -> None:
    questions.ask(dbs, member, room, SECRET, False, "q1", live(room), LOBBY)


def _turned_into_question(
    dbs: Session, room: ChatSession, member: User, kit: User, guest: User
) -> None:
    sent = send(dbs, member, room, SECRET)
    made, _ = questions.from_message(dbs, guest, room, sent["id"], live(room, 6))
    questions.moderate(dbs, guest, room, made["id"], "answer", live(room, 7))


def _edited(dbs: Session, room: ChatSession, member: User, kit: User, guest: User) -> None:
    sent = send(dbs, member, room, ORIGINAL)
    moderation.edit_message(
        dbs, guest, room, sent["id"], SECRET, "Tidied a typo", live(room, 6), LOBBY
    )


CASES: dict[str, Callable[..., None]] = {
    "message": _message,
    "reply": _reply,
    "question": _question,
    "turned into a question": _turned_into_question,
    "edited message": _edited,
}


def _set_consent(dbs: Session, member: User, choice: str) -> None:
    """Tam's choice for everything Tam wrote (as the review page stores it)."""
    for row in dbs.scalars(select(Message).where(Message.author_id == member.id)):
        row.consent = choice
    for row in dbs.scalars(select(Question).where(Question.author_id == member.id)):
        row.consent = choice
    dbs.commit()


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("choice", ["keep", "anonymise", "withdraw"])
def test_consent_decides_what_every_format_shows(
    dbs: Session,
    room: ChatSession,
    guest: User,
    member: User,
    kit: User,
    case: str,
    choice: str,
) -> None:
    CASES[case](dbs, room, member, kit, guest)
    _set_consent(dbs, member, choice)

    view = build(dbs, room)
    shown = everywhere(view)

    assert ORIGINAL not in shown  # an edited message shows its current text only
    if choice == "withdraw":
        assert SECRET not in shown
        assert "Marmalade" not in shown
    else:
        assert SECRET in recaps.to_markdown(view)
        assert SECRET in pdf_text(view)
    if choice == "anonymise":
        assert "Tam" not in shown
        assert "A participant" in shown
    if choice == "keep":
        assert "Tam" in shown
    if case == "reply":
        (reply,) = [m for s in view.sections for m in s.messages if m.body == REPLY]
        assert reply.reply is not None
        expected = {
            "keep": f"Replying to Tam: “{SECRET}”",
            "anonymise": f"Replying to A participant: “{SECRET}”",
            "withdraw": "Replying to a message that is not in the recap",
        }[choice]
        assert reply.reply.text == expected
        assert expected.replace("“", "").replace("”", "") in pdf_text(view).replace("“", "")
    if case in ("question", "turned into a question"):
        asked = [q.asked_by for q in view.questions]
        assert asked == {"keep": ["Tam"], "anonymise": ["A participant"], "withdraw": []}[choice]


def test_a_question_made_from_a_withdrawn_message_is_left_out_whatever_its_own_consent(
    dbs: Session, room: ChatSession, guest: User, member: User, kit: User
) -> None:
    _turned_into_question(dbs, room, member, kit, guest)
    message_row(dbs, room, 1).consent = "withdraw"
    dbs.commit()
    shown = everywhere(build(dbs, room))
    assert SECRET not in shown


def test_deleted_removed_and_deleted_accounts_messages_are_absent_and_never_quoted(
    dbs: Session, room: ChatSession, guest: User, member: User, kit: User
) -> None:
    own = send(dbs, member, room, "Deleted by its author", now=live(room, 1))
    removed = send(dbs, member, room, "Removed by a moderator", now=live(room, 2))
    gone = send(dbs, kit, room, "From an account later deleted", now=live(room, 3))
    for parent in (own, removed, gone):
        send(dbs, guest, room, f"Reply to {parent['id']}", reply_to=parent["id"], now=live(room, 4))
    questions.ask(dbs, kit, room, "A question from that account", False, "q", live(room), LOBBY)
    messages.delete_message(dbs, member, room, own["id"], live(room, 5))
    messages.delete_message(dbs, guest, room, removed["id"], live(room, 5), "off topic")
    kit.deleted_at = live(room, 90)
    dbs.commit()

    view = build(dbs, room)
    shown = everywhere(view)

    for text in ("Deleted by its author", "Removed by a moderator", "later deleted", "A question"):
        assert text not in shown
    replies = [m for s in view.sections for m in s.messages]
    assert [m.body for m in replies] == ["Reply to 1", "Reply to 2", "Reply to 3"]
    assert {m.reply.text for m in replies if m.reply} == {
        "Replying to a message that is not in the recap"
    }
    assert view.questions == ()


def test_the_queue_lists_answered_then_spotlit_then_open_with_votes(
    dbs: Session, room: ChatSession, guest: User, member: User, kit: User, organiser: User
) -> None:
    def ask(user: User, body: str, anonymous: bool = False) -> int:
        # Each a minute apart: a member may ask once per 30 seconds.
        minute = len(dbs.scalars(select(Question)).all())
        asked, _ = questions.ask(
            dbs, user, room, body, anonymous, str(uuid.uuid4()), live(room, minute), LOBBY
        )
        return int(asked["id"])

    waiting = ask(member, "Still waiting here?")
    popular = ask(kit, "A popular open question", anonymous=True)
    answered = ask(guest, "How do you close a session well?")
    spotlit = ask(organiser, "What about endings online?")
    dismissed = ask(member, "Off topic question")
    merged = ask(kit, "How do you close sessions?")
    questions.vote(dbs, member, room, popular, True, live(room, 2), LOBBY)
    questions.vote(dbs, member, room, merged, True, live(room, 2), LOBBY)  # moves on merging
    questions.moderate(dbs, guest, room, answered, "answer", live(room, 3))
    questions.moderate(dbs, guest, room, spotlit, "spotlight", live(room, 4))
    questions.moderate(dbs, guest, room, dismissed, "dismiss", live(room, 5))
    questions.merge(dbs, guest, room, merged, answered)

    view = build(dbs, room)

    assert [(q.id, q.status, q.votes, q.asked_by) for q in view.questions] == [
        (answered, "answered", 1, "Dr Guest"),
        (spotlit, "spotlit", 0, "Olu"),
        (popular, "open", 1, "A participant"),
        (waiting, "open", 0, "Tam"),
    ]
    assert "Off topic" not in everywhere(view)
    assert view.figures.questions_asked == 6
    assert view.figures.questions_answered == 1


def test_figures_count_what_was_said_whatever_its_consent(
    dbs: Session, room: ChatSession, guest: User, member: User, kit: User
) -> None:
    post(dbs, guest, room, "Why this work?", 1)
    send(dbs, member, room, "One", now=live(room, 2))
    send(dbs, member, room, "Two", now=live(room, 3))
    withdrawn = send(dbs, kit, room, "Three", now=live(room, 4))
    deleted = send(dbs, kit, room, "Four", now=live(room, 5))
    messages.delete_message(dbs, kit, room, deleted["id"], live(room, 6))
    message_row(dbs, room, withdrawn["id"]).consent = "withdraw"
    controls.announce(dbs, guest, room, "Welcome", "a", live(room, 7), LOBBY)
    questions.ask(dbs, guest, room, "A question from the guest", False, "q", live(room), LOBBY)
    dbs.commit()

    figures = build(dbs, room).figures

    assert (figures.participants, figures.messages) == (3, 3)
    assert (figures.questions_asked, figures.questions_answered) == (1, 0)


def test_user_text_is_escaped_in_markdown(dbs: Session, room: ChatSession, member: User) -> None:
    send(dbs, member, room, "<script>x</script> *not bold* [link](http://x)\n# not a heading")
    markdown = recaps.to_markdown(build(dbs, room))
    assert "\\<script\\>" in markdown
    assert "\\*not bold\\*" in markdown
    assert "\\[link\\](http://x)" in markdown
    assert "> \\# not a heading" in markdown


def test_times_are_in_the_sessions_zone(dbs: Session, room: ChatSession, member: User) -> None:
    send(dbs, member, room, "At five past", now=live(room, 5))
    view = build(dbs, room)
    assert view.session.when == "Tue 1 Dec 2026, 20:00 to 21:00 GMT"
    assert view.sections[0].messages[0].time == "20:05"
    assert clock.describe_moment(view.review_closes_at) == "Thu 3 Dec 2026, 21:00 GMT"


# Publishing


def test_publishing_waits_for_the_review_window_to_close(
    dbs: Session, room: ChatSession, guest: User
) -> None:
    with pytest.raises(ChatError) as refused:
        recaps.publish(dbs, guest, room, "", "members", closes(room) - timedelta(seconds=1))
    assert refused.value.code == "conflict"
    assert "Thu 3 Dec 2026, 21:00 GMT" in refused.value.message
    recap = recaps.publish(dbs, guest, room, "Thank you all", "members", closes(room))
    assert recap.published_at == closes(room)


def test_the_window_follows_the_series_review_hours(
    dbs: Session, room: ChatSession, organiser: User, guest: User
) -> None:
    series = schedule_service.create_series(
        dbs,
        organiser,
        schedule_service.SeriesInput("#TraineeTalk", 1, "20:00", "Europe/London", 60),
        START,
    )
    series.review_hours = 2
    room.series = series
    dbs.commit()
    ends = rooms.ends_at(room)
    with pytest.raises(ChatError):
        recaps.publish(dbs, guest, room, "", "members", ends + timedelta(hours=2, seconds=-1))
    recaps.publish(dbs, guest, room, "", "members", ends + timedelta(hours=2))


@pytest.mark.parametrize(
    ("who", "visibility", "allowed"),
    [
        ("organiser", "members", True),
        ("organiser", "public", True),
        ("guest", "members", True),
        ("guest", "public", False),
        ("member", "members", False),
    ],
)
def test_who_may_publish_and_for_whom(
    dbs: Session,
    room: ChatSession,
    organiser: User,
    guest: User,
    member: User,
    who: str,
    visibility: str,
    allowed: bool,
) -> None:
    actor = {"organiser": organiser, "guest": guest, "member": member}[who]
    if not allowed:
        with pytest.raises(Forbidden):
            recaps.publish(dbs, actor, room, "", visibility, closes(room))
        assert recaps.get(dbs, room) is None
        return
    recaps.publish(dbs, actor, room, "Summary", visibility, closes(room))
    recap = recaps.get(dbs, room)
    assert recap is not None
    assert (recap.visibility, recap.published_by_id) == (visibility, actor.id)
    (entry,) = dbs.scalars(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.session_id) == ("publish_recap", actor.id, room.id)


def test_republishing_updates_and_a_facilitator_may_keep_a_recap_public(
    dbs: Session, room: ChatSession, organiser: User, guest: User
) -> None:
    recaps.publish(dbs, organiser, room, "First", "public", closes(room))
    later = closes(room) + timedelta(days=1)
    recap = recaps.publish(dbs, guest, room, "Second thoughts", "public", later)
    assert (recap.summary, recap.visibility) == ("Second thoughts", "public")
    assert (recap.published_at, recap.updated_at) == (closes(room), later)
    recaps.publish(dbs, guest, room, "Second thoughts", "members", later)
    with pytest.raises(Forbidden):
        recaps.publish(dbs, guest, room, "Second thoughts", "public", later)


@pytest.mark.parametrize(
    ("summary", "visibility", "field"),
    [
        ("x" * 2001, "members", "summary"),
        ("ok", "everyone", "visibility"),
        ("ok", "", "visibility"),
    ],
)
def test_bad_input_is_refused_by_field(
    dbs: Session, room: ChatSession, organiser: User, summary: str, visibility: str, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        recaps.publish(dbs, organiser, room, summary, visibility, closes(room))
    assert set(refused.value.fields) == {field}


def test_a_summary_of_exactly_the_limit_is_kept(
    dbs: Session, room: ChatSession, organiser: User
) -> None:
    text = "y" * recaps.MAX_SUMMARY
    assert recaps.publish(dbs, organiser, room, text, "members", closes(room)).summary == text


def test_unpublishing_hides_it_and_publishing_again_dates_it_anew(
    dbs: Session, room: ChatSession, guest: User, member: User
) -> None:
    recaps.publish(dbs, guest, room, "Kept", "members", closes(room))
    with pytest.raises(Forbidden):
        recaps.unpublish(dbs, member, room, closes(room))
    recap = recaps.unpublish(dbs, guest, room, closes(room) + timedelta(hours=1))
    assert not recaps.can_view(member, room, recap)
    assert recap.summary == "Kept"
    with pytest.raises(ChatError):
        recaps.unpublish(dbs, guest, room, closes(room) + timedelta(hours=1))
    again = recaps.publish(dbs, guest, room, "Kept", "members", closes(room) + timedelta(hours=2))
    assert again.published_at == closes(room) + timedelta(hours=2)


def test_a_cancelled_session_has_no_recap(dbs: Session, room: ChatSession, organiser: User) -> None:
    room.cancelled = True
    dbs.commit()
    with pytest.raises(ChatError) as refused:
        recaps.publish(dbs, organiser, room, "", "members", closes(room))
    assert refused.value.code == "conflict"


# Reading


@pytest.mark.parametrize(
    ("state", "readers"),
    [
        ("none", {"guest", "organiser"}),
        ("unpublished", {"guest", "organiser"}),
        ("members", {"member", "guest", "organiser"}),
        ("public", {"anonymous", "member", "guest", "organiser"}),
    ],
)
def test_who_may_read(
    dbs: Session,
    room: ChatSession,
    organiser: User,
    guest: User,
    member: User,
    state: str,
    readers: set[str],
) -> None:
    if state != "none":
        recaps.publish(dbs, organiser, room, "", "public" if state == "public" else "members",
                       closes(room))  # fmt: skip
    if state == "unpublished":
        recaps.unpublish(dbs, organiser, room, closes(room))
    recap = recaps.get(dbs, room)
    people: dict[str, User | None] = {
        "anonymous": None, "member": member, "guest": guest, "organiser": organiser,
    }  # fmt: skip
    may = {name for name, viewer in people.items() if recaps.can_view(viewer, room, recap)}
    assert may == readers


def test_a_published_recap_of_a_session_cancelled_since_is_for_staff_only(
    dbs: Session, room: ChatSession, organiser: User, member: User
) -> None:
    recap = recaps.publish(dbs, organiser, room, "", "public", closes(room))
    room.cancelled = True
    dbs.commit()
    assert not recaps.can_view(member, room, recap)
    assert not recaps.can_view(None, room, recap)
    assert recaps.can_view(organiser, room, recap)
