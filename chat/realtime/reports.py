"""Socket.IO handlers for reports: any member reports a message or question; the
session's facilitators and organisers hear `report` and resolve or dismiss it.
docs/protocol.md has the payloads."""

from __future__ import annotations

from typing import Any

from chat import limiting
from chat.extensions import db
from chat.realtime import context
from chat.realtime.broadcast import broadcast
from chat.realtime.event_log import on
from chat.services import reports
from chat.services.validation import optional_int, require_int, require_str


def _note(data: dict[str, Any]) -> str:
    """The optional `note`: a string, or absent or null for none."""
    return require_str(data, "note") if data.get("note") is not None else ""


@on("report")
def on_report(data: Any) -> dict[str, Any]:
    """A member reports someone else's message or question; the session's staff hear
    `report`. Nobody else hears anything, least of all the reported member."""
    user, found = context.joined(data)
    report_id, events = reports.file_report(
        db.session,
        user,
        found,
        message_id=optional_int(data, "message_id"),
        question_id=optional_int(data, "question_id"),
        reason=require_str(data, "reason"),
        note=_note(data),
        now=context.now(),
        flood=limiting.current(),
    )
    broadcast(events)
    return {"ok": True, "report_id": report_id}


@on("resolve_report")
def on_resolve_report(data: Any) -> dict[str, Any]:
    """Staff of the session resolve or dismiss an open report; staff hear `report`."""
    user, found = context.joined(data)
    report, events = reports.resolve(
        db.session,
        user,
        found,
        require_int(data, "report_id"),
        require_str(data, "outcome"),
        _note(data),
        context.now(),
    )
    broadcast(events)
    return {"ok": True, "report": report}
