"""Register, sign in and out, the first organiser's set-up link, and the profile."""

from __future__ import annotations

import math

from flask import Blueprint, flash, make_response, redirect, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from chat import limiting
from chat.errors import RateLimited, ValidationError
from chat.extensions import db
from chat.services import accounts, directory, limits, sanctions
from chat.web.common import local_next, now, render_form, show_errors
from chat.web.forms import ActionForm, LoginForm, ProfileForm, RegisterForm

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    """Follow ?next= only to a path on this site (no open redirects)."""
    return local_next(request.args.get("next", "")) or default


def _registration(form: RegisterForm) -> accounts.Registration:
    return accounts.Registration(
        email=form.email.data or "",
        display_name=form.display_name.data or "",
        pronouns=form.pronouns.data or "",
        password=form.password.data or "",
    )


@bp.route("/register", methods=["GET", "POST"])
def register() -> tuple[str, int] | Response:
    """A trainee creates an account and is signed in; `?next=` leads back (e.g. to an
    invitation) and `?email=` fills in the address."""
    form = RegisterForm()
    if not form.is_submitted():
        form.email.data = request.args.get("email", "")[:254]
    if form.validate_on_submit():
        try:
            user = accounts.register(db.session, _registration(form), now())
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            login_user(user)
            target = _safe_next("")
            if target:
                flash("Welcome! You are registered and signed in.", "success")
                return redirect(target)
            flash("Welcome! Tell others a little about yourself.", "success")
            return redirect(url_for("auth.profile"))
    return render_form("auth/register.html", form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> tuple[str, int] | Response:
    """Sign in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = limits.sign_in(
                db.session,
                limiting.current(),
                form.email.data or "",
                form.password.data or "",
                request.remote_addr or "",
                now(),
            )
        except RateLimited as exc:
            minutes = math.ceil(exc.retry_after / 60)
            wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
            form.form_errors.append(f"{exc.message} Try again in {wait}.")
            page = make_response(render_form("auth/login.html", form)[0], exc.http_status)
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            # Told only once the password is right, so the reason stays between us.
            ban = sanctions.active_ban(db.session, user.id, now())
            if ban is not None:
                form.form_errors.append(sanctions.ban_message(ban))
                return render_form("auth/login.html", form)[0], 403
            login_user(user)
            return redirect(_safe_next(url_for("schedule.index")))
    return render_form("auth/login.html", form)


@bp.post("/logout")
def logout() -> Response:
    """Sign out (POST with CSRF, so a link elsewhere cannot sign people out); a safe
    `?next=` leads back, e.g. to an invitation meant for another address."""
    if ActionForm().validate_on_submit():
        logout_user()
        flash("You are signed out.", "info")
    return redirect(_safe_next(url_for("schedule.index")))


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str) -> tuple[str, int] | Response:
    """The one-time link printed at first start: create the first organiser account."""
    accounts.check_setup_token(db.session, token, now())
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_first_organiser(db.session, token, _registration(form), now())
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            login_user(user)
            flash("You are the first organiser. Create a series to get started.", "success")
            return redirect(url_for("organise.dashboard"))
    return render_form("auth/setup.html", form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> tuple[str, int] | Response:
    """A member edits their introduction, their directory card and their contact details."""
    form = ProfileForm(obj=current_user)
    attended = directory.attended_sessions(db.session, current_user, now())
    form.shown_sessions.choices = [(s.id, s.title) for s in attended]
    if not form.is_submitted():
        form.shown_sessions.data = sorted(directory.shown_session_ids(db.session, current_user))
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                db.session,
                current_user,
                accounts.Profile(
                    **{name: form[name].data or "" for name in accounts.PROFILE_FIELDS},
                    directory_listed=form.directory_listed.data,
                    shown_sessions=tuple(form.shown_sessions.data or ()),
                ),
            )
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            flash("Profile saved.", "success")
            return redirect(url_for("auth.profile"))
    return render_form("auth/profile.html", form, attended=attended)
