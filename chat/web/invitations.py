"""A session's facilitators (organisers only) and the guest's invitation link page."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from chat.errors import ChatError, ValidationError
from chat.extensions import db
from chat.models import ChatSession, Invitation
from chat.realtime.broadcast import broadcast
from chat.services import accounts, invitations, schedule
from chat.web.common import now, organiser_required, show_errors
from chat.web.forms import ActionForm, AddFacilitatorForm, InviteForm

bp = Blueprint("invitations", __name__)

# What each unusable link's page is titled; the service's message says the rest.
PROBLEM_TITLES = {
    "invalid": "This invitation link is not valid",
    "revoked": "This invitation was withdrawn",
    "used": "This invitation has already been used",
    "expired": "This invitation has expired",
    "closed": "This invitation can no longer be used",
    "wrong_email": "This invitation is for someone else",
}


def _secret_key() -> str | bytes:
    return cast(str | bytes, current_app.config["SECRET_KEY"])


def _forms(action: str | None) -> tuple[AddFacilitatorForm, InviteForm]:
    """Both forms of the page; only the one that was submitted reads the request."""
    add = AddFacilitatorForm(prefix="add") if action == "add" else None
    invite = InviteForm(prefix="invite") if action == "invite" else None
    return (
        add or AddFacilitatorForm(prefix="add", formdata=None),
        invite or InviteForm(prefix="invite", formdata=None),
    )


def _page(
    session: ChatSession,
    add_form: AddFacilitatorForm,
    invite_form: InviteForm,
    status: int = 200,
    **context: Any,
) -> tuple[str, int]:
    page = render_template(
        "invitations/facilitators.html",
        session=session,
        add_form=add_form,
        invite_form=invite_form,
        pending=invitations.pending_invitations(db.session, session, now()),
        lifetime_days=invitations.INVITATION_LIFETIME.days,
        **context,
    )
    return page, status


def _refused(form: FlaskForm, exc: ChatError) -> int:
    """Show a service's refusal on the form; the status to answer with."""
    db.session.rollback()
    if isinstance(exc, ValidationError):
        show_errors(form, exc)
        return 400
    form.form_errors.append(exc.message)
    return exc.http_status


@bp.route("/organise/sessions/<int:session_id>/facilitators", methods=["GET", "POST"])
@organiser_required
def facilitators(session_id: int) -> tuple[str, int] | Response:
    """Who facilitates a session: add a co-facilitator, invite a guest, see pending links."""
    session = schedule.get_session(db.session, session_id)
    action = request.form.get("action") if request.method == "POST" else None
    if action not in (None, "add", "invite"):
        abort(400, "Choose one of the page's buttons.")
    add_form, invite_form = _forms(action)
    if action == "add":
        if not add_form.validate_on_submit():
            return _page(session, add_form, invite_form, 400)
        try:
            events = invitations.add_facilitator(
                db.session, current_user, session, add_form.email.data or ""
            )
        except ChatError as exc:
            return _page(session, add_form, invite_form, _refused(add_form, exc))
        broadcast(events)
        address = accounts.normalise_email(add_form.email.data or "")
        name = next((f.display_name for f in session.facilitators if f.email == address), address)
        flash(f"{name} is now a co-facilitator of this session.", "success")
        return redirect(url_for("invitations.facilitators", session_id=session.id))
    if action == "invite":
        if not invite_form.validate_on_submit():
            return _page(session, add_form, invite_form, 400)
        try:
            invitation, token = invitations.create_invitation(
                db.session,
                current_user,
                session,
                invite_form.email.data or "",
                _secret_key(),
                now(),
            )
        except ChatError as exc:
            return _page(session, add_form, invite_form, _refused(invite_form, exc))
        link = url_for("invitations.invitation", token=token, _external=True)
        # No mail server: the organiser sends the link, and the log keeps a copy.
        current_app.logger.info(
            "Invitation link for %s to facilitate session %s (%s): %s",
            invitation.email,
            session.id,
            session.title,
            link,
        )
        flash(f"Invitation created for {invitation.email}. Copy the link and send it.", "success")
        return _page(
            session,
            AddFacilitatorForm(prefix="add", formdata=None),
            InviteForm(prefix="invite", formdata=None),
            link=link,
            invited=invitation,
        )
    return _page(session, add_form, invite_form)


def _back(session_id: int) -> Response:
    return redirect(url_for("invitations.facilitators", session_id=session_id))


@bp.post("/organise/sessions/<int:session_id>/facilitators/<int:user_id>/revoke")
@organiser_required
def revoke_facilitator(session_id: int, user_id: int) -> Response:
    """Stop someone facilitating a session; they lose the room's controls at once."""
    session = schedule.get_session(db.session, session_id)
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return _back(session.id)
    name = next((f.display_name for f in session.facilitators if f.id == user_id), "")
    try:
        events = invitations.revoke_facilitator(db.session, current_user, session, user_id)
    except ChatError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        broadcast(events)
        flash(f"{name} no longer facilitates this session.", "success")
    return _back(session.id)


@bp.post("/organise/sessions/<int:session_id>/invitations/<int:invitation_id>/revoke")
@organiser_required
def revoke_invitation(session_id: int, invitation_id: int) -> Response:
    """Withdraw a pending invitation: its link stops working."""
    session = schedule.get_session(db.session, session_id)
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return _back(session.id)
    try:
        invitation = invitations.revoke_invitation(
            db.session, current_user, invitation_id, now(), session_id=session.id
        )
    except ChatError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(f"Invitation to {invitation.email} revoked; its link no longer works.", "success")
    return _back(session.id)


def _problem(exc: invitations.InvitationError) -> tuple[str, int]:
    """The page for a link that cannot be used, with the status its case calls for."""
    used_by_viewer = (
        exc.reason == "used"
        and exc.invitation is not None
        and current_user.is_authenticated
        and exc.invitation.used_by_id == current_user.id
    )
    page = render_template(
        "invitations/problem.html",
        title=PROBLEM_TITLES.get(exc.reason, "This invitation cannot be used"),
        error=exc,
        session=exc.invitation.session if used_by_viewer and exc.invitation else None,
    )
    return page, exc.http_status


def _show(invitation: Invitation, token: str) -> str:
    here = url_for("invitations.invitation", token=token)
    signed_in = current_user.is_authenticated
    return render_template(
        "invitations/invitation.html",
        invitation=invitation,
        session=invitation.session,
        here=here,
        masked=invitations.mask_email(invitation.email),
        register_url=url_for("auth.register", next=here, email=invitation.email),
        login_url=url_for("auth.login", next=here),
        wrong_email=(
            invitations.wrong_email_message(invitation, current_user)
            if signed_in and not invitations.email_matches(invitation, current_user)
            else None
        ),
    )


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str) -> str | tuple[str, int] | Response:
    """A guest's invitation link: see the session, sign up or in, then accept (POST)."""
    moment = now()
    try:
        found = invitations.check_invitation(db.session, token, _secret_key(), moment)
    except invitations.InvitationError as exc:
        return _problem(exc)
    if request.method == "GET":
        return _show(found, token)
    if not current_user.is_authenticated:
        return cast(Response, current_app.login_manager.unauthorized())  # type: ignore[attr-defined]
    if not ActionForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("invitations.invitation", token=token))
    try:
        session, events = invitations.accept_invitation(
            db.session, token, current_user, _secret_key(), moment
        )
    except invitations.InvitationError as exc:
        return _problem(exc)
    broadcast(events)
    flash(f"You are now a facilitator of {session.title}.", "success")
    return redirect(url_for("schedule.lobby", session_id=session.id))
