"""Reporting in the browser: a trainee reports a message through the dialog, and the
facilitator sees it arrive in the panel's queue, finds the message and resolves it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from chat.services import accounts, questions, schedule
from tests.browser.helpers import (
    ANA,
    BEN,
    MAYA,
    message,
    register_cast,
    seed_messages,
    send,
)
from tests.conftest import LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

HOSTILE = "Honestly, anyone who trains there is an idiot"
QUESTION = "Can I share the details of my client Jo, 34, from Leeds?"


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    register_cast(live_server)
    found = create_session(live_server, "Working with endings", MAYA)
    seed_messages(live_server, found, BEN, [HOSTILE])
    return found


@pytest.fixture
def open_room(rooms: Callable, session_id: int) -> Callable:
    """Open the room as someone once the reported message is there."""

    def open_as(email: str) -> Any:
        page = rooms(email, session_id)
        expect(message(page, HOSTILE)).to_be_visible()
        return page

    return open_as


def test_a_member_reports_and_the_facilitator_resolves_it(open_room: Callable) -> None:
    maya, ana = open_room(MAYA), open_room(ANA)
    expect(maya.get_by_text("No open reports.")).to_be_visible()
    send(ana, "My own message")
    expect(message(ana, "My own message").get_by_role("button", name="Report")).to_be_hidden()
    expect(message(maya, HOSTILE).get_by_role("button", name="Report")).to_be_hidden()  # staff

    report = message(ana, HOSTILE).get_by_role("button", name="Report")
    report.click()
    dialog = ana.get_by_role("dialog", name="Report this message")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(HOSTILE)
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose what the problem is.")
    dialog.get_by_label("Harassment or hostility").check()
    dialog.get_by_label("Anything the moderators should know (optional)").fill("Belittling")
    dialog.get_by_role("button", name="Send report").click()
    done = ana.get_by_role("dialog", name="Report sent")
    expect(done).to_contain_text(
        "Thank you. The moderators have your report; they will look at it soon."
    )
    expect(done.get_by_text("emergency services")).to_be_hidden()  # not a safeguarding report
    done.get_by_role("button", name="Close").click()
    expect(done).to_be_hidden()
    expect(report).to_be_focused()

    badge = maya.get_by_role("img", name="1 open report")
    expect(badge).to_have_text("1")
    queued = maya.locator(".report-item")
    expect(queued).to_contain_text("Ana reported Ben\u2019s message")
    expect(queued).to_contain_text("Harassment or hostility")
    expect(queued).to_contain_text("Note: Belittling")
    queued.get_by_role("button", name="Show message").click()
    expect(message(maya, HOSTILE)).to_be_focused()

    queued.get_by_label("Note for the audit log (optional)").fill("Spoke to Ben")
    queued.get_by_role("button", name="Resolve").click()
    expect(queued).to_have_count(0)
    expect(badge).to_be_hidden()
    expect(maya.get_by_text("No open reports.")).to_be_visible()


def test_a_safeguarding_report_is_urgent_and_escape_cancels(open_room: Callable) -> None:
    maya, ana = open_room(MAYA), open_room(ANA)
    report = message(ana, HOSTILE).get_by_role("button", name="Report")
    report.click()
    dialog = ana.get_by_role("dialog", name="Report this message")
    ana.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(report).to_be_focused()

    report.click()
    dialog.get_by_label("Safeguarding concern").check()
    dialog.get_by_role("button", name="Send report").click()
    expect(
        ana.get_by_role("dialog", name="Report sent").get_by_text("emergency services")
    ).to_be_visible()

    expect(maya.get_by_role("img", name="1 open report, 1 urgent")).to_be_visible()
    expect(maya.locator(".report-item.report-urgent")).to_contain_text("Urgent")


def test_a_question_is_reported_and_shown_from_the_queue(
    open_room: Callable, live_server: LiveServer, session_id: int
) -> None:
    with live_server.database() as db:
        questions.ask(db, accounts.user_by_email(db, BEN), schedule.get_session(db, session_id),
                      QUESTION, True, str(uuid.uuid4()), datetime.now(UTC), 60)  # fmt: skip
    maya, ana = open_room(MAYA), open_room(ANA)
    asked = ana.locator(".qa-item", has_text=QUESTION)
    asked.get_by_role("button", name="Report").click()
    dialog = ana.get_by_role("dialog", name="Report this question")
    dialog.get_by_label("Client confidentiality").check()
    dialog.get_by_role("button", name="Send report").click()
    expect(ana.get_by_role("dialog", name="Report sent")).to_be_visible()

    queued = maya.locator(".report-item")
    expect(queued).to_contain_text("Ana reported Ben\u2019s question")  # staff see anonymous askers
    queued.get_by_role("button", name="Show question").click()
    expect(maya.locator(".qa-item", has_text=QUESTION)).to_be_focused()
    queued.get_by_role("button", name="Dismiss").click()
    expect(maya.get_by_text("No open reports.")).to_be_visible()
