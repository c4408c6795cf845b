"""The confidentiality guard over Socket.IO: `check_message` lets the composer ask the
server's rules before sending, and sends that skipped the check are warned in their ack.

The rules live in chat/services/confidentiality.py only; the browser never copies them.
"""

from __future__ import annotations

from typing import Any

from chat import limiting
from chat.errors import ChatError
from chat.realtime import context
from chat.realtime.event_log import on
from chat.services import confidentiality, limits
from chat.services.messages import MAX_BODY
from chat.services.validation import require_str

FLAG = "confidentiality_checked"


def checked(data: Any) -> bool:
    """Whether a send says the writer already saw the check (`confidentiality_checked`);
    absent or null means no. Call before storing, so a bad flag refuses the send."""
    value = data.get(FLAG) if isinstance(data, dict) else None
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ChatError(f"{FLAG} must be true or false.", "invalid")
    return value


def ack_warning(text: str, what: str, was_checked: bool) -> dict[str, Any]:
    """`{"warning": ...}` to merge into an ack when a stored `text` the writer did not
    check may identify a client; otherwise nothing."""
    found = None if was_checked else confidentiality.warning(text, what)
    return {} if found is None else {"warning": found}


@on("check_message")
def on_check_message(data: Any) -> dict[str, Any]:
    """A member's composer asks whether `body` may identify a client, before sending it.
    Read-only: nobody else hears anything."""
    user, _ = context.joined(data)
    body = require_str(data, "body")
    if len(body) > MAX_BODY:
        raise ChatError(f"Keep messages to {MAX_BODY} characters or fewer.", "invalid")
    limiting.current().hit(
        limits.CHECK, f"user:{user.id}", context.now(), "Checking too often; please wait a moment."
    )
    findings = confidentiality.check(body)
    return {
        "ok": True,
        "findings": [f.as_payload(body) for f in findings],
        "summary": confidentiality.summary(findings) if findings else None,
    }
