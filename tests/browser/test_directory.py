"""Finding each other: a member opts in to the directory on her profile, and another
finds her by the start of one of her interests."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ANA, BEN, sign_in
from tests.conftest import LiveServer
from tests.live_setup import register_users

pytestmark = pytest.mark.browser


def test_a_member_opts_in_and_another_finds_her_by_an_interest(
    browser: Any, live_server: LiveServer
) -> None:
    register_users(live_server, (ANA, "Ana", "she/her", False), (BEN, "Ben", "", False))
    errors: list[str] = []
    contexts = [browser.new_context(timezone_id="Europe/London", locale="en-GB") for _ in (1, 2)]
    try:
        ana = sign_in(contexts[0], live_server, ANA)
        ben = sign_in(contexts[1], live_server, BEN)
        for page in (ana, ben):
            page.on("pageerror", lambda exc: errors.append(str(exc)))

        # Ben looks first: nobody is listed, and the page says how to be.
        ben.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
        expect(ben.get_by_role("heading", name="Member directory")).to_be_visible()
        expect(ben.get_by_text("Nobody is listed yet.")).to_be_visible()

        # Ana introduces herself and opts in.
        ana.get_by_role("link", name="Profile").click()
        listed = ana.get_by_role("checkbox", name="List me in the member directory")
        expect(listed).not_to_be_checked()
        expect(listed).to_have_accessible_description(
            "If you tick this, a card about you appears in the member directory. The card shows "
            "your display name, pronouns, where you train or practise, modality, stage of "
            "training, country or region, interests, short bio, and the sessions you tick "
            "below. Nothing else: not your email, and not your contact details. Who sees it: "
            "only members who are signed in. The directory is never public, and members you "
            "have blocked, or who have blocked you, never see your card. It is off until you "
            "tick it, and unticking it removes your card at once."
        )
        ana.get_by_label("Modality").fill("Integrative")
        ana.get_by_label("Country or region").fill("Scotland")
        ana.get_by_label("Interests", exact=True).fill("Ecotherapy, grief")
        listed.check()
        ana.get_by_role("button", name="Save profile").click()
        expect(ana.get_by_role("status")).to_contain_text("Profile saved.")

        # Ben searches with the start of one of her interests, by keyboard.
        ben.reload()
        search = ben.get_by_role("searchbox", name="Search")
        search.fill("ecot")
        search.press("Enter")
        expect(ben.get_by_role("heading", name="1 member found")).to_be_visible()
        card = ben.get_by_role("article", name="Ana (she/her)")
        expect(card).to_contain_text("Integrative")
        expect(card).to_contain_text("Scotland")
        expect(card).to_contain_text("Ecotherapy, grief")
        expect(ben.get_by_role("combobox", name="Country or region")).to_contain_text("Scotland")
    finally:
        for context in contexts:
            context.close()
    assert errors == []
