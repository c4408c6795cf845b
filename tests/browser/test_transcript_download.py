"""The transcript: once the facilitator ends the hour, members get its links without
reloading, and each format holds what was said and asked."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ANA, BEN, MAYA, message, register_cast, send
from tests.conftest import LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

SAID = ["Endings stir old losses for me.", "Relief, then guilt about the relief."]
ASKED = "How do you end with a client who keeps cancelling?"


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    register_cast(live_server)
    return create_session(live_server, "Working with endings", MAYA)


def download(page: Any, link: str) -> str:
    section = page.get_by_role("region", name="Transcript")
    with page.expect_download() as started:
        section.get_by_role("link", name=link, exact=True).click()
    path = started.value.path()
    assert path is not None
    return path.read_text(encoding="utf-8-sig")


def test_members_download_the_transcript_in_every_format_once_it_ends(
    open_room: Callable,
) -> None:
    maya = open_room(MAYA)
    ana = open_room(ANA)
    ben = open_room(BEN)
    send(ana, SAID[0])
    send(ben, SAID[1])
    box = ana.get_by_label("Your question")
    box.fill(ASKED)
    ana.get_by_role("button", name="Ask", exact=True).click()
    expect(box).to_have_value("")
    expect(message(maya, SAID[1])).to_be_visible()
    transcript = ana.get_by_role("region", name="Transcript")
    expect(transcript).to_be_hidden()  # members download once the hour is over

    maya.once("dialog", lambda dialog: dialog.accept())
    maya.get_by_role("button", name="End session").click()
    expect(transcript).to_be_visible()

    document = json.loads(download(ana, "JSON"))
    assert [m["body"] for m in document["messages"]] == SAID
    assert [m["author"]["name"] for m in document["messages"]] == ["Ana", "Ben"]
    assert [q["body"] for q in document["questions"]] == [ASKED]

    rows = list(csv.DictReader(io.StringIO(download(ana, "CSV"))))
    assert [(row["author"], row["body"]) for row in rows] == [("Ana", SAID[0]), ("Ben", SAID[1])]

    markdown = download(ana, "Markdown")
    assert "# Transcript: Working with endings" in markdown
    assert all(line in markdown for line in SAID) and ASKED in markdown

    asked = list(csv.DictReader(io.StringIO(download(ana, "questions (CSV)"))))
    assert [(row["body"], row["asked_by"]) for row in asked] == [(ASKED, "Ana")]

    # the web page opens to read or print, rather than downloading
    transcript.get_by_role("link", name="Web page (printable)").click()
    expect(ana.get_by_role("heading", name="Transcript: Working with endings")).to_be_visible()
    for line in SAID:
        expect(ana.get_by_text(line)).to_be_visible()
    expect(ana.get_by_text(ASKED)).to_be_visible()
