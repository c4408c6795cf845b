"""Organiser pages: series and sessions. 403 for everyone else."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from chat.errors import ValidationError
from chat.extensions import db
from chat.models import ChatSession
from chat.realtime.broadcast import broadcast
from chat.services import clock, reports, rooms, schedule
from chat.web.common import lobby_minutes, now, organiser_required, render_form, show_errors
from chat.web.forms import GenerateForm, SeriesForm, SessionForm

bp = Blueprint("organise", __name__, url_prefix="/organise")


@bp.get("/")
@organiser_required
def dashboard() -> str:
    """Series, upcoming sessions and open reports at a glance."""
    return render_template(
        "organise/dashboard.html",
        series=schedule.all_series(db.session),
        upcoming=schedule.upcoming_sessions(db.session, now()),
        open_reports=reports.open_by_session(db.session, current_user),
    )


@bp.route("/series/new", methods=["GET", "POST"])
@organiser_required
def new_series() -> tuple[str, int] | Response:
    """Create a weekly series."""
    form = SeriesForm()
    if form.validate_on_submit():
        try:
            series = schedule.create_series(
                db.session,
                current_user,
                schedule.SeriesInput(
                    name=form.name.data or "",
                    description=form.description.data or "",
                    weekday=form.weekday.data if form.weekday.data is not None else -1,
                    local_time=form.local_time.data or "",
                    time_zone=form.time_zone.data or "",
                    duration_minutes=form.duration_minutes.data or 0,
                    review_hours=form.review_hours.data or 0,
                ),
                now(),
            )
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            flash(f"Series {series.name} created. Now generate its sessions.", "success")
            return redirect(url_for("organise.series", series_id=series.id))
    return render_form("organise/series_form.html", form)


@bp.route("/series/<int:series_id>", methods=["GET", "POST"])
@organiser_required
def series(series_id: int) -> tuple[str, int] | Response:
    """A series and its sessions; generate the next N weeks."""
    found = schedule.get_series(db.session, series_id)
    form = GenerateForm()
    if form.validate_on_submit():
        try:
            created = schedule.generate_sessions(
                db.session, current_user, found, form.weeks.data or 0, now()
            )
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            flash(f"{len(created)} new session(s) added. Edit each to set its topic.", "success")
            return redirect(url_for("organise.series", series_id=found.id))
    return render_form("organise/series.html", form, series=found)


def _session_form(session: ChatSession | None = None) -> SessionForm:
    form = SessionForm(obj=session)
    form.series_id.choices = [SelectChoice("0", "No series")] + [
        SelectChoice(str(s.id), s.name) for s in schedule.all_series(db.session)
    ]
    if session is not None and not form.is_submitted():
        tz = clock.zone(session.time_zone)
        form.starts_local.data = session.starts_at.astimezone(tz).replace(tzinfo=None)
        form.ends_local.data = rooms.ends_at(session).astimezone(tz).replace(tzinfo=None)
        form.facilitators.data = ", ".join(f.email for f in session.facilitators)
        form.series_id.data = session.series_id or 0
    return form


def _session_input(form: SessionForm) -> schedule.SessionInput:
    return schedule.SessionInput(
        title=form.title.data or "",
        description=form.description.data or "",
        content_note=form.content_note.data or "",
        starts_local=form.starts_local.data,
        ends_local=form.ends_local.data,
        time_zone=form.time_zone.data or "",
        facilitator_emails=tuple(e.strip() for e in (form.facilitators.data or "").split(",")),
        series_id=form.series_id.data or None,
        cancelled=bool(form.cancelled.data),
    )


@bp.route("/sessions/new", methods=["GET", "POST"])
@organiser_required
def new_session() -> tuple[str, int] | Response:
    """Create one session."""
    form = _session_form()
    if not form.is_submitted():
        form.time_zone.data = current_user.time_zone or "Europe/London"
    if form.validate_on_submit():
        try:
            session = schedule.create_session(db.session, current_user, _session_input(form), now())
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            flash("Session created.", "success")
            return redirect(url_for("schedule.lobby", session_id=session.id))
    return render_form("organise/session_form.html", form, session=None)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit_session(session_id: int) -> tuple[str, int] | Response:
    """Edit a session's topic, time, facilitators or cancel it."""
    session = schedule.get_session(db.session, session_id)
    form = _session_form(session)
    if form.validate_on_submit():
        try:
            events = schedule.update_session(
                db.session, current_user, session, _session_input(form), now(), lobby_minutes()
            )
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            broadcast(events)
            flash("Session saved.", "success")
            return redirect(url_for("schedule.lobby", session_id=session.id))
    return render_form("organise/session_form.html", form, session=session)
