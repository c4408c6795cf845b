"""Anonymised transcripts for research and training: organisers only, after the session."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort
from flask_login import current_user

from chat.extensions import db
from chat.services import anonymised, schedule, transcripts
from chat.services.transcripts import Transcript
from chat.web.common import lobby_minutes, now, organiser_required

bp = Blueprint("anonymised", __name__)


FORMATS: dict[str, tuple[Callable[[Transcript], str], str]] = {
    "md": (anonymised.to_markdown, "text/markdown; charset=utf-8"),
    "json": (transcripts.to_json_text, "application/json"),
    "csv": (transcripts.to_csv, "text/csv; charset=utf-8"),
}


@bp.get("/organise/sessions/<int:session_id>/transcript-anonymised.<fmt>")
@organiser_required
def export(session_id: int, fmt: str) -> Response:
    """An ended session's transcript with pseudonyms for names and withdrawn items left out."""
    if fmt not in FORMATS:
        abort(404, f"Anonymised transcripts come as {', '.join('.' + f for f in FORMATS)}.")
    render, content_type = FORMATS[fmt]
    session = schedule.get_session(db.session, session_id)
    data = anonymised.build(db.session, current_user, session, now(), lobby_minutes())
    filename = f"traineetalk-session-{session.id}-anonymised.{fmt}"
    return Response(
        render(data),
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
