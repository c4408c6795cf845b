"""Registering and signing in, as two new people do it at the same time in two browsers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

PEOPLE = [
    # (email, display name, pronouns, password, the browser's zone)
    ("kim@example.org", "Kim Lee", "they/them", "a calm harbour at dusk", "Europe/Paris"),
    ("rae@example.org", "Rae Okoro", "she/her", "tea, then supervision", "America/New_York"),
]


def signed_in_as(page: Any, name: str) -> None:
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_label("Display name")).to_have_value(name)


def test_two_people_register_sign_out_and_sign_in_again(
    browser: Any, live_server: LiveServer
) -> None:
    contexts = [browser.new_context(timezone_id=zone, locale="en-GB") for *_, zone in PEOPLE]
    errors: list[str] = []
    try:
        pages = [context.new_page() for context in contexts]
        for page in pages:
            page.on("pageerror", lambda exc: errors.append(str(exc)))

        # both register at once: fill in both forms, then send both
        for page, (email, name, pronouns, password, _) in zip(pages, PEOPLE, strict=True):
            page.goto(f"{live_server.url}/register")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Display name").fill(name)
            page.get_by_label("Pronouns (optional)").fill(pronouns)
            page.get_by_label("Password").fill(password)
        for page in pages:
            page.get_by_role("button", name="Register").click()
        for page, (_, name, pronouns, _, _) in zip(pages, PEOPLE, strict=True):
            expect(page.get_by_role("status")).to_contain_text("Welcome!")
            signed_in_as(page, name)
            expect(page.get_by_label("Pronouns")).to_have_value(pronouns)

        for page in pages:
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("status")).to_contain_text("You are signed out.")
            nav = page.get_by_role("navigation", name="Main")
            expect(nav.get_by_role("link", name="Sign in")).to_be_visible()

        # a wrong password: announced, and tied to the field
        for page, (email, *_) in zip(pages, PEOPLE, strict=True):
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill("not my password")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("alert")).to_contain_text("do not match")
            password = page.get_by_label("Password")
            expect(password).to_have_attribute("aria-invalid", "true")
            expect(password).to_have_accessible_description(re.compile("do not match"))
            expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

        for page, (email, name, _, secret, _) in zip(pages, PEOPLE, strict=True):
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(secret)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
            signed_in_as(page, name)
    finally:
        for context in contexts:
            context.close()
    assert errors == []
