"""Public schedule, calendar feeds, and each session's lobby page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from chat.errors import NotFound
from chat.extensions import db
from chat.services import calendar, conduct, facilitators, roles, rooms, schedule, transcripts
from chat.web.common import lobby_minutes, now
from chat.web.conduct import agreement_url

bp = Blueprint("schedule", __name__)


@bp.get("/")
def index() -> str:
    """The schedule is the home page: shareable, no sign-in needed. `?speciality=` shows
    only upcoming sessions with a facilitator of that speciality."""
    moment = now()
    speciality = request.args.get("speciality", "").strip()[:300]
    upcoming = schedule.upcoming_sessions(db.session, moment)
    return render_template(
        "schedule/index.html",
        upcoming=(
            schedule.upcoming_sessions(db.session, moment, speciality=speciality)
            if speciality
            else upcoming
        ),
        specialities=facilitators.speciality_choices(upcoming),
        speciality=speciality,
        past=schedule.past_sessions(db.session, moment, limit=20),
        series=schedule.all_series(db.session),
    )


@bp.get("/facilitators/<int:user_id>")
def facilitator(user_id: int) -> str:
    """A facilitator's profile, public like the schedule: who they are, their speciality
    interests and the sessions they will facilitate. 404 for anyone who facilitates none."""
    person = facilitators.facilitator(db.session, user_id)
    return render_template(
        "schedule/facilitator.html",
        person=person,
        specialities=facilitators.speciality_items(person.specialities),
        upcoming=schedule.upcoming_sessions(db.session, now(), facilitator_id=person.id),
    )


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@bp.get("/schedule.ics")
def feed() -> Response:
    """The iCalendar feed calendar apps subscribe to (no sign-in, stable UIDs)."""
    sessions = [
        (s, url_for("schedule.lobby", session_id=s.id, _external=True))
        for s in schedule.all_sessions(db.session)
    ]
    domain = current_app.config["CHAT_CALENDAR_DOMAIN"]
    return _ics(
        calendar.calendar_feed(sessions, "#TraineeTalk Live", domain, now()), "schedule.ics"
    )


@bp.get("/sessions/<int:session_id>.ics")
def session_ics(session_id: int) -> Response:
    """One session as an "add to calendar" file."""
    session = schedule.get_session(db.session, session_id)
    if session.rehearsal_of_id is not None:
        raise NotFound("There is no such session.")
    url = url_for("schedule.lobby", session_id=session.id, _external=True)
    domain = current_app.config["CHAT_CALENDAR_DOMAIN"]
    body = calendar.calendar_feed([(session, url)], session.title, domain, now())
    return _ics(body, f"traineetalk-session-{session.id}.ics")


@bp.get("/sessions/<int:session_id>")
@login_required
def lobby(session_id: int) -> str | WerkzeugResponse:
    """The session's page: details, live countdown and state, who is waiting. Someone who
    has not accepted the group agreement in force reads it first."""
    if not conduct.has_accepted_current(db.session, current_user):
        return redirect(agreement_url(request.path))
    session = schedule.get_session(db.session, session_id)
    if session.rehearsal_of_id is not None:
        roles.require_view(current_user, session)  # a rehearsal is for its staff only
    moment = now()
    return render_template(
        "schedule/lobby.html",
        session=session,
        state=rooms.state_payload(session, moment, lobby_minutes()),
        may_download=transcripts.may_download(current_user, session, moment, lobby_minutes()),
    )
