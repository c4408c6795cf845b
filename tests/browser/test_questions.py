"""Questions from the room: trainees ask the facilitator (perhaps anonymously) and upvote,
before the session and during it; the facilitator approves, spotlights, answers, and turns
chat messages into questions."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ANA,
    BEN,
    CAL,
    MAYA,
    message,
    register_cast,
    send,
)
from tests.conftest import LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

ASKED = "How do you look after yourself after a hard ending?"


@pytest.fixture
def people(live_server: LiveServer) -> None:
    register_cast(live_server)


@pytest.fixture
def session_id(live_server: LiveServer, people: None) -> int:
    """A session whose lobby is open (it starts in a minute)."""
    return create_session(live_server, "Working with endings", MAYA)


def questions(page: Any) -> Any:
    return page.get_by_role("region", name="Questions from the room")


def open_list(page: Any) -> Any:
    return page.get_by_role("region", name=re.compile(r"^Open questions"))


def question(page: Any, text: str) -> Any:
    """A question, wherever it shows (now discussing, open, answered...)."""
    return questions(page).locator(".qa-item").filter(has=page.locator(".qa-body", has_text=text))


def ask(page: Any, text: str, anonymous: bool = False) -> None:
    box = questions(page).get_by_label("Your question")
    box.fill(text)
    if anonymous:
        questions(page).get_by_label("Ask anonymously").check()
    questions(page).get_by_role("button", name="Ask", exact=True).click()
    expect(box).to_have_value("")


def upvote(page: Any, text: str) -> Any:
    return question(page, text).get_by_role("button", name=re.compile(r"^Upvote: "))


def test_anonymous_question_before_the_session_is_upvoted_live(
    rooms: Callable, live_server: LiveServer, people: None
) -> None:
    # Two hours ahead: not even the lobby is open, but the queue already takes questions.
    later = create_session(live_server, "Endings", MAYA, starts_in=timedelta(hours=2))
    ana = rooms(ANA, later)
    ben = rooms(BEN, later)
    maya = rooms(MAYA, later)
    expect(ana.locator("#state-label")).to_have_text("Scheduled")
    expect(ana.get_by_label("Your message")).to_be_disabled()  # the chat waits...
    form = questions(ana)
    expect(form.get_by_text("the facilitators and organisers still see who asked")).to_be_visible()
    expect(form.get_by_text("0 / 500")).to_be_visible()

    ask(ana, ASKED, anonymous=True)  # ...the questions do not
    expect(
        form.get_by_role("status").filter(has_text="Your question is in the queue")
    ).to_be_visible()
    mine = question(ana, ASKED)
    expect(mine.locator(".qa-mine")).to_have_text("You asked this")
    expect(mine.get_by_role("button", name="Edit")).to_be_visible()
    expect(mine.get_by_role("button", name="Withdraw")).to_be_visible()

    # another member sees "Anonymous", never the name
    theirs = question(ben, ASKED)
    expect(theirs.locator(".qa-author")).to_have_text("Anonymous")
    expect(theirs).not_to_contain_text("Ana")
    expect(theirs.get_by_role("button", name="Withdraw")).to_be_hidden()
    vote = upvote(ben, ASKED)
    expect(vote).to_have_accessible_name("Upvote: How do you look after yourself…")
    expect(vote).to_have_attribute("aria-pressed", "false")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(theirs.locator(".qa-votes")).to_have_text("1 vote")

    # the asker sees the count change live; the facilitator sees who asked
    expect(mine.locator(".qa-votes")).to_have_text("1 vote")
    staff_view = question(maya, ASKED)
    expect(staff_view.locator(".qa-author")).to_have_text("Ana")
    expect(staff_view.locator(".qa-anon")).to_have_text("asked anonymously")
    expect(staff_view.locator(".qa-votes")).to_have_text("1 vote")

    # taking the vote back
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(mine.locator(".qa-votes")).to_have_text("0 votes")

    # one question every 30 seconds: the wait is explained and counted down
    form.get_by_label("Your question").fill("And what about endings we did not choose?")
    form.get_by_role("button", name="Ask", exact=True).click()
    wait = form.locator("#qa-ask-wait")
    expect(wait).to_have_text(re.compile(r"30 seconds.*You can ask again in 0:[0-3]\d\."))
    expect(form.get_by_label("Your question")).to_have_value(
        "And what about endings we did not choose?"
    )


def test_premoderated_question_waits_for_approval(open_room: Callable) -> None:
    maya = open_room(MAYA)
    ben = open_room(BEN)
    cal = open_room(CAL)
    note = "Questions are reviewed by the facilitators before they appear to everyone."
    expect(questions(ben).get_by_text(note)).to_be_hidden()
    expect(questions(ben).get_by_label("Pre-moderate questions")).to_be_hidden()

    questions(maya).get_by_label("Pre-moderate questions").check()
    expect(questions(ben).get_by_text(note)).to_be_visible()

    ask(ben, "Is it ever right to extend the work past the agreed ending?")
    expect(question(ben, "extend the work").locator(".qa-waiting")).to_have_text(
        "Waiting for approval"
    )
    pending = maya.get_by_role("region", name=re.compile(r"^Waiting for approval"))
    expect(pending.locator(".qa-item")).to_have_count(1)
    expect(pending.locator(".qa-author")).to_have_text("Ben")
    expect(question(cal, "extend the work")).to_have_count(0)  # not yet public
    expect(open_list(cal).get_by_text("No open questions yet.")).to_be_visible()

    pending.get_by_role("button", name="Approve").click()
    expect(question(cal, "extend the work")).to_be_visible()
    expect(question(ben, "extend the work").locator(".qa-waiting")).to_be_hidden()
    expect(pending).to_be_hidden()


def test_spotlight_then_answered_for_everyone(open_room: Callable) -> None:
    maya = open_room(MAYA)
    ana = open_room(ANA)
    ben = open_room(BEN)
    ask(ana, ASKED)
    expect(question(ben, ASKED)).to_be_visible()
    now = ben.get_by_role("region", name="Now discussing")
    expect(now).to_be_hidden()

    question(maya, ASKED).get_by_role("button", name="Spotlight").click()
    for page in (ana, ben, maya):
        discussing = page.get_by_role("region", name="Now discussing")
        expect(discussing.locator(".qa-body")).to_have_text(ASKED)
    expect(open_list(ben).locator(".qa-item")).to_have_count(0)
    expect(ben.locator("#qa-announcer")).to_have_text(f"Now discussing: {ASKED}")

    # spotlit by mistake: back in the queue, then spotlit again
    discussing = maya.get_by_role("region", name="Now discussing")
    discussing.get_by_role("button", name="Back to the queue").click()
    expect(ben.get_by_role("region", name="Now discussing")).to_be_hidden()
    expect(open_list(ben).locator(".qa-item")).to_have_count(1)
    question(maya, ASKED).get_by_role("button", name="Spotlight").click()
    expect(ben.get_by_role("region", name="Now discussing")).to_be_visible()

    maya.get_by_role("region", name="Now discussing").get_by_role(
        "button", name="Mark answered"
    ).click()
    for page in (ana, ben, maya):
        expect(page.get_by_role("region", name="Now discussing")).to_be_hidden()
        answered = questions(page).locator("#qa-answered")
        expect(answered.locator("> summary")).to_have_text("Answered (1)")
        answered.locator("> summary").click()
        expect(question(page, ASKED)).to_be_visible()
    expect(upvote(ben, ASKED)).to_be_disabled()

    # once the session is over, the queue takes no more questions
    maya.once("dialog", lambda dialog: dialog.accept())
    maya.get_by_role("button", name="End session").click()
    expect(questions(ben).get_by_label("Your question")).to_be_hidden()
    expect(
        questions(ben).get_by_text("This session has ended; it no longer takes questions.")
    ).to_be_visible()


def test_sorting_by_votes_or_newest(open_room: Callable) -> None:
    maya = open_room(MAYA)
    ana = open_room(ANA)
    ben = open_room(BEN)
    cal = open_room(CAL)
    first, second, third = (
        "What do you say in the very last session?",
        "Do you give clients something to take away?",
        "How early do you mention the ending?",
    )
    ask(ana, first)
    ask(ben, second)
    ask(maya, third)
    bodies = open_list(cal).locator(".qa-body")
    expect(bodies).to_have_text([first, second, third])  # no votes yet: oldest first
    upvote(cal, second).click()
    upvote(ana, second).click()
    upvote(ben, third).click()
    expect(question(cal, second).locator(".qa-votes")).to_have_text("2 votes")
    expect(bodies).to_have_text([second, third, first])

    questions(cal).get_by_label("Sort by").select_option("newest")
    expect(bodies).to_have_text([third, second, first])
    questions(cal).get_by_label("Sort by").select_option("votes")
    expect(bodies).to_have_text([second, third, first])


def test_facilitator_turns_a_chat_message_into_a_question(open_room: Callable) -> None:
    maya = open_room(MAYA)
    ana = open_room(ANA)
    ben = open_room(BEN)
    text = "Does anyone else find endings harder with clients they liked?"
    send(ana, text)
    expect(message(ana, text).get_by_role("button", name="Make a question")).to_be_hidden()

    message(maya, text).get_by_role("button", name="Make a question").click()
    expect(message(maya, text).locator(".msg-status")).to_have_text(
        "Added to the questions from the room."
    )
    made = question(ben, text)
    expect(made.locator(".qa-author")).to_have_text("Ana")
    expect(made.locator(".qa-from-chat")).to_have_text("From the chat")
    expect(question(ana, text).locator(".qa-mine")).to_be_visible()

    # twice is harmless: the same question
    message(maya, text).get_by_role("button", name="Make a question").click()
    expect(message(maya, text).locator(".msg-status")).to_have_text(
        "Already in the questions from the room."
    )
    expect(open_list(ben).locator(".qa-item")).to_have_count(1)


def test_asker_edits_and_withdraws_their_question(open_room: Callable) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    ask(ana, "How do you end with a client who keeps cancelling?")
    mine = question(ana, "keeps cancelling")
    expect(question(ben, "keeps cancelling").get_by_role("button", name="Edit")).to_be_hidden()

    mine.get_by_role("button", name="Edit").click()
    editor = mine.get_by_label("Edit the question")
    expect(editor).to_be_focused()
    editor.fill("How do you end well with a client who keeps cancelling?")
    mine.get_by_role("button", name="Save").click()
    edited = question(ben, "end well with a client")
    expect(edited).to_be_visible()
    expect(edited.locator(".qa-edited")).to_be_hidden()  # the asker's own words

    ana.once("dialog", lambda dialog: dialog.accept())  # "Withdraw your question?"
    question(ana, "end well").get_by_role("button", name="Withdraw").click()
    expect(question(ben, "end well")).to_have_count(0)
    expect(question(ana, "end well")).to_have_count(0)
    expect(open_list(ben).get_by_text("No open questions yet.")).to_be_visible()
