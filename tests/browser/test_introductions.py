"""Introducing yourself to the room, as people do it: the offer with a draft from the
profile, edited and posted; the "who's here" strip; a block; and a skip that stays skipped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from chat.services import accounts, blocks
from tests.browser.helpers import message
from tests.conftest import LiveServer
from tests.live_setup import create_session, register_users

pytestmark = pytest.mark.browser

SAM = "sam@example.org"
ANA = "ana@example.org"
BEN = "ben@example.org"
CAL = "cal@example.org"
DRAFT = (
    "Hi, I'm Sam (they/them), a second-year trainee in person-centred counselling at "
    "Metanoia, based in Leeds. Interested in grief and LGBTQ+ affirmative practice."
)
OFFER = "Introduce yourself to the room?"


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    """A session in its lobby; Sam has a full profile, and Ben has blocked Sam."""
    register_users(
        live_server,
        ("olu@example.org", "Olu", "", True),
        (SAM, "Sam", "they/them", False),
        (ANA, "Ana", "", False),
        (BEN, "Ben", "", False),
        (CAL, "Cal", "", False),
    )
    now = datetime.now(UTC)
    with live_server.database() as db:
        sam = accounts.user_by_email(db, SAM)
        sam.training_stage = "Diploma or degree, year 2"
        sam.modality = "person-centred counselling"
        sam.trains_at = "Metanoia"
        sam.region = "Leeds"
        sam.interests = "grief, LGBTQ+ affirmative practice"
        db.commit()
        blocks.block(db, accounts.user_by_email(db, BEN), sam.id, now)
    return create_session(live_server, "Working with endings")


def strip(page: object) -> object:
    return page.get_by_role("region", name="Introductions")  # type: ignore[attr-defined]


def test_a_member_introduces_themselves_and_the_room_sees_it(open_room: Callable) -> None:
    ben = open_room(BEN)  # in the room as Sam posts: the introduction reaches Ben live
    sam = open_room(SAM)
    offer = sam.get_by_role("region", name=OFFER)
    expect(offer).to_be_visible()
    box = offer.get_by_label(OFFER)
    expect(box).to_have_value(DRAFT)
    expect(sam.locator("#chat-status")).to_contain_text("introduce yourself")
    expect(sam.get_by_label("Your message")).not_to_be_focused()  # nothing steals focus
    box.fill("Hi, I'm Sam (they/them), training at Metanoia.\nGrief work, mostly.")
    expect(offer.locator("#introduce-counter")).to_have_text("66 / 2,000")
    offer.get_by_role("button", name="Post introduction").click()
    expect(offer).to_be_hidden()
    posted = message(sam, "training at Metanoia")
    expect(posted.locator(".introduction-label")).to_have_text("Introduction")

    ana = open_room(ANA)
    seen = message(ana, "training at Metanoia")
    expect(seen.locator(".introduction-label")).to_have_text("Introduction")
    expect(strip(ana)).to_contain_text("Sam")
    expect(strip(ana)).to_contain_text("Hi, I'm Sam (they/them), training at Metanoia.")
    expect(strip(ana)).not_to_contain_text("Grief work")  # the first line only
    expect(ana.locator("#whos-here-toggle")).to_have_text("Introductions (1)")
    expect(ana.locator("#whos-here-toggle")).to_have_attribute("aria-expanded", "true")

    # Ben blocked Sam: Ben's strip leaves Sam out, though the message reached Ben's log.
    expect(message(ben, "training at Metanoia")).to_be_visible()
    expect(ben.get_by_role("region", name=OFFER)).to_be_visible()
    expect(strip(ben)).to_be_hidden()
    cal = open_room(CAL)
    cal.get_by_role("region", name=OFFER).get_by_role("button", name="Post introduction").click()
    expect(strip(ben)).to_contain_text("Cal")
    expect(ben.locator("#whos-here-toggle")).to_have_text("Introductions (1)")
    expect(strip(ben)).not_to_contain_text("Sam")
    expect(ana.locator("#whos-here-toggle")).to_have_text("Introductions (2)")

    sam.reload()
    expect(sam.get_by_role("log", name="Chat")).to_be_visible()
    expect(sam.locator("#whos-here-toggle")).to_have_text("Introductions (2)")
    expect(sam.get_by_role("region", name=OFFER)).to_be_hidden()


def test_skipping_is_one_click_and_stays_skipped_after_a_reload(open_room: Callable) -> None:
    cal = open_room(CAL)
    offer = cal.get_by_role("region", name=OFFER)
    expect(offer).to_be_visible()
    offer.get_by_role("button", name="Skip").click()
    expect(offer).to_be_hidden()
    expect(cal.locator("#chat-status")).to_contain_text("Skipped")
    cal.reload()
    expect(cal.get_by_role("log", name="Chat")).to_be_visible()
    expect(cal.locator("#connection")).to_have_text("")
    expect(cal.get_by_label("Your message")).to_be_visible()
    expect(cal.get_by_role("region", name=OFFER)).to_be_hidden()


def test_escape_in_the_offer_skips_and_returns_focus_to_the_composer(
    open_room: Callable,
) -> None:
    ana = open_room(ANA)
    box = ana.get_by_role("region", name=OFFER).get_by_label(OFFER)
    box.focus()
    box.press("Escape")
    expect(ana.get_by_role("region", name=OFFER)).to_be_hidden()
    expect(ana.get_by_label("Your message")).to_be_focused()
