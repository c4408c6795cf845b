"""An axe-core scan of every page type, in light and dark colour schemes where it matters.

axe-core comes from the npm registry at test time (`.ci/run` installs it into
tests/browser/.axe/); it is evaluated into each page through the DevTools protocol, which
our Content-Security-Policy (script-src 'self') does not govern, so the pages keep their
real policy while they are scanned. Any violation of impact "serious" or "critical" fails,
reported with its rule, help text and the selectors of the offending elements.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from chat.services import (
    accounts,
    attendance,
    conduct,
    consent,
    invitations,
    prompts,
    questions,
    recaps,
    schedule,
)
from tests.browser.helpers import (
    ANA,
    BEN,
    CAL,
    LOBBY_MINUTES,
    MAYA,
    OLU,
    create_past_session,
    hold_session,
    register_cast,
    seed_messages,
    sign_in,
)
from tests.browser.test_connections import seed_connections
from tests.conftest import ROOT, LiveServer
from tests.helpers import missing_service
from tests.live_setup import create_session, register_users

pytestmark = pytest.mark.browser

AXE = ROOT / "tests" / "browser" / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
DEE = "dee@example.org"  # signed up, has not accepted the group agreement yet

Q1 = "What first drew you to this work, and has that changed during your training?"
Q2 = "What does an ending stir up in you?"
ABOUT = {
    "description": "A conversation about **endings** with clients.",
    "content_note": "Bereavement and loss.",
}
LINES = [
    (ANA, "Old losses, if I am honest. Supervision helps me notice them."),
    (BEN, "Relief, then guilt about the relief."),
    (CAL, "A wish to do it perfectly, which is its own kind of avoidance."),
]


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        missing_service(
            "axe-core is not installed "
            "(npm install --no-save --prefix tests/browser/.axe axe-core@4)"
        )
    return AXE.read_text(encoding="utf-8")


@dataclass
class Site:
    """One server for the whole module, with every kind of page there is to see."""

    server: LiveServer
    lobby: int  # opens for chat in a minute
    live: int  # went live five minutes ago: prompt posted, messages, a question
    reviewing: int  # ended two hours ago: its review window is open
    recapped: int  # ended three days ago, recap published
    certificate: str  # Ana's certificate code for `recapped`
    invitation: str  # a link token inviting a newcomer to facilitate `lobby`
    series: int
    signed_in: dict[str, Any]  # email -> Playwright storage state


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, browser: Any, axe_source: str) -> Iterator[Site]:
    server = LiveServer(Path(tmp_path_factory.mktemp("a11y"))).start()
    try:
        register_cast(server)
        register_users(server, (DEE, "Dee", "", False))
        now = datetime.now(UTC)
        with server.database() as db:
            olu = accounts.user_by_email(db, OLU)
            version, _ = conduct.publish(
                db, olu, "1. Keep client details out of the chat.\n2. Be kind.", now
            )
            for email in (OLU, MAYA, ANA, BEN, CAL):
                conduct.accept(db, accounts.user_by_email(db, email), version.id, now)
        seed_connections(server, DEE)

        lobby = create_session(server, "Working with endings", MAYA)
        seed_messages(server, lobby, ANA, ["Hello from Leeds, early as ever."])

        live = create_past_session(
            server, "Staying with silence", timedelta(minutes=5), [Q1, Q2], **ABOUT
        )
        with server.database() as db:
            found = schedule.get_session(db, live)
            maya = accounts.user_by_email(db, MAYA)
            prompts.post_prompt(db, maya, found, None, datetime.now(UTC), LOBBY_MINUTES)
        seed_messages(server, live, MAYA, ["Welcome, everyone."])
        seed_messages(server, live, ANA, ["Curiosity about people, mostly."], answering=Q1)
        seed_messages(server, live, BEN, ["@Ana same here, and a hospice placement."])
        with server.database() as db:
            found = schedule.get_session(db, live)
            ben = accounts.user_by_email(db, BEN)
            questions.ask(
                db,
                ben,
                found,
                "How do you end with a client who keeps cancelling?",
                False,
                str(uuid.uuid4()),
                datetime.now(UTC),
                LOBBY_MINUTES,
            )

        reviewing = create_past_session(
            server, "Endings, revisited", timedelta(hours=2), [Q1, Q2], **ABOUT
        )
        hold_session(server, reviewing, LINES)
        recapped = create_past_session(
            server, "Working with silence", timedelta(days=3), [Q1, Q2], **ABOUT
        )
        hold_session(server, recapped, LINES)
        now = datetime.now(UTC)
        with server.database() as db:
            found = schedule.get_session(db, recapped)
            ben = accounts.user_by_email(db, BEN)
            mine = consent.review(db, ben, found, now).items[0]
            consent.set_consent(db, ben, found, "message", mine.id, "anonymise", now)
            recaps.publish(
                db,
                accounts.user_by_email(db, MAYA),
                found,
                "We stayed with what endings stir up in us. Thank you all for your honesty.",
                "members",
                now,
            )
            olu = accounts.user_by_email(db, OLU)
            issued = attendance.issue_certificate(
                db, accounts.user_by_email(db, ANA), found, now, 50
            )
            code = issued.code
            token = invitations.create_invitation(
                db, olu, schedule.get_session(db, lobby), "new@example.org",
                server.env["SECRET_KEY"], now,
            )[1]  # fmt: skip
            series = schedule.create_series(
                db, olu, schedule.SeriesInput("TraineeTalk", 1, "20:00", "Europe/London", 60), now
            ).id

        # sign each person in once (password hashing is slow) and reuse their cookies
        signed_in = {}
        for email in (OLU, MAYA, ANA, DEE):
            context = browser.new_context()
            sign_in(context, server, email)
            signed_in[email] = context.storage_state()
            context.close()
        yield Site(server, lobby, live, reviewing, recapped, code, token, series, signed_in)
    finally:
        server.stop()


class Scanner:
    """Opens pages in fresh browser contexts and collects what axe-core finds in them."""

    def __init__(self, browser: Any, site: Site, axe_source: str) -> None:
        self.browser = browser
        self.site = site
        self.axe_source = axe_source
        self.contexts: list[Any] = []
        self.problems: list[str] = []
        self.errors: list[str] = []

    def open(self, who: str | None, path: str, status: int = 200) -> Any:
        """A page at `path`, as `who` (None: anonymous), answered with `status`."""
        state = self.site.signed_in[who] if who else None
        context = self.browser.new_context(
            timezone_id="Europe/London", locale="en-GB", storage_state=state
        )
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{path}: {exc}"))
        response = page.goto(f"{self.site.server.url}{path}")
        assert response is not None and response.status == status, (path, response)
        assert page.url == f"{self.site.server.url}{path}", f"{path} went to {page.url}"
        return page

    def scan(self, page: Any, label: str) -> None:
        """Run axe-core on the page as it is now, in the light and the dark colour scheme
        (the stylesheet follows the system setting); remember serious and critical findings."""
        page.evaluate(self.axe_source)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
            for violation in result["violations"]:
                if violation["impact"] in FAILING_IMPACTS:
                    self.problems.append(describe(f"{label} [{scheme}]", violation))

    def visit(self, who: str | None, path: str, label: str, status: int = 200) -> Any:
        page = self.open(who, path, status)
        self.scan(page, label)
        return page

    def room(self, who: str, session_id: int, label: str) -> Any:
        """A session's page once its script has connected and drawn the chat."""
        page = self.open(who, f"/sessions/{session_id}")
        chat = page.get_by_role("log", name="Chat")
        expect(chat).to_be_visible()
        expect(page.locator("#connection")).to_have_text("")
        expect(chat.get_by_role("listitem").first).to_be_visible()
        self.scan(page, label)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def check(self) -> None:
        assert self.errors == []
        assert not self.problems, "axe-core found serious or critical violations:\n" + "".join(
            self.problems
        )


