"""Security headers on every page, and no inline script anywhere in the templates."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import User
from tests.conftest import Auth
from tests.helpers import Clock, make_session

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part for part in (p.strip() for p in policy.split(";"))}


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/schedule.ics", "/nowhere"])
def test_every_response_carries_the_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    policy = directives(response)
    assert policy["default-src"] == "default-src 'self'"
    assert policy["script-src"] == "script-src 'self'"
    assert policy["style-src"] == "style-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["object-src"] == "object-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_signed_in_pages_render_without_inline_script(
    client: FlaskClient, auth: Auth, organiser: User
) -> None:
    room = make_session(db.session, organiser)
    auth.login(organiser.email)
    for path in ["/organise/", f"/sessions/{room.id}", f"/sessions/{room.id}/run-sheet"]:
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert INLINE_SCRIPT.search(html) is None, path
        assert EVENT_HANDLER.search(html) is None, path
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=str)
def test_no_template_holds_inline_script_or_event_handlers(template: Path) -> None:
    source = template.read_text()
    assert INLINE_SCRIPT.search(source) is None
    assert EVENT_HANDLER.search(source) is None


def test_the_transcript_page_s_own_style_block_is_allowed_by_its_nonce_only(
    client: FlaskClient, auth: Auth, organiser: User, clock: Clock
) -> None:
    room = make_session(db.session, organiser)
    clock.now = room.starts_at + timedelta(hours=2)
    auth.login(organiser.email)
    page = client.get(f"/sessions/{room.id}/transcript.html")
    (nonce,) = re.findall(r'<style nonce="([^"]+)">', page.get_data(as_text=True))
    assert directives(page)["style-src"] == f"style-src 'self' 'nonce-{nonce}'"
    again = client.get(f"/sessions/{room.id}/transcript.html")
    assert directives(again)["style-src"] != directives(page)["style-src"]
