"""Attendance pages: the staff's table and its CSV, a member's CPD certificate as a PDF,
and the public page where anyone checks a certificate's code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_login import current_user, login_required

from chat.extensions import db
from chat.models import ChatSession
from chat.services import attendance, roles, rooms, schedule
from chat.services.attendance import Standing
from chat.web.common import now

bp = Blueprint("attendance", __name__)


def certificate_share() -> int:
    """The share of a session (percent) a member must attend for a certificate."""
    return int(current_app.config["CHAT_CERTIFICATE_SHARE"])


@dataclass(frozen=True)
class LobbyLinks:
    """What a session's page offers about attendance to the person viewing it."""

    table_url: str | None = None  # for the session's staff
    certificate_url: str | None = None  # once the session ended, for those who qualify
    standing: Standing | None = None  # once it ended: how long the viewer was there

    @property
    def shown(self) -> bool:
        """Whether there is anything to show."""
        return bool(self.table_url or self.certificate_url or self.standing)


def lobby_links(session: ChatSession) -> LobbyLinks:
    """The attendance table link for staff and, after the end, the viewer's certificate
    link or how far they were from one (nothing for a rehearsal)."""
    if session.rehearsal_of_id is not None:
        return LobbyLinks()
    staff = roles.is_staff(current_user, session)
    table_url = url_for("attendance.table", session_id=session.id) if staff else None
    moment = now()
    if session.cancelled or moment < rooms.ends_at(session):
        return LobbyLinks(table_url)
    measured = attendance.standing(db.session, current_user, session, moment, certificate_share())
    if staff and not measured.present:  # an organiser who was not there needs no note
        return LobbyLinks(table_url)
    if measured.eligible:
        url = url_for("attendance.certificate", session_id=session.id)
        return LobbyLinks(table_url, url, measured)
    return LobbyLinks(table_url, None, measured)


@bp.app_context_processor
def _lobby_helpers() -> dict[str, Any]:
    return {"attendance_links": lobby_links}


@bp.get("/sessions/<int:session_id>/attendance")
@login_required
def table(session_id: int) -> str:
    """Who attended and for how long, for the session's facilitators and organisers."""
    session = schedule.get_session(db.session, session_id)
    return render_template(
        "attendance/table.html",
        session=session,
        table=attendance.table(db.session, current_user, session, now()),
        share=certificate_share(),
    )


@bp.get("/sessions/<int:session_id>/attendance.csv")
@login_required
def table_csv(session_id: int) -> Response:
    """The attendance table as CSV."""
    session = schedule.get_session(db.session, session_id)
    data = attendance.table(db.session, current_user, session, now())
    filename = f"traineetalk-session-{session.id}-attendance.csv"
    return Response(
        attendance.table_csv(data),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/sessions/<int:session_id>/certificate.pdf")
@login_required
def certificate(session_id: int) -> Response:
    """The signed-in member's certificate of attendance: issued on the first download,
    the same one after. 409 before the end; 403, saying how long they were there, when
    they attended less than the required share."""
    session = schedule.get_session(db.session, session_id)
    issued = attendance.issue_certificate(
        db.session, current_user, session, now(), certificate_share()
    )
    verify_url = url_for("attendance.verify", code=issued.code, _external=True)
    pdf = attendance.certificate_pdf(issued, verify_url, attendance.issued_on(db.session, issued))
    filename = f"traineetalk-certificate-{session.id}.pdf"
    return Response(
        pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/certificates/verify")
def verify() -> tuple[str, int]:
    """Anyone checks a certificate's code: the form, then what it certifies (404 if no
    certificate has that code, 400 if none was given)."""
    if "code" not in request.args:
        return render_template("attendance/verify.html", code="", found=None, error=""), 200
    code = request.args["code"].strip()
    if not code:
        error = "Enter the code printed on the certificate, like TT-7K3M-9QX2."
        return render_template("attendance/verify.html", code=code, found=None, error=error), 400
    found = attendance.verify(db.session, code)
    if found is None:
        error = "No certificate has that code. Check it against the certificate and try again."
        return render_template("attendance/verify.html", code=code, found=None, error=error), 404
    return render_template(
        "attendance/verify.html",
        code=found.code,
        found=found,
        issued=attendance.issued_on(db.session, found),
        error="",
    ), 200
