"""What a person does in the browser: sign in, open a session's room."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.helpers import PASSWORD


def sign_in(context: Any, server: LiveServer, email: str) -> Any:
    """A new page in `context`, signed in through the login form."""
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    return page


def create_user(server: LiveServer, email: str, name: str, *extra: str) -> None:
    made = server.flask("users", "create", email, "--name", name, *extra, stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
