"""Connections pages: a member's requests, connections and blocks; sending a request;
blocking and unblocking; "people you met" after a session; and the organisers' list of
reported requests. Thin: parse, call chat/services/connections.py, render."""

from __future__ import annotations

from typing import Any, cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectChoice, SelectField, TextAreaField

from chat.errors import ChatError, RateLimited, ValidationError
from chat.extensions import db
from chat.models import ChatSession, Connection, User
from chat.services import blocks, connections, schedule
from chat.services.reports import REASON_LABELS
from chat.web.common import local_next, now, organiser_required, render_form, show_errors
from chat.web.forms import ActionForm

bp = Blueprint("connections", __name__)


class ConnectForm(FlaskForm):
    """A connection request's note."""

    note = TextAreaField(
        "A short note (optional)",
        description=f"Say where you met or what you share, up to {connections.MAX_NOTE} "
        "characters. They see it with your name.",
    )
    next = HiddenField()


class ReportForm(FlaskForm):
    """Why a connection request is reported."""

    reason = SelectField(
        "Why are you reporting it?",
        choices=[
            SelectChoice("", "Choose a reason"),
            *(SelectChoice(value, label) for value, label in REASON_LABELS.items()),
        ],
        validate_choice=False,
    )
    note = TextAreaField(
        "Anything the organisers should know (optional)",
        description=f"Up to {connections.MAX_REPORT_NOTE:,} characters. Only organisers read it.",
    )


OUTCOME_LABELS = [("resolved", "Resolved: action taken"), ("dismissed", "Dismissed: no action")]


class ResolveForm(FlaskForm):
    """An organiser closes a reported request (the page draws one form per report)."""

    outcome = SelectField(
        "Outcome", choices=[SelectChoice(*pair) for pair in OUTCOME_LABELS], validate_choice=False
    )
    note = TextAreaField("Note for the audit log")


def _viewer() -> User:
    return cast(User, current_user)


def _page_number(name: str) -> int:
    value = request.args.get(name, type=int)
    return value if value is not None and value > 0 else 1


def _back(default: str) -> Response:
    """Redirect to the form's `next` if it is a path on this site, else to `default`."""
    target = local_next(request.values.get("next", "")) or default
    return redirect(target)


def _require_csrf() -> None:
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")


def _request_limit() -> int:
    return int(current_app.config["CHAT_CONNECTION_REQUESTS_PER_DAY"])


@bp.app_context_processor
def _card_helpers() -> dict[str, Any]:
    return {
        "connection_state": connection_state,
        "pending_connection_requests": pending_connection_requests,
        "people_you_met_link": people_you_met_link,
    }


def connection_state(member: User) -> str:
    """The viewer's connection with `member`: "connected", "sent", "received" or "none"
    (one query per page, however many cards it shows)."""
    if not current_user.is_authenticated:
        return "none"
    if "connection_states" not in g:
        g.connection_states = connections.state_with(db.session, _viewer())
    return str(g.connection_states.get(member.id, "none"))


def pending_connection_requests() -> int:
    """How many connection requests wait for the signed-in member's answer."""
    if not current_user.is_authenticated:
        return 0
    return connections.incoming_count(db.session, _viewer())


def people_you_met_link(session: ChatSession) -> str | None:
    """The "people you met" page of `session` for the viewer, if they were there and it
    has ended; else None."""
    if not current_user.is_authenticated:
        return None
    if not connections.can_see_suggestions(db.session, _viewer(), session, now()):
        return None
    return url_for("connections.people_you_met", session_id=session.id)


@bp.get("/connections")
@login_required
def index() -> str:
    """The member's requests to answer, requests sent, connections (with the contact
    details each shares) and blocked members; each list a page at a time."""
    viewer = _viewer()
    return render_template(
        "connections/index.html",
        incoming=connections.incoming(db.session, viewer, _page_number("incoming")),
        outgoing=connections.outgoing(db.session, viewer, _page_number("outgoing")),
        connected=connections.connected(db.session, viewer, _page_number("connected")),
        blocked=connections.blocked(db.session, viewer, _page_number("blocked")),
        form=ActionForm(),
    )


@bp.route("/members/<int:user_id>/connect", methods=["GET", "POST"])
@login_required
def connect(user_id: int) -> tuple[str, int] | Response:
    """The request form (GET) and sending it (POST): 404 for someone not in the
    directory, 403 across a block, 409 when already asked or connected, 429 over the
    daily limit."""
    viewer = _viewer()
    member = connections.requestable(db.session, viewer, user_id)
    form = ConnectForm()
    if request.method == "GET":
        form.next.data = local_next(request.args.get("next", "")) or ""
    if form.validate_on_submit():
        try:
            connections.request(
                db.session, viewer, user_id, form.note.data or "", now(), _request_limit()
            )
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        except RateLimited as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
            page, _ = _connect_page(form, member)
            return page, 429
        else:
            flash(f"Your request is on its way to {member.display_name}.", "success")
            return _back(url_for("connections.index"))
    return _connect_page(form, member)


