"""The run sheet page, where facilitators prepare prompts, and the rehearsal button."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from chat.errors import ChatError, ValidationError
from chat.events import RoomEvent
from chat.extensions import db
from chat.models import ChatSession
from chat.realtime.broadcast import broadcast
from chat.services import prompts, rehearsals, roles, schedule
from chat.web.common import now, show_errors
from chat.web.forms import ActionForm, PasteForm, PromptForm

bp = Blueprint("prompts", __name__)


def _staff_session(session_id: int) -> ChatSession:
    session = schedule.get_session(db.session, session_id)
    roles.require_staff(current_user, session)
    return session


def _page(session: ChatSession, add: PromptForm, paste: PasteForm) -> tuple[str, int]:
    status = 400 if add.errors or paste.errors else 200
    page = render_template(
        "prompts/run_sheet.html",
        session=session,
        add_form=add,
        paste_form=paste,
        next_prompt=prompts.next_prompt(session),
    )
    return page, status


def _done(session: ChatSession, events: list[RoomEvent], message: str) -> Response:
    broadcast(events)
    flash(message, "success")
    return redirect(url_for("prompts.run_sheet", session_id=session.id))


@bp.route("/sessions/<int:session_id>/run-sheet", methods=["GET", "POST"])
@login_required
def run_sheet(session_id: int) -> tuple[str, int] | Response:
    """The session's prompts in planned order; add one at the end (POST)."""
    session = _staff_session(session_id)
    add, paste = PromptForm(), PasteForm(formdata=None)
    if add.validate_on_submit():
        try:
            _, events = prompts.add_prompts(
                db.session,
                current_user,
                session,
                [add.body.data or ""],
                add.duration_minutes.data or 0,
                now(),
            )
        except ValidationError as exc:
            db.session.rollback()
            show_errors(add, exc)
        else:
            return _done(session, events, "Prompt added.")
    return _page(session, add, paste)


@bp.post("/sessions/<int:session_id>/run-sheet/paste")
@login_required
def paste_prompts(session_id: int) -> tuple[str, int] | Response:
    """Add one prompt per pasted line."""
    session = _staff_session(session_id)
    add, paste = PromptForm(formdata=None), PasteForm()
    if paste.validate_on_submit():
        try:
            added, events = prompts.add_prompts(
                db.session,
                current_user,
                session,
                prompts.parse_lines(paste.lines.data or ""),
                paste.duration_minutes.data or 0,
                now(),
                field="lines",
            )
        except ValidationError as exc:
            db.session.rollback()
            show_errors(paste, exc)
        else:
            return _done(session, events, f"{len(added)} prompt(s) added.")
    return _page(session, add, paste)


@bp.post("/sessions/<int:session_id>/prompts/<int:prompt_id>/edit")
@login_required
def edit_prompt(session_id: int, prompt_id: int) -> Response:
    """Save a prompt's new words or planned minutes."""
    session = _staff_session(session_id)
    form = PromptForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError({"body": "Enter the prompt and its planned minutes."})
        events = prompts.edit_prompt(
            db.session,
            current_user,
            session,
            prompt_id,
            form.body.data or "",
            form.duration_minutes.data or 0,
            now(),
        )
    except ChatError as exc:
        db.session.rollback()
        flash(f"Not saved: {exc.message}", "error")
        return redirect(url_for("prompts.run_sheet", session_id=session.id))
    return _done(session, events, "Prompt saved.")


@bp.post("/sessions/<int:session_id>/prompts/<int:prompt_id>/<any(up, down, delete):action>")
@login_required
def change_prompt(session_id: int, prompt_id: int, action: str) -> Response:
    """Move a prompt up or down the run sheet, or delete it."""
    session = _staff_session(session_id)
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("prompts.run_sheet", session_id=session.id))
    try:
        if action == "delete":
            events = prompts.delete_prompt(db.session, current_user, session, prompt_id)
        else:
            offset = -1 if action == "up" else 1
            events = prompts.move_prompt(db.session, current_user, session, prompt_id, offset)
    except ChatError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("prompts.run_sheet", session_id=session.id))
    return _done(session, events, "Prompt deleted." if action == "delete" else "Prompt moved.")


@bp.post("/sessions/<int:session_id>/rehearse")
@login_required
def rehearse(session_id: int) -> Response:
    """Open a fresh private rehearsal of the session and go to its room."""
    session = _staff_session(session_id)
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("schedule.lobby", session_id=session.id))
    try:
        copy = rehearsals.start_rehearsal(db.session, current_user, session, now())
    except ChatError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("schedule.lobby", session_id=session.id))
    flash("Rehearsal room ready. Only this session's staff can see it.", "success")
    return redirect(url_for("schedule.lobby", session_id=copy.id))
