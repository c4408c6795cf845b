"""Resources in the room: one person shares a link, another sees it with its domain,
opening safely in a new tab, and upvotes it; a bad link is refused inline; the
facilitator features it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ANA, BEN, MAYA, register_cast
from tests.conftest import LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

TITLE = "Endings in therapy: a short guide"


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    """A session whose lobby is open (it starts in a minute)."""
    register_cast(live_server)
    return create_session(live_server, "Working with endings", MAYA)


def panel(page: Any) -> Any:
    return page.get_by_role("region", name="Resources")


def resource(page: Any, title: str) -> Any:
    return panel(page).locator(".resource-item").filter(has_text=title)


def named(action: str) -> re.Pattern[str]:
    """A staff button's name: the action, then which resource."""
    return re.compile(rf"^{action}\W+{re.escape(TITLE)}$")


def test_a_shared_resource_is_seen_by_the_other_with_its_domain_and_upvoted(
    rooms: Callable, session_id: int
) -> None:
    ana, ben = rooms(ANA, session_id), rooms(BEN, session_id)
    share = panel(ana)
    share.get_by_text("Share a resource").click()
    share.get_by_label("Title").fill(TITLE)
    share.get_by_label("Link").fill("javascript:alert(1)")
    share.get_by_role("button", name="Share", exact=True).click()
    expect(share.get_by_label("Link")).to_have_attribute("aria-invalid", "true")
    expect(share.locator("#resource-url-error")).to_contain_text("https://")
    expect(resource(ben, TITLE)).to_have_count(0)

    share.get_by_label("Link").fill("https://www.example.org/endings")
    share.get_by_label("Note (optional)").fill("Useful before a last session.")
    share.get_by_role("button", name="Share", exact=True).click()
    expect(share.get_by_label("Title")).to_have_value("")

    item = resource(ben, TITLE)
    expect(item).to_be_visible()
    link = item.get_by_role("link", name=re.compile(r"^Endings in therapy"))
    expect(link).to_have_attribute("href", "https://www.example.org/endings")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(item.locator(".resource-domain")).to_have_text("example.org")
    expect(item).to_contain_text("Useful before a last session.")
    expect(item).to_contain_text("Shared by Ana")
    expect(resource(ana, TITLE).get_by_role("button", name=re.compile("^Upvote"))).to_be_hidden()

    upvote = item.get_by_role("button", name=f"Upvote: {TITLE}")
    expect(upvote).to_have_attribute("aria-pressed", "false")
    upvote.click()
    expect(upvote).to_have_attribute("aria-pressed", "true")
    expect(item.locator(".qa-votes")).to_have_text("1 upvote")
    expect(resource(ana, TITLE).locator(".qa-votes")).to_have_text("1 upvote")
    expect(item.get_by_role("button", name=re.compile("^Feature"))).to_be_hidden()  # staff only


def test_the_facilitator_features_a_resource_for_everyone(rooms: Callable, session_id: int) -> None:
    ana, maya = rooms(ANA, session_id), rooms(MAYA, session_id)
    share = panel(ana)
    share.get_by_text("Share a resource").click()
    share.get_by_label("Title").fill(TITLE)
    share.get_by_label("Link").fill("https://example.org/endings")
    share.get_by_role("button", name="Share", exact=True).click()
    expect(resource(maya, TITLE)).to_be_visible()
    feature = resource(maya, TITLE).get_by_role("button", name=named("Feature"))
    feature.click()
    expect(resource(ana, TITLE).get_by_text("Featured", exact=True)).to_be_visible()
    expect(resource(maya, TITLE).get_by_role("button", name=named("Unfeature"))).to_be_visible()
    resource(maya, TITLE).get_by_role("button", name=named("Remove")).click()
    expect(resource(ana, TITLE)).to_have_count(0)
    expect(panel(ana).get_by_text("No resources shared yet.")).to_be_visible()
