"""The group agreement as a member meets it: before the first room, and when it changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from chat.services import accounts, conduct
from tests.browser.helpers import sign_in
from tests.conftest import LiveServer
from tests.live_setup import create_session, register_users

pytestmark = pytest.mark.browser

AGREEMENT = "# Our agreement\n\n- Be **kind**.\n- Keep clients' details out of the chat."
NOTE = "Mentions bereavement and suicide."


def publish(server: LiveServer, body: str) -> None:
    """An organiser publishes a version (as on /organise/agreement)."""
    with server.database() as db:
        conduct.publish(db, accounts.first_organiser(db), body, datetime.now(UTC))


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    """A session whose lobby is open, with a content note, and an agreement in force."""
    register_users(
        live_server, ("olu@example.org", "Olu", "", True), ("tam@example.org", "Tam", "", False)
    )
    session_id = create_session(live_server, "Endings", content_note=NOTE)
    publish(live_server, AGREEMENT)
    return session_id


def test_a_member_accepts_with_the_keyboard_and_lands_in_the_room(
    browser: Any, live_server: LiveServer, session_id: int
) -> None:
    context = browser.new_context(locale="en-GB")
    try:
        page = sign_in(context, live_server, "tam@example.org")
        page.goto(f"{live_server.url}/sessions/{session_id}")
        expect(page).to_have_url(re.compile(rf"/agreement\?next=/sessions/{session_id}$"))
        expect(page.get_by_role("heading", name="Our agreement")).to_be_visible()
        expect(page.get_by_role("article", name=re.compile("group agreement"))).to_contain_text(
            "Be kind."
        )

        # Sending without ticking the box: the error is announced and tied to the box.
        agree = page.get_by_role("checkbox", name="I have read and agree to the group agreement")
        submit = page.get_by_role("button", name="Accept and continue")
        submit.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("Tick the box")
        expect(agree).to_have_accessible_description("Tick the box to accept the agreement.")

        agree.focus()
        page.keyboard.press("Space")
        expect(agree).to_be_checked()
        page.keyboard.press("Tab")
        expect(submit).to_be_focused()
        page.keyboard.press("Enter")

        expect(page).to_have_url(f"{live_server.url}/sessions/{session_id}")
        expect(page.get_by_text("Thank you for accepting the group agreement.")).to_be_visible()
        chat = page.get_by_role("log", name="Chat")
        expect(chat).to_have_accessible_description(f"Content note: {NOTE}")
        expect(page.locator("#room-content-note")).to_be_visible()
        expect(page.locator("#presence-count")).to_have_text("1")  # joined over the socket
    finally:
        context.close()


def test_a_changed_agreement_sends_an_open_tab_to_read_it_on_the_next_join(
    browser: Any, live_server: LiveServer, session_id: int
) -> None:
    context = browser.new_context(locale="en-GB")
    try:
        page = sign_in(context, live_server, "tam@example.org")
        page.goto(f"{live_server.url}/sessions/{session_id}")
        page.get_by_label("I have read and agree to the group agreement").check()
        page.get_by_role("button", name="Accept and continue").click()
        expect(page.locator("#presence-count")).to_have_text("1")

        page.evaluate("() => window.chatSocket.disconnect()")
        publish(live_server, AGREEMENT + "\n- No screenshots of the room.")
        page.evaluate("() => window.chatSocket.connect()")

        expect(page).to_have_url(re.compile(rf"/agreement\?next=%2Fsessions%2F{session_id}$"))
        expect(page.get_by_text("No screenshots of the room.")).to_be_visible()
        page.get_by_label("I have read and agree to the group agreement").check()
        page.get_by_role("button", name="Accept and continue").click()
        expect(page).to_have_url(f"{live_server.url}/sessions/{session_id}")
        expect(page.locator("#presence-count")).to_have_text("1")
    finally:
        context.close()
