"""Steering the hour: a guest facilitator posts questions, pins, locks and slows the room,
talks to the organisers backstage; trainees answer, filter, and always know why they can or
cannot write."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ANA,
    BEN,
    CAL,
    MAYA,
    OLU,
    add_prompts,
    message,
    messages_in,
    register_cast,
    seed_messages,
    send,
)
from tests.conftest import LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

Q1 = "What first drew you to this work, and has that changed during your training?"
Q2 = "What does an ending stir up in you?"
PAUSED = "The facilitator has paused the chat. You can still read."


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    register_cast(live_server)
    found = create_session(live_server, "Working with endings", MAYA)
    add_prompts(live_server, found, [Q1, Q2])
    return found


def panel(page: Any) -> Any:
    return page.get_by_role("region", name="Facilitator panel")


def backstage(page: Any) -> Any:
    return page.get_by_role("region", name=re.compile(r"^Backstage"))


def test_facilitator_posts_questions_and_members_answer_them(open_room: Callable) -> None:
    maya = open_room(MAYA)
    ana = open_room(ANA)
    steer = panel(maya)
    expect(steer).to_be_visible()
    expect(panel(ana)).to_have_count(0)  # members never get the controls
    expect(ana.get_by_label("Answering")).to_be_hidden()  # nothing to answer yet
    run_sheet = steer.get_by_role("list", name="Run sheet").get_by_role("listitem")
    expect(run_sheet).to_have_count(2)
    expect(run_sheet.nth(0).locator(".rs-status")).to_have_text("Next")
    expect(run_sheet.nth(1).locator(".rs-status")).to_have_text("Upcoming")

    steer.get_by_role("button", name=f"Post next: {Q1}").click()

    # the question arrives in the chat, labelled and emphasised, and pinned above it
    q1 = message(ana, Q1)
    expect(q1).to_have_class(re.compile(r"\bmsg-prompt\b"))
    expect(q1.locator(".prompt-label")).to_have_text("Q1")
    expect(q1.locator(".msg-meta")).to_contain_text("Q1 from Maya")
    banner = ana.get_by_role("region", name=re.compile(r"^Current question"))
    expect(banner.locator(".question-text")).to_have_text(f"Q1: {Q1}")
    expect(banner.locator(".question-time")).to_have_text(re.compile(r"^\d+:\d\d left$"))
    expect(run_sheet.nth(0).locator(".rs-status")).to_have_text("Q1 · current")
    expect(steer.get_by_role("button", name=f"Post next: {Q2}")).to_be_visible()

    answering = ana.get_by_label("Answering")
    expect(answering.locator("option:checked")).to_have_text("Q1 (current)")
    send(ana, "Curiosity about people, mostly.")
    expect(message(maya, "Curiosity about people").locator(".answer-tag")).to_have_text("A1")

    # the next question: a member who left "current" alone now answers it
    steer.get_by_role("button", name=f"Post next: {Q2}").click()
    expect(banner.locator(".question-text")).to_have_text(f"Q2: {Q2}")
    expect(answering.locator("option:checked")).to_have_text("Q2 (current)")
    expect(run_sheet.nth(0).locator(".rs-status")).to_have_text("Posted as Q1")
    expect(steer.locator("#post-next")).to_have_text("No more prompts to post")
    send(ana, "Old losses, if I am honest.")
    expect(message(maya, "Old losses").locator(".answer-tag")).to_have_text("A2")

    answering.select_option(label="Not an answer (general chat)")
    send(ana, "Hello from Leeds, everyone!")
    hello = message(maya, "Hello from Leeds")
    expect(hello).to_be_visible()
    expect(hello.locator(".answer-tag")).to_have_count(0)
    expect(message(ana, "Hello from Leeds")).to_have_attribute("data-status", "sent")
    expect(message(ana, "Hello from Leeds").locator(".answer-tag")).to_have_count(0)

    # going back makes Q1 current again, without posting it a second time
    steer.get_by_role("button", name="Back", exact=True).click()
    expect(banner.locator(".question-text")).to_have_text(f"Q1: {Q1}")
    expect(messages_in(ana).filter(has_text=Q1)).to_have_count(1)
    expect(steer.locator("#steer-status")).to_have_text("Back to Q1.")


def test_locking_and_slow_mode_tell_members_why_they_wait(open_room: Callable) -> None:
    maya = open_room(MAYA)
    ana = open_room(ANA)
    steer = panel(maya)
    send(maya, "Welcome, everyone.")
    welcome = message(ana, "Welcome, everyone.")
    box = ana.get_by_label("Your message")
    expect(box).to_be_editable()

    steer.get_by_role("button", name="Lock room").click()
    expect(box).to_be_disabled()
    expect(ana.get_by_text(PAUSED)).to_be_visible()
    expect(welcome.get_by_role("button", name="Heart")).to_be_disabled()
    expect(steer.locator("#lock-status")).to_have_text(
        "Room locked: members can read but not write."
    )
    # staff can still write in a locked room
    expect(maya.get_by_label("Your message")).to_be_editable()

    steer.get_by_role("button", name="Unlock room").click()
    expect(box).to_be_editable()
    expect(ana.get_by_text(PAUSED)).to_be_hidden()
    expect(welcome.get_by_role("button", name="Heart")).to_be_enabled()

    steer.get_by_label("Slow mode (members)").select_option("30")
    expect(ana.get_by_text("Slow mode: one message every 30 seconds.")).to_be_visible()
    send(ana, "A first thought.")
    expect(message(ana, "A first thought.")).to_have_attribute("data-status", "sent")
    send(ana, "And a second one, too soon.")
    wait = ana.locator("#composer-wait")
    expect(wait).to_contain_text("Slow mode is on: one message every 30 seconds.")
    expect(wait).to_contain_text(re.compile(r"Your next message will be sent in 0:[0-3]\d\."))
    second = message(ana, "And a second one")
    expect(second.locator(".msg-status")).to_contain_text(
        "Waiting for slow mode; it will be sent automatically."
    )
    expect(box).to_be_editable()  # writing on is fine; it waits its turn
    expect(message(maya, "And a second one")).to_have_count(0)


def test_a_pinned_message_is_shown_to_everyone_including_latecomers(
    open_room: Callable,
) -> None:
    maya = open_room(MAYA)
    ana = open_room(ANA)
    send(ana, "Endings with clients echo my own.")
    # members have nothing to pin with
    expect(message(ana, "Endings with clients").get_by_role("button", name="Pin")).to_have_count(0)

    message(maya, "Endings with clients").get_by_role("button", name="Pin").click()

    pinned = ana.get_by_role("region", name="Pinned")
    expect(pinned.locator(".msg-body")).to_have_text("Endings with clients echo my own.")
    expect(pinned.locator(".msg-author")).to_have_text("Ana")
    expect(pinned.get_by_role("button", name="Unpin")).to_have_count(0)
    mayas_copy = message(maya, "Endings with clients")
    expect(mayas_copy.get_by_role("button", name="Unpin")).to_be_visible()

    ben = open_room(BEN)
    expect(ben.get_by_role("region", name="Pinned").locator(".msg-body")).to_have_text(
        "Endings with clients echo my own."
    )

    # the author deletes it: it is no longer pinned anywhere
    ana.once("dialog", lambda dialog: dialog.accept())
    message(ana, "Endings with clients").get_by_role("button", name="Delete").click()
    for page in (ana, ben, maya):
        expect(page.locator("#pinned")).to_be_hidden()


def test_filtering_to_one_question_loads_its_earlier_answers(
    open_room: Callable, live_server: LiveServer, session_id: int
) -> None:
    maya = open_room(MAYA)
    panel(maya).get_by_role("button", name=f"Post next: {Q1}").click()
    expect(message(maya, Q1)).to_be_visible()
    # an early answer, then more than a page of history after it
    seed_messages(live_server, session_id, ANA, ["An early answer to the first."], answering=Q1)
    seed_messages(live_server, session_id, BEN, [f"Chatter {n}" for n in range(1, 106)])
    panel(maya).get_by_role("button", name=f"Post next: {Q2}").click()

    ana = open_room(ANA)
    send(ana, "Mostly sadness.")  # answers the current question, Q2
    ana.get_by_label("Answering").select_option(label=f"Q1: {Q1}")
    send(ana, "And a late answer to the first.")
    expect(message(ana, "And a late answer").locator(".answer-tag")).to_have_text("A1")

    cal = open_room(CAL)
    expect(message(cal, "An early answer")).to_have_count(0)  # not in the first page
    expect(cal.get_by_role("button", name="Load earlier messages")).to_be_attached()

    cal.get_by_label("Show").select_option(label="Q1 and its answers")

    expect(messages_in(cal).locator(".msg-body")).to_have_text(
        [Q1, "An early answer to the first.", "And a late answer to the first."]
    )
    expect(cal.get_by_role("status").filter(has_text="Showing Q1")).to_have_text(
        "Showing Q1 and its answers: 3 messages."
    )

    cal.get_by_label("Show").select_option(label="All messages")
    expect(messages_in(cal)).to_have_count(110)
    expect(cal.get_by_role("status").filter(has_text="Showing all")).to_have_text(
        "Showing all messages."
    )


def test_backstage_notes_reach_staff_and_never_members(open_room: Callable) -> None:
    maya = open_room(MAYA)
    olu = open_room(OLU)
    ana = open_room(ANA)
    expect(backstage(maya)).to_contain_text("only facilitators and organisers see this")

    backstage(maya).get_by_label("Note to the team").fill("Could you watch for distress?")
    backstage(maya).get_by_role("button", name="Send note").click()

    note = backstage(olu).get_by_role("listitem").filter(has_text="Could you watch for distress?")
    expect(note).to_have_count(1)
    expect(note.locator(".msg-author")).to_have_text("Maya")
    expect(note.locator(".role-badge")).to_have_text("Facilitator")
    expect(backstage(maya).get_by_role("listitem")).to_have_count(1)  # not twice

    # the member page has no backstage, no panel, and never the note
    expect(ana.locator("#backstage")).to_have_count(0)
    expect(backstage(ana)).to_have_count(0)
    expect(panel(ana)).to_have_count(0)
    expect(ana.get_by_text("Could you watch for distress?")).to_have_count(0)

    # an organiser opening the room later reads what was said before
    olu.reload()
    expect(backstage(olu).get_by_role("listitem")).to_have_text(
        [re.compile("Could you watch for distress?")]
    )


def test_a_revoked_facilitator_loses_the_panel_without_a_reload(
    open_room: Callable, live_server: LiveServer, session_id: int
) -> None:
    maya = open_room(MAYA)
    expect(panel(maya)).to_be_visible()
    maya.evaluate("() => (window.__notReloaded = true)")
    olu = open_room(OLU)

    olu.goto(f"{live_server.url}/organise/sessions/{session_id}/facilitators")
    olu.get_by_role("button", name="Revoke Maya").click()

    expect(panel(maya)).to_have_count(0)
    expect(maya.get_by_label("Your message")).to_be_editable()  # still in the room
    assert maya.evaluate("() => window.__notReloaded") is True


def test_the_room_fits_a_phone(open_room: Callable) -> None:
    maya = open_room(MAYA, viewport={"width": 390, "height": 844}, is_mobile=True)
    maya.get_by_role("tab", name="Facilitator").click()  # on a phone the panel has a tab
    panel(maya).get_by_role("button", name=f"Post next: {Q1}").click()
    panel(maya).get_by_role("button", name=f"Post next: {Q2}").click()
    ana = open_room(ANA, viewport={"width": 390, "height": 844}, is_mobile=True)
    # long options in "Answering" and "Show" must not widen the page
    expect(ana.get_by_label("Answering").locator("option")).to_have_count(3)
    panel(maya).get_by_role("button", name="Lock room").click()
    expect(ana.get_by_text(PAUSED)).to_be_visible()
    maya.get_by_role("tab", name="Chat").click()
    for page in (maya, ana):
        expect(page.locator("#current-question")).to_be_visible()
        # a phone browser widens its layout to fit what overflows, so measure against 390
        # (the tab row scrolls within itself: only its own box must fit)
        too_wide = page.evaluate(
            """() => [...document.querySelectorAll('main *')]
                .filter((el) => !el.closest('#room-tabs [role=tab]'))
                .filter((el) => el.getBoundingClientRect().right > 391)
                .map((el) => el.id || el.className || el.tagName)"""
        )
        assert too_wide == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_rehearsing_opens_a_private_copy_of_the_room(open_room: Callable) -> None:
    ana = open_room(ANA)
    expect(ana.locator("#rehearsal-banner")).to_be_hidden()
    maya = open_room(MAYA)

    panel(maya).get_by_role("button", name="Rehearse").click()

    expect(maya.get_by_role("heading", name="Rehearsal: Working with endings")).to_be_visible()
    expect(maya.locator("#rehearsal-banner")).to_have_text(
        "Rehearsal room: only you and this session's other facilitators and organisers can "
        "see it. Nothing here reaches members."
    )
    steer = panel(maya)
    expect(steer.get_by_role("button", name="Rehearse")).to_have_count(0)  # not from a copy
    steer.get_by_role("button", name=f"Post next: {Q1}").click()
    expect(message(maya, Q1).locator(".prompt-label")).to_have_text("Q1")
    # the real room did not move
    expect(ana.locator("#current-question")).to_be_hidden()
    expect(message(ana, Q1)).to_have_count(0)