def describe(where: str, violation: dict[str, Any]) -> str:
    """One violation, with what to read and which elements to fix."""
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
    more = f"    ... and {len(targets) - 10} more\n" if len(targets) > 10 else ""
    return (
        f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}\n"
        f"    {violation['helpUrl']}\n"
        + "".join(f"    at {target}\n" for target in targets[:10])
        + more
    )


@pytest.fixture
def scanner(browser: Any, site: Site, axe_source: str) -> Iterator[Scanner]:
    scanning = Scanner(browser, site, axe_source)
    yield scanning
    scanning.close()


def test_public_pages(scanner: Scanner, site: Site) -> None:
    page = scanner.visit(None, "/", "schedule (anonymous)")
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    scanner.visit(None, "/login", "sign-in")
    scanner.visit(None, "/register", "register")
    scanner.visit(None, "/agreement", "group agreement (anonymous)")
    scanner.visit(None, "/certificates/verify", "certificate verify (form)")
    scanner.visit(None, f"/certificates/verify?code={site.certificate}", "certificate verify")
    scanner.visit(None, "/certificates/verify?code=TT-0000-0000", "certificate unknown", 404)
    scanner.visit(None, "/no-such-page", "not found", 404)
    scanner.visit(None, f"/invitations/{site.invitation}", "invitation")
    with site.server.database() as db:
        maya = accounts.user_by_email(db, MAYA).id
    scanner.visit(None, f"/facilitators/{maya}", "facilitator profile")
    page = scanner.open(None, "/register")
    page.get_by_role("button", name="Register").click()  # errors tied to the fields
    expect(page.locator(".error").first).to_be_visible()
    scanner.scan(page, "register with errors")
    scanner.check()


