"""Deleting an account in one tab signs out the others: they hear `signed_out`, and
anything they still send is refused."""

from __future__ import annotations

from flask import Flask

from chat.models import ChatSession, User
from tests.helpers import PASSWORD
from tests.sockets.helpers import new_message, received, signed_in


def test_other_tabs_are_told_and_refused(
    app: Flask, joined, room: ChatSession, member: User, organiser: User
) -> None:
    other_tab, bystander = joined(member), joined(organiser)
    browser = signed_in(app, member)
    assert browser.post("/profile/delete", data={"password": PASSWORD}).status_code == 302
    (heard,) = received(other_tab, "signed_out")
    assert "deleted" in heard["message"]
    assert received(bystander, "signed_out") == []
    refused = other_tab.emit("send_message", new_message(room, "still here?"), callback=True)
    assert refused["error"]["code"] == "unauthenticated"