def _connect_page(form: ConnectForm, member: User) -> tuple[str, int]:
    return render_form(
        "connections/connect.html", form, member=member, max_note=connections.MAX_NOTE
    )


def _answer(action: Any, connection_id: int, done: str) -> Response:
    _require_csrf()
    try:
        action(db.session, _viewer(), connection_id, now())
    except ChatError as exc:
        db.session.rollback()
        if exc.code == "not_found":
            raise
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return _back(url_for("connections.index"))


@bp.post("/connections/<int:connection_id>/accept")
@login_required
def accept(connection_id: int) -> Response:
    """Accept a request addressed to you (404 for anyone else's)."""
    done = "Connected: each of you now sees the details the other shares."
    return _answer(connections.accept, connection_id, done)


@bp.post("/connections/<int:connection_id>/decline")
@login_required
def decline(connection_id: int) -> Response:
    """Decline a request addressed to you (404 for anyone else's)."""
    return _answer(connections.decline, connection_id, "Request declined.")


@bp.post("/connections/<int:connection_id>/withdraw")
@login_required
def withdraw(connection_id: int) -> Response:
    """Withdraw a request you sent (404 for anyone else's)."""
    return _answer(connections.withdraw, connection_id, "Request withdrawn.")


@bp.post("/connections/<int:connection_id>/remove")
@login_required
def remove(connection_id: int) -> Response:
    """End a connection you are part of (404 for anyone else's)."""
    return _answer(connections.remove, connection_id, "Connection removed.")


@bp.route("/connections/<int:connection_id>/report", methods=["GET", "POST"])
@login_required
def report(connection_id: int) -> tuple[str, int] | Response:
    """Report a request addressed to you to the organisers; it is declined with it."""
    viewer = _viewer()
    connection = db.session.get(Connection, connection_id)
    if connection is None or connection.addressee_id != viewer.id:
        abort(404, connections.NO_REQUEST)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            connections.report(
                db.session,
                viewer,
                connection_id,
                form.reason.data or "",
                form.note.data or "",
                now(),
            )
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            flash("Thank you: the organisers will look at it. The request is declined.", "success")
            return redirect(url_for("connections.index"))
    return render_form("connections/report.html", form, connection=connection)


@bp.post("/members/<int:user_id>/block")
@login_required
def block(user_id: int) -> tuple[str, int] | Response:
    """Block a member: without `confirm`, the page that says what blocking does; with
    it, the block (and the end of any request or connection between the two)."""
    _require_csrf()
    member = db.session.get(User, user_id)
    if member is None or member.deleted_at is not None:
        abort(404, "There is no such member.")
    if request.form.get("confirm") != "yes":
        next_url = local_next(request.form.get("next", "")) or ""
        return render_template("connections/block.html", member=member, next=next_url), 200
    try:
        connections.block_member(db.session, _viewer(), user_id, now())
    except ChatError as exc:
        if exc.code == "not_found":
            raise
        flash(exc.message, "error")
    else:
        flash(f"You blocked {member.display_name}.", "success")
    return _back(url_for("connections.index"))


@bp.post("/members/<int:user_id>/unblock")
@login_required
def unblock(user_id: int) -> Response:
    """Lift your block of a member (a block they made stays)."""
    _require_csrf()
    blocks.unblock(db.session, _viewer(), user_id)
    flash("Unblocked. Requests and connections that ended stay ended.", "success")
    return _back(url_for("connections.index"))


@bp.get("/sessions/<int:session_id>/people-you-met")
@login_required
def people_you_met(session_id: int) -> str:
    """Members who were in the room with the viewer and share an interest or a region:
    409 before the end, 403 for someone who was not there."""
    session = schedule.get_session(db.session, session_id)
    found = connections.people_you_met(db.session, _viewer(), session, now(), _page_number("page"))
    return render_template("connections/people_you_met.html", session=session, found=found)


@bp.get("/organise/connection-reports")
@organiser_required
def reports() -> str:
    """Open reports of connection requests, oldest first, each with a form to close it."""
    found = connections.open_reports(db.session, _viewer(), _page_number("page"))
    return render_template(
        "connections/reports.html",
        found=found,
        labels=REASON_LABELS,
        outcomes=OUTCOME_LABELS,
        max_resolution=connections.MAX_RESOLUTION,
    )


@bp.post("/organise/connection-reports/<int:report_id>/resolve")
@organiser_required
def resolve(report_id: int) -> Response:
    """Resolve or dismiss a reported request, with a note (recorded in the audit log)."""
    form = ResolveForm()
    if not form.validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        connections.resolve_report(
            db.session, _viewer(), report_id, form.outcome.data or "", form.note.data or "", now()
        )
    except ChatError as exc:
        db.session.rollback()
        if exc.code == "not_found":
            raise
        flash(exc.message, "error")
    else:
        flash("Report closed; the audit log records it.", "success")
    return redirect(url_for("connections.reports"))
