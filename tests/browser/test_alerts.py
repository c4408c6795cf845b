"""What the room says without being looked at: notifications and a chime when opted in
(never by default), and screen-reader announcements of prompts and mentions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    ANA,
    BEN,
    MAYA,
    add_prompts,
    message,
    register_cast,
    send,
)
from tests.conftest import LiveServer
from tests.live_setup import create_session

pytestmark = pytest.mark.browser

Q1 = "What first drew you to this work?"
Q2 = "What does an ending stir up in you?"
TITLE = "Working with endings"

# Records what the page asks of the browser: each notification ({title, body}) and each
# tone started (a chime), also as attributes of <html> for `expect` to wait on (the
# pages' policy forbids the eval that wait_for_function needs). `window.__away = true`
# makes the page look unfocused, as when the person is in another window.
RECORDER = """
window.__notified = [];
window.__chimes = 0;
window.__away = false;
const record = () => {
  document.documentElement.dataset.notified = String(window.__notified.length);
  document.documentElement.dataset.chimes = String(window.__chimes);
};
const RealNotification = window.Notification;
function RecordingNotification(title, options = {}) {
  window.__notified.push({ title, body: options.body || "" });
  record();
  return new RealNotification(title, options);
}
RecordingNotification.prototype = RealNotification.prototype;
Object.defineProperty(RecordingNotification, "permission", {
  get: () => RealNotification.permission,
});
RecordingNotification.requestPermission = (...args) =>
  RealNotification.requestPermission(...args);
window.Notification = RecordingNotification;
Document.prototype.hasFocus = function () { return !window.__away; };
const realStart = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) {
  window.__chimes += 1;
  record();
  return realStart.apply(this, args);
};
"""
# A browser where this site's notifications were blocked.
BLOCKED = """
Object.defineProperty(Notification, "permission", { get: () => "denied" });
Notification.requestPermission = async () => "denied";
"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module; each test has its own session."""
    server = LiveServer(Path(tmp_path_factory.mktemp("alerts"))).start()
    register_cast(server)
    yield server
    server.stop()


@pytest.fixture
def session_id(live_server: LiveServer) -> int:
    """In its lobby (open for chat) for longer than the test takes: it goes live only
    when a facilitator opens it."""
    found = create_session(live_server, TITLE, MAYA, starts_in=timedelta(minutes=10))
    add_prompts(live_server, found, [Q1, Q2])
    return found


def open_recorded(open_room: Callable, email: str, script: str = RECORDER, **options: Any) -> Any:
    """The room, reloaded with `script` running before the page's own."""
    page = open_room(email, **options)
    page.context.add_init_script(script)
    page.reload()
    joined(page)
    return page


def joined(page: Any) -> None:
    expect(page.locator("#presence-count")).not_to_have_text("0")


def settings(page: Any) -> Any:
    """The Room settings panel, opened."""
    summary = page.locator("#room-settings > summary")
    if page.locator("#room-settings").get_attribute("open") is None:
        summary.click()
    return page.locator("#room-settings")


def count(page: Any, what: str, n: int) -> None:
    """Wait until the page has made `n` notifications or chimes (`what`)."""
    expect(page.locator("html")).to_have_attribute(f"data-{what}", str(n))


def notified(page: Any) -> list[dict[str, str]]:
    return page.evaluate("window.__notified")


def chimes(page: Any) -> int:
    return page.evaluate("window.__chimes")


def post_next(maya: Any, body: str) -> None:
    panel = maya.get_by_role("region", name="Facilitator panel")
    panel.get_by_role("button", name=f"Post next: {body}").click()


def test_notifications_and_sound_are_opt_in(open_room: Callable) -> None:
    ana = open_recorded(open_room, ANA, permissions=["notifications"])
    ben = open_room(BEN)
    ana.evaluate("window.__away = true")

    # Off by default: a mention is marked in the chat and nothing more.
    panel = settings(ana)
    notify = panel.get_by_label("Notify me when the session goes live or someone mentions me")
    sound = panel.get_by_label("Play a gentle sound then")
    expect(notify).not_to_be_checked()
    expect(sound).not_to_be_checked()
    send(ben, "@Ana welcome along")
    expect(message(ana, "@Ana welcome along")).to_have_count(1)
    assert notified(ana) == []
    assert chimes(ana) == 0

    notify.check()
    expect(panel.locator("#alert-notify-status")).to_have_text("Notifications are on.")
    sound.click()
    expect(sound).to_be_checked()
    count(ana, "chimes", 1)  # a sample, as the box is ticked

    send(ben, "@Ana are you there?")
    count(ana, "notified", 1)
    # The message's words stay in the room: a notification can show on a locked screen.
    body = f"In {TITLE}. Open the room to read it."
    assert notified(ana) == [{"title": "Ben mentioned you", "body": body}]
    count(ana, "chimes", 2)

    # Nothing for a message that does not mention her.
    send(ben, "A general thought about endings.")
    expect(message(ana, "A general thought about endings.")).to_have_count(1)
    assert len(notified(ana)) == 1
    assert chimes(ana) == 2

    # Looking at the page: the chime, but no notification.
    ana.evaluate("window.__away = false")
    send(ben, "@ana and a lower-case hello")
    count(ana, "chimes", 3)
    assert len(notified(ana)) == 1

    # Remembered on this device.
    ana.reload()
    joined(ana)
    panel = settings(ana)
    expect(panel.get_by_label(re.compile("^Notify me"))).to_be_checked()
    expect(panel.get_by_label("Play a gentle sound then")).to_be_checked()
    expect(panel.get_by_label(re.compile("^Screen reader"))).not_to_be_checked()


