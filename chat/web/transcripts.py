"""Session transcripts as downloads: Markdown, print-friendly HTML, JSON and CSV, and the
question queue as CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user, login_required

from chat.extensions import db
from chat.services import schedule, transcripts
from chat.services.transcripts import Transcript
from chat.web.common import lobby_minutes, now

bp = Blueprint("transcripts", __name__)


def _html(transcript: Transcript) -> str:
    return render_template(
        "transcripts/transcript.html",
        transcript=transcript,
        reaction_labels=transcripts.REACTION_LABELS,
    )


@dataclass(frozen=True)
class Download:
    """How one format is rendered and served."""

    render: Callable[[Transcript], str]
    content_type: str
    disposition: str  # "attachment" saves a file; "inline" lets the browser show the page


DOWNLOADS = {
    "md": Download(transcripts.to_markdown, "text/markdown; charset=utf-8", "attachment"),
    "html": Download(_html, "text/html; charset=utf-8", "inline"),
    "json": Download(transcripts.to_json_text, "application/json", "attachment"),
    "csv": Download(transcripts.to_csv, "text/csv; charset=utf-8", "attachment"),
}


QUESTIONS_CSV = Download(transcripts.questions_to_csv, "text/csv; charset=utf-8", "attachment")


@bp.get("/sessions/<int:session_id>/transcript.<fmt>")
@login_required
def transcript(session_id: int, fmt: str) -> Response:
    """A session's transcript: staff may download it any time, members once it ended."""
    download = DOWNLOADS.get(fmt)
    if download is None:
        abort(404, f"Transcripts come as {', '.join('.' + name for name in DOWNLOADS)}.")
    return _serve(session_id, download, f"transcript.{fmt}")


@bp.get("/sessions/<int:session_id>/questions.csv")
@login_required
def questions_csv(session_id: int) -> Response:
    """The question queue as CSV, with the same permissions as the transcript."""
    return _serve(session_id, QUESTIONS_CSV, "questions.csv")


def _serve(session_id: int, download: Download, name: str) -> Response:
    session = schedule.get_session(db.session, session_id)
    data = transcripts.build(db.session, current_user, session, now(), lobby_minutes())
    filename = f"traineetalk-session-{session.id}-{name}"
    return Response(
        download.render(data),
        content_type=download.content_type,
        headers={"Content-Disposition": f'{download.disposition}; filename="{filename}"'},
    )
