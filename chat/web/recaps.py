"""A session's recap: the page (with the staff's publish form), and its Markdown, HTML and
PDF downloads. A public recap needs no sign-in; a members' recap needs one; an unpublished
recap is a preview for the session's facilitators and organisers only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, TextAreaField

from chat.errors import NotFound, ValidationError
from chat.extensions import db
from chat.models import RECAP_VISIBILITY, ChatSession, User
from chat.services import recaps, roles, rooms, schedule
from chat.services.recaps import RecapView
from chat.web.common import now, show_errors

bp = Blueprint("recaps", __name__)


class RecapForm(FlaskForm):
    """The summary and who may read the recap. Which choices are allowed is the service's
    rule (only organisers make a recap public), so any value reaches it."""

    summary = TextAreaField(
        "Summary",
        description=f"A few lines about the hour, shown at the top (up to "
        f"{recaps.MAX_SUMMARY:,} characters).",
    )
    visibility = SelectField("Who can read it", validate_choice=False)


def _viewer() -> User | None:
    return cast(User, current_user) if current_user.is_authenticated else None


def _sign_in() -> Response:
    return cast(Response, current_app.login_manager.unauthorized())  # type: ignore[attr-defined]


def _readable(session_id: int) -> ChatSession | None:
    """The session if the viewer may read its recap; None when they must sign in first."""
    session = schedule.get_session(db.session, session_id)
    viewer = _viewer()
    if recaps.can_view(viewer, session, recaps.get(db.session, session)):
        return session
    if viewer is None:
        return None
    raise NotFound("This session has no published recap yet.")


def _visibility_choices(session: ChatSession, view: RecapView) -> list[tuple[str, str]]:
    """Organisers may choose public; a facilitator may keep a recap public, not make it so."""
    allowed = current_user.is_organiser or view.visibility == "public"
    return [
        (name, recaps.VISIBILITY_LABELS[name])
        for name in RECAP_VISIBILITY
        if name != "public" or allowed
    ]


def _page(session: ChatSession, form: RecapForm | None = None) -> tuple[str, int]:
    moment = now()
    view = recaps.build(db.session, session, moment)
    viewer = _viewer()
    staff = viewer is not None and roles.is_staff(viewer, session)
    if staff and form is None:
        form = RecapForm(formdata=None, summary=view.summary, visibility=view.visibility)
    if form is not None:
        form.visibility.choices = _visibility_choices(session, view)
    page = render_template(
        "recaps/recap.html",
        session=session,
        recap=view,
        staff=staff,
        form=form,
        may_publish=viewer is not None and recaps.may_publish_now(viewer, session, moment),
        ended=moment >= rooms.ends_at(session),
        closes_at=view.review_closes_at,
    )
    return page, 400 if form is not None and form.errors else 200


@bp.get("/sessions/<int:session_id>/recap")
def recap(session_id: int) -> tuple[str, int] | Response:
    """The recap page; staff also see the publish form (or when they may publish)."""
    session = _readable(session_id)
    if session is None:
        return _sign_in()
    return _page(session)


@bp.post("/sessions/<int:session_id>/recap")
@login_required
def publish_recap(session_id: int) -> tuple[str, int] | Response:
    """Publish or update the recap (action "publish"), or take it down ("unpublish")."""
    session = schedule.get_session(db.session, session_id)
    roles.require_staff(current_user, session)
    form = RecapForm()
    if not form.validate_on_submit():
        return _page(session, form)
    if request.form.get("action") == "unpublish":
        recaps.unpublish(db.session, current_user, session, now())
        flash("The recap is no longer published.", "success")
    else:
        try:
            recaps.publish(
                db.session,
                current_user,
                session,
                form.summary.data or "",
                form.visibility.data or "",
                now(),
            )
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
            return _page(session, form)
        flash("The recap is published.", "success")
    return redirect(url_for("recaps.recap", session_id=session.id))


def _html(view: RecapView) -> str:
    return render_template("recaps/download.html", recap=view)


@dataclass(frozen=True)
class Download:
    """How one format is rendered and served."""

    render: Callable[[RecapView], str | bytes]
    content_type: str
    disposition: str  # "attachment" saves a file; "inline" lets the browser show the page


DOWNLOADS = {
    "md": Download(recaps.to_markdown, "text/markdown; charset=utf-8", "attachment"),
    "html": Download(_html, "text/html; charset=utf-8", "inline"),
    "pdf": Download(recaps.to_pdf, "application/pdf", "attachment"),
}


@bp.get("/sessions/<int:session_id>/recap.<any(md, html, pdf):fmt>")
def download(session_id: int, fmt: str) -> Response:
    """The recap as a file, readable by whoever may read the page."""
    session = _readable(session_id)
    if session is None:
        return _sign_in()
    chosen = DOWNLOADS[fmt]
    filename = f"traineetalk-session-{session.id}-recap.{fmt}"
    return Response(
        chosen.render(recaps.build(db.session, session, now())),
        content_type=chosen.content_type,
        headers={"Content-Disposition": f'{chosen.disposition}; filename="{filename}"'},
    )


@dataclass(frozen=True)
class RecapLink:
    """A link to a session's recap for the schedule card and the lobby."""

    url: str
    label: str


@bp.app_template_global()
def recap_link(session: ChatSession) -> RecapLink | None:
    """The recap link to show for an ended session: the published recap (members-only
    ones lead anonymous visitors to sign in), or the preview for its staff."""
    if session.rehearsal_of_id is not None or session.cancelled:
        return None
    if now() < rooms.ends_at(session):
        return None
    url = url_for("recaps.recap", session_id=session.id)
    viewer = _viewer()
    recap_row = recaps.get(db.session, session)
    if recaps.is_published(recap_row):
        assert recap_row is not None
        members_only = recap_row.visibility == "members" and viewer is None
        return RecapLink(url, "Read the recap (members)" if members_only else "Read the recap")
    if viewer is not None and roles.is_staff(viewer, session):
        return RecapLink(url, "Recap: preview and publish")
    return None
