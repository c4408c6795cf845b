"""The resource library: every link shared in the sessions' rooms, searchable and filterable
by topic and session, a page at a time.

Signed-in members only, like the member directory: the library names who shared each link,
and the rooms it comes from are members' rooms. A published public recap still lists its
own session's resources for anyone (without the sharers' names)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import login_required

from chat.extensions import db
from chat.services import resources

bp = Blueprint("resources", __name__)

MAX_QUERY = 200


def _positive(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and value > 0 else None


def _text(name: str) -> str:
    return " ".join(request.args.get(name, "").split())[:MAX_QUERY]


@bp.get("/resources")
@login_required
def library() -> str:
    """Search (`q`), filter by `topic` and `session`, and page (`page`) through the library."""
    filters: dict[str, Any] = {
        "q": _text("q"),
        "topic": _text("topic"),
        "session": _positive("session"),
    }
    found = resources.library(
        db.session,
        query=filters["q"],
        topic=filters["topic"],
        session_id=filters["session"],
        page=_positive("page") or 1,
    )
    sessions = resources.library_sessions(db.session)
    return render_template(
        "resources/library.html",
        found=found,
        filters=filters,
        args={name: value for name, value in filters.items() if value},
        sessions=sessions,
        topics=sorted({s.title for s in sessions} | {s.series.name for s in sessions if s.series}),
    )