def test_member_pages(scanner: Scanner, site: Site) -> None:
    scanner.visit(ANA, "/", "schedule (member, review banner)")
    scanner.visit(ANA, "/profile", "profile")
    scanner.visit(ANA, "/profile/delete", "delete account")
    scanner.visit(ANA, "/connections", "connections")
    scanner.visit(ANA, "/members", "member directory")
    scanner.visit(ANA, "/members?q=nobody-has-this", "member directory (nothing found)")
    scanner.visit(DEE, f"/agreement?next=/sessions/{site.live}", "group agreement (to accept)")
    scanner.room(ANA, site.lobby, "lobby (member)")
    page = scanner.room(ANA, site.live, "live room (member)")
    box = page.get_by_label("Your message")
    box.fill("My client Sarah, a 34-year-old teacher from Leeds, said something that stayed")
    box.press("Enter")
    guard = page.get_by_role("alertdialog", name="This may identify a client")
    expect(guard).to_be_visible()
    scanner.scan(page, "confidentiality prompt")
    guard.get_by_role("button", name="Edit message").click()
    box.fill("")
    page.get_by_role("log", name="Chat").get_by_role("listitem").filter(
        has_text="hospice placement"
    ).get_by_role("button", name="Report").click()
    expect(page.get_by_role("dialog", name="Report this message")).to_be_visible()
    scanner.scan(page, "report dialog")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Pause live updates").click()
    page.locator("#room-settings > summary").click()
    expect(page.get_by_label("Play a gentle sound then")).to_be_visible()
    scanner.scan(page, "live room (paused, room settings open)")
    page.locator("#room-settings > summary").click()
    box.fill("@b")
    expect(page.get_by_role("listbox")).to_be_visible()
    scanner.scan(page, "mention suggestions")
    box.fill("")
    page.set_viewport_size({"width": 360, "height": 740})
    page.get_by_role("tab", name=re.compile("^Questions")).click()
    expect(page.get_by_role("tabpanel")).to_be_visible()
    scanner.scan(page, "live room on a phone (questions tab)")
    scanner.visit(ANA, f"/sessions/{site.reviewing}/review", "review")
    scanner.visit(ANA, f"/sessions/{site.recapped}/recap", "recap")
    scanner.visit(ANA, f"/sessions/{site.recapped}/recap.html", "recap download")
    scanner.visit(ANA, f"/sessions/{site.recapped}/transcript.html", "transcript")
    scanner.room(ANA, site.recapped, "ended session (member)")
    scanner.check()


def test_facilitator_pages(scanner: Scanner, site: Site) -> None:
    scanner.room(MAYA, site.lobby, "lobby (facilitator)")
    page = scanner.room(MAYA, site.live, "live room (facilitator)")
    asked = page.locator("#questions .qa-item").filter(has_text="keeps cancelling")
    asked.get_by_role("button", name="Spotlight").click()
    expect(page.get_by_role("region", name="Now discussing")).to_be_visible()
    scanner.scan(page, "live room (facilitator, question spotlit)")
    page.get_by_role("log", name="Chat").get_by_role("listitem").filter(
        has_text="hospice placement"
    ).get_by_role("button", name="Moderate…").click()
    expect(page.get_by_role("dialog", name="Moderate Ben's message")).to_be_visible()
    scanner.scan(page, "moderate dialog")
    scanner.visit(MAYA, f"/sessions/{site.live}/run-sheet", "run sheet")
    scanner.visit(MAYA, f"/sessions/{site.recapped}/attendance", "attendance table")
    scanner.visit(MAYA, f"/sessions/{site.reviewing}/recap", "recap (to write)")
    scanner.check()


def test_organiser_pages(scanner: Scanner, site: Site) -> None:
    scanner.room(OLU, site.live, "live room (organiser)")
    scanner.visit(OLU, "/organise/", "organiser dashboard")
    scanner.visit(OLU, "/organise/sessions/new", "session form (new)")
    scanner.visit(OLU, f"/organise/sessions/{site.live}/edit", "session form (edit)")
    scanner.visit(OLU, "/organise/series/new", "series form")
    scanner.visit(OLU, f"/organise/series/{site.series}", "series")
    scanner.visit(OLU, f"/organise/sessions/{site.live}/facilitators", "facilitators")
    scanner.visit(OLU, "/organise/audit", "audit log")
    scanner.visit(OLU, "/organise/bans/", "bans")
    scanner.visit(OLU, "/organise/connection-reports", "reported connection requests")
    scanner.visit(OLU, "/organise/agreement", "group agreement (edit)")
    scanner.check()
