"""More screenshots for docs/screenshots/ than the browser suite keeps (the lobby, the live
room and the recap come from tests/browser/test_screenshots.py): the questions from the
room for a member and a facilitator, desktop and phone; the group agreement, the confidentiality
guard, reporting and moderating; the audit log; the run sheet; the facilitators page.

Not a test (pytest does not collect it). Run it from the project root:

    .venv/bin/python -m tests.browser.take_screenshots
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from chat.services import (
    accounts,
    conduct,
)
from tests.browser.conftest import CHROMIUM_ARGS, chromium_path
from tests.browser.helpers import (
    add_prompts,
    create_past_session,
    hold_session,
    message,
    send,
    sign_in,
)
from tests.conftest import ROOT, LiveServer
from tests.live_setup import create_session, register_users

OUT = ROOT / "docs" / "screenshots"
MAYA, OLU, ANA, BEN = "maya@example.org", "olu@example.org", "ana@example.org", "ben@example.org"
CAL, DEE = "cal@example.org", "dee@example.org"
PROMPTS = [
    "What first drew you to this work, and has that changed during training?",
    "What does an ending with a client stir up in you?",
    "How do you prepare a client, and yourself, for the last session?",
    "What helps you let go once the work is over?",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp)).start()
        try:
            register_users(
                server,
                (OLU, "Olu Adeyemi", "he/him", True),
                (MAYA, "Dr Maya Okafor", "she/her", False),
                (ANA, "Ana", "she/her", False),
                (BEN, "Ben", "", False),
                (CAL, "Cal", "they/them", False),
                (DEE, "Dee", "", False),
            )
            session_id = create_session(server, "Working with endings", MAYA)
            add_prompts(server, session_id, PROMPTS)
            shoot(server, session_id)
            shoot_after(server)
        finally:
            server.stop()


def shoot(server: LiveServer, session_id: int) -> None:
    path = chromium_path()
    assert path, "Chromium is not installed"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        url = f"{server.url}/sessions/{session_id}"

        def open_as(email: str, **options: object) -> object:
            context = browser.new_context(timezone_id="Europe/London", locale="en-GB", **options)
            page = sign_in(context, server, email)
            page.goto(url)
            expect(page.locator("#connection")).to_have_text("")
            return page

        maya = open_as(MAYA, viewport=DESKTOP)
        olu = open_as(OLU, viewport=DESKTOP)
        ana = open_as(ANA, viewport=DESKTOP)
        ben = open_as(BEN, viewport=DESKTOP)
        panel = maya.get_by_role("region", name="Facilitator panel")

        send(maya, "Welcome, everyone. Take a moment to arrive; we start in a minute.")
        send(ben, "Hello from Glasgow! Second year of my diploma.")
        panel.get_by_role("button", name="Post next").click()
        expect(message(ana, PROMPTS[0])).to_be_visible()
        send(ana, "Curiosity about people, mostly. Now it is more about staying with not knowing.")
        send(ben, "A placement in a hospice, and it has changed a lot since.")
        message(maya, "Curiosity about people").get_by_role("button", name="Pin").click()
        panel.get_by_label("Announcement").fill(
            "Please keep client details out of the chat: no names, places or dates."
        )
        panel.get_by_role("button", name="Post announcement").click()
        panel.get_by_role("button", name="Post next").click()
        expect(message(ana, PROMPTS[1])).to_be_visible()
        send(ana, "Old losses, if I am honest. Supervision helps.")
        panel.get_by_label("Slow mode (members)").select_option("30")
        expect(ana.get_by_text("Slow mode: one message every 30 seconds.")).to_be_visible()
        backstage = olu.get_by_role("region", name=re.compile(r"^Backstage"))
        backstage.get_by_label("Note to the team").fill(
            "Ben mentioned a hospice placement; I'll keep an eye out."
        )
        backstage.get_by_role("button", name="Send note").click()
        expect(maya.get_by_text("I'll keep an eye out.")).to_be_visible()

        # questions from the room: asked, upvoted, one being discussed, one waiting
        cal = open_as(CAL, viewport=DESKTOP)
        asked = [
            (ana, "How do you end with a client who keeps cancelling?", True),
            (ben, "Do you give clients something to take away from the last session?", False),
            (cal, "What if the ending is forced by the placement finishing?", False),
        ]
        for page, text, anonymous in asked:
            box = page.get_by_label("Your question")
            box.fill(text)
            if anonymous:
                page.get_by_label("Ask anonymously").check()
            page.get_by_role("button", name="Ask", exact=True).click()
            expect(box).to_have_value("")
        for page, text in ((ben, asked[0][1]), (cal, asked[0][1]), (ana, asked[2][1])):
            queue_item(page, text).get_by_role("button", name="Upvote").click()
        queue_item(maya, asked[1][1]).get_by_role("button", name="Spotlight").click()
        expect(ana.get_by_role("region", name="Now discussing")).to_be_visible()
        queue_item(maya, asked[1][1]).get_by_role("button", name="Mark answered").click()
        queue_item(maya, asked[2][1]).get_by_role("button", name="Spotlight").click()
        maya.get_by_label("Pre-moderate questions").check()
        dee = open_as(DEE, viewport=DESKTOP)
        dee.get_by_label("Your question").fill("Is it ever right to extend past the agreed ending?")
        dee.get_by_role("button", name="Ask", exact=True).click()
        expect(queue_item(maya, "extend past the agreed")).to_be_visible()
        for page, name in ((ana, "member"), (maya, "facilitator")):
            page.locator("#questions").screenshot(path=OUT / f"questions-{name}.png")
        for email, name in ((ANA, "member"), (MAYA, "facilitator")):
            small = open_as(email, viewport=PHONE, is_mobile=True)
            small.get_by_role("tab", name="Questions").click()  # a phone shows one pane
            expect(small.get_by_role("region", name="Now discussing")).to_be_visible()
            small.screenshot(path=OUT / f"questions-{name}-phone.png", full_page=True)
            small.context.close()
        maya.get_by_label("Pre-moderate questions").uncheck()
        panel.get_by_label("Slow mode (members)").select_option("0")
        # a paused room, as a member on a phone sees it
        phone = open_as(ANA, viewport=PHONE, is_mobile=True)
        expect(message(phone, "Old losses")).to_be_visible()
        panel.get_by_role("button", name="Lock room").click()
        expect(phone.get_by_label("Your message")).to_be_disabled()
        phone.locator("#composer").evaluate("(node) => node.scrollIntoView({block: 'end'})")
        phone.screenshot(path=OUT / "room-member-locked-phone.png")
        panel.get_by_role("button", name="Unlock room").click()

        shoot_safety(server, browser, open_as, maya, ana, ben, olu)

        # where the facilitator prepares, and where the organiser invites
        maya.goto(f"{url}/run-sheet")
        maya.screenshot(path=OUT / "run-sheet.png", full_page=True)
        olu.goto(f"{server.url}/organise/sessions/{session_id}/facilitators")
        olu.screenshot(path=OUT / "facilitators.png", full_page=True)
        browser.close()


def shoot_safety(server, browser, open_as, maya, ana, ben, olu) -> None:
    """The group agreement, the confidentiality guard, a report and the moderation queue,
    a removed and a sensitive message as a member sees them, and the audit log."""
    with server.database() as db:
        conduct.publish_starter(db, accounts.user_by_email(db, OLU), datetime.now(UTC))
    newcomer = sign_in(browser.new_context(viewport=DESKTOP), server, DEE)
    newcomer.goto(f"{server.url}/sessions/{ana.url.rsplit('/', 1)[1]}")
    expect(newcomer.get_by_role("button", name="Accept and continue")).to_be_visible()
    newcomer.screenshot(path=OUT / "agreement.png", full_page=True)
    newcomer.context.close()

    box = ana.get_by_label("Your message")
    box.fill("My client Sarah, a 34-year-old teacher from Leeds, said something that stayed")
    box.press("Enter")
    prompt = ana.get_by_role("alertdialog", name="This may identify a client")
    expect(prompt).to_be_visible()
    ana.locator("#composer").screenshot(path=OUT / "confidentiality-prompt.png")
    prompt.get_by_role("button", name="Edit message").click()
    box.fill("")

    send(ben, "Honestly, anyone who still uses that model is an idiot.")
    send(ana, "My father died during my first placement; endings are never only the client's.")
    message(ana, "anyone who still uses").get_by_role("button", name="Report").click()
    dialog = ana.get_by_role("dialog", name="Report this message")
    dialog.get_by_label("Harassment or hostility").check()
    dialog.get_by_label("Anything the moderators should know (optional)").fill(
        "Belittling people who trained differently."
    )
    ana.screenshot(path=OUT / "report-dialog.png")
    dialog.get_by_role("button", name="Send report").click()
    ana.get_by_role("dialog", name="Report sent").get_by_role("button", name="Close").click()
    reports = maya.locator("#reports-block")
    expect(reports.get_by_role("img", name="1 open report")).to_be_visible()
    reports.screenshot(path=OUT / "moderation-queue.png")

    message(maya, "anyone who still uses").get_by_role("button", name="Moderate…").click()
    moderate = maya.get_by_role("dialog", name="Moderate Ben's message")
    moderate.get_by_label("Reason (the member is told it)").fill(
        "Please disagree with ideas, not people."
    )
    maya.screenshot(path=OUT / "moderate-dialog.png")
    moderate.get_by_role("button", name="Confirm").click()
    message(maya, "My father died").get_by_role("button", name="Mark sensitive").click()
    expect(ben.locator("#moderation-notice")).to_contain_text("removed your message")
    ben.get_by_role("heading", name="Chat", exact=True).evaluate("(n) => n.scrollIntoView()")
    ben.screenshot(path=OUT / "room-moderated-member.png")

    olu.goto(f"{server.url}/organise/audit")
    olu.screenshot(path=OUT / "audit-log.png", full_page=True)


def shoot_after(server: LiveServer) -> None:
    """After the hour: the review page and its banner, and the attendance table."""
    lines = [
        (ANA, "Old losses, if I am honest. Supervision helps me notice them."),
        (BEN, "Relief, then guilt about the relief."),
        (CAL, "A wish to do it perfectly, which is its own kind of avoidance."),
        (ANA, "I wrote a letter I never sent; it helped me hold the ending."),
    ]
    reviewing = create_past_session(server, "Endings, revisited", timedelta(hours=2), PROMPTS[1:2])
    hold_session(server, reviewing, lines)
    ended = create_past_session(server, "Working with silence", timedelta(days=3), PROMPTS[1:2])
    hold_session(server, ended, lines)
    path = chromium_path()
    assert path, "Chromium is not installed"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        ana = sign_in(browser.new_context(viewport=DESKTOP), server, ANA)
        ana.goto(f"{server.url}/sessions/{reviewing}/review")
        ana.get_by_role("button", name=re.compile("Save")).first.wait_for()
        ana.screenshot(path=OUT / "review.png", full_page=True)
        ana.goto(f"{server.url}/")
        ana.screenshot(path=OUT / "review-banner.png")
        maya = sign_in(browser.new_context(viewport=DESKTOP), server, MAYA)
        maya.goto(f"{server.url}/sessions/{ended}/attendance")
        maya.screenshot(path=OUT / "attendance.png", full_page=True)
        browser.close()


def queue_item(page: object, text: str) -> object:
    """A question in the "Questions from the room" section, wherever it is listed."""
    return page.locator("#questions .qa-item").filter(has=page.locator(".qa-body", has_text=text))


if __name__ == "__main__":
    main()