def test_going_live_notifies_once_and_not_on_arrival(open_room: Callable) -> None:
    ana = open_recorded(open_room, ANA, permissions=["notifications"])
    maya = open_room(MAYA)
    settings(ana).get_by_label(re.compile("^Notify me")).check()
    ana.evaluate("window.__away = true")

    maya.get_by_role("button", name="Open now").click()
    expect(ana.locator("#state-label")).to_have_text("Live now")
    count(ana, "notified", 1)
    assert notified(ana)[0]["title"] == f"{TITLE} is live"

    # Arriving in a room that is already live is no news.
    ana.reload()
    joined(ana)
    ana.evaluate("window.__away = true")
    send(maya, "Welcome, everyone.")
    expect(message(ana, "Welcome, everyone.")).to_have_count(1)
    assert notified(ana) == []


def test_blocked_notifications_untick_and_say_why(open_room: Callable) -> None:
    ana = open_recorded(open_room, ANA, BLOCKED)
    panel = settings(ana)
    notify = panel.get_by_label(re.compile("^Notify me"))
    notify.click()
    status = panel.locator("#alert-notify-status")
    expect(status).to_contain_text("Your browser blocks notifications from this site")
    expect(notify).not_to_be_checked()
    expect(notify).to_have_attribute("aria-describedby", "alert-notify-status")
    ana.reload()
    expect(settings(ana).get_by_label(re.compile("^Notify me"))).not_to_be_checked()


def test_prompts_are_announced_and_screen_readers_can_hear_only_what_matters(
    open_room: Callable,
) -> None:
    ana = open_room(ANA)
    ben = open_room(BEN)
    maya = open_room(MAYA)
    log = ana.get_by_role("log", name="Chat")
    prompts = ana.locator("#prompt-announcer")
    mentioned = ana.locator("#mention-announcer")
    expect(prompts).to_have_attribute("role", "alert")
    expect(mentioned).to_have_attribute("role", "status")

    # Whatever the setting, a prompt is read out at once.
    expect(log).to_have_attribute("aria-live", "polite")
    post_next(maya, Q1)
    expect(prompts).to_have_text(f"Q1 from Maya: {Q1}")
    # With the log speaking, a mention is heard there, not twice.
    send(ben, "@Ana I liked your answer")
    expect(message(ana, "@Ana I liked your answer")).to_have_count(1)
    expect(mentioned).to_have_text("")

    quiet = settings(ana).get_by_label(re.compile("^Screen reader"))
    quiet.check()
    expect(log).to_have_attribute("aria-live", "off")
    expect(log).to_have_attribute("role", "log")  # still there to read at one's own pace
    send(ben, "Just chatting, nothing for Ana.")
    send(ben, "@Ana what do you think?")
    expect(mentioned).to_have_text("Ben mentioned you: @Ana what do you think?")
    post_next(maya, Q2)
    expect(prompts.locator("p")).to_have_text([f"Q1 from Maya: {Q1}", f"Q2 from Maya: {Q2}"])

    # What arrives while away comes back with the catch-up, and is not read out again.
    ana.evaluate("() => window.chatSocket.disconnect()")
    expect(ana.locator("#connection")).to_contain_text("Connection lost")
    send(ben, "@Ana while you were away")
    ana.evaluate("() => window.chatSocket.connect()")
    expect(message(ana, "@Ana while you were away")).to_have_count(1)
    send(ben, "@Ana welcome back")
    expect(mentioned.locator("p")).to_have_text(
        ["Ben mentioned you: @Ana what do you think?", "Ben mentioned you: @Ana welcome back"]
    )
    expect(prompts.locator("p")).to_have_count(2)

    quiet.uncheck()
    expect(log).to_have_attribute("aria-live", "polite")
