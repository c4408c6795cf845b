"""Ana asks Ben to connect with a note; Ben accepts; each then sees what the other shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from chat.models import User
from chat.services import accounts, connections
from tests.browser.helpers import ANA, BEN, CAL, register_cast, sign_in
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

NOTE = "Hello Ben, we both work with grief. Shall we stay in touch?"


def share_contact_details(server: LiveServer) -> int:
    """Ana and Ben are in the directory with contact details to share; Ben's id."""
    with server.database() as db:
        people = {u.email: u for u in db.scalars(select(User).where(User.email.in_([ANA, BEN])))}
        for user in people.values():
            user.directory_listed = True
        people[ANA].contact_email = "ana@practice.example"
        people[BEN].contact_website = "https://ben-counselling.example"
        db.commit()
        return people[BEN].id


def seed_connections(server: LiveServer, troublemaker: str) -> None:
    """Ana's Connections page with something in every list: Ben's request, a connection
    with Cal (who shares an email), and `troublemaker` blocked after a reported request."""
    now = datetime.now(UTC)
    with server.database() as db:
        ana, ben, cal, other = (
            accounts.user_by_email(db, email) for email in (ANA, BEN, CAL, troublemaker)
        )
        for user in (ana, ben, cal, other):
            user.directory_listed = True
        cal.contact_email = "cal@counselling.example"
        db.commit()
        connections.request(db, ben, ana.id, "We met in the silence session.", now, 0)
        connections.accept(db, ana, connections.request(db, cal, ana.id, "", now, 0).id, now)
        unwanted = connections.request(db, other, ana.id, "Buy my course", now, 0)
        connections.report(db, ana, unwanted.id, "spam", "Advertising", now)
        connections.block_member(db, ana, other.id, now)


def test_a_request_with_a_note_accepted_shows_each_the_others_details(
    browser: Any, live_server: LiveServer
) -> None:
    register_cast(live_server)
    ben_id = share_contact_details(live_server)
    ana_context = browser.new_context(locale="en-GB")
    ben_context = browser.new_context(locale="en-GB")
    try:
        ana = sign_in(ana_context, live_server, ANA)
        ana.goto(f"{live_server.url}/members/{ben_id}/connect")
        expect(ana.get_by_role("heading", name="Connect with Ben")).to_be_visible()
        note = ana.get_by_label("A short note (optional)")
        note.fill(NOTE)
        expect(ana.locator("#note-counter")).to_have_text(f"{len(NOTE)} / 300")
        ana.get_by_role("button", name="Send the request").click()
        expect(ana.get_by_role("status")).to_contain_text("Your request is on its way to Ben.")
        expect(ana.get_by_text("waiting for their answer")).to_be_visible()

        ben = sign_in(ben_context, live_server, BEN)
        nav = ben.get_by_role("navigation", name="Main")
        link = nav.get_by_role("link", name="Connections 1 request to answer")
        expect(link).to_be_visible()
        link.click()
        requests = ben.get_by_role("region", name="Requests for you")
        expect(requests).to_contain_text("Ana asked to connect")
        expect(requests).to_contain_text(NOTE)
        expect(ben.get_by_text("ana@practice.example")).to_have_count(0)
        requests.get_by_role("button", name="Accept the request from Ana").focus()
        ben.keyboard.press("Enter")
        expect(ben.get_by_role("status")).to_contain_text("Connected")
        ben_sees = ben.get_by_role("region", name="Your connections")
        expect(ben_sees.get_by_role("link", name="ana@practice.example")).to_have_attribute(
            "href", "mailto:ana@practice.example"
        )

        ana.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
        ana_sees = ana.get_by_role("region", name="Your connections")
        website = ana_sees.get_by_role("link", name="https://ben-counselling.example")
        expect(website).to_have_attribute("rel", "noopener noreferrer")
        expect(ana.get_by_role("region", name="Requests you sent")).to_contain_text(
            "No requests waiting"
        )
    finally:
        ana_context.close()
        ben_context.close()
