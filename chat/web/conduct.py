"""The group agreement: anyone reads it, members accept it, organisers edit it."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, TextAreaField

from chat.errors import ChatError, ValidationError
from chat.extensions import db
from chat.models import User
from chat.services import conduct
from chat.web.common import local_next, now, organiser_required, render_form, show_errors

bp = Blueprint("conduct", __name__)


class AcceptForm(FlaskForm):
    """A member accepts the version they read."""

    version = HiddenField()
    agree = BooleanField("I have read and agree to the group agreement")


class AgreementForm(FlaskForm):
    """An organiser edits the agreement."""

    body = TextAreaField(
        "Agreement",
        description=(
            "Markdown: # for headings, - for lists, *emphasis*, **strong** and "
            "[links](https://example.org). Saving a change asks every member to accept "
            f"it again. Up to {conduct.MAX_LENGTH:,} characters."
        ),
        render_kw={"rows": 24},
    )


def agreement_url(next_path: str) -> str:
    """Where a member who has not accepted the agreement is sent, coming back to `next_path`."""
    return url_for("conduct.agreement", next=next_path)


@bp.route("/agreement", methods=["GET", "POST"])
def agreement() -> tuple[str, int] | Response:
    """Anyone reads the agreement in force; a signed-in member accepts it, then goes on to
    `?next=` (a local path)."""
    if request.method == "POST" and not current_user.is_authenticated:
        return cast(Any, current_app.login_manager).unauthorized()  # type: ignore[attr-defined]
    version = conduct.current(db.session)
    form = AcceptForm()
    next_path = local_next(request.args.get("next", ""))
    if version is not None and form.validate_on_submit():
        if not form.agree.data:
            show_errors(form, ValidationError({"agree": "Tick the box to accept the agreement."}))
        else:
            try:
                read = int(form.version.data or 0)
                conduct.accept(db.session, current_user, read, now())
            except (ValueError, ChatError):
                db.session.rollback()
                form.form_errors.append(
                    "The agreement changed while you were reading it. Please read this version."
                )
            else:
                flash("Thank you for accepting the group agreement.", "success")
                return redirect(next_path or url_for("schedule.index"))
    form.version.data = str(version.id) if version is not None else ""
    accepted = current_user.is_authenticated and conduct.has_accepted_current(
        db.session, current_user
    )
    return render_form(
        "conduct/agreement.html",
        form,
        version=version,
        html=conduct.render(version.body) if version is not None else None,
        accepted=accepted,
        next_path=next_path,
    )


@bp.route("/organise/agreement", methods=["GET", "POST"])
@organiser_required
def edit() -> tuple[str, int] | Response:
    """Organisers publish a new version; members are asked to accept it on their next visit."""
    version = conduct.current(db.session)
    form = AgreementForm()
    if form.validate_on_submit():
        try:
            saved, created = conduct.publish(db.session, current_user, form.body.data or "", now())
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            if created:
                flash(
                    f"Version {saved.id} published. Members accept it before their next room.",
                    "success",
                )
            else:
                flash(f"No change: this is the text of version {saved.id} already.", "info")
            return redirect(url_for("conduct.edit"))
    if not form.is_submitted():
        form.body.data = version.body if version is not None else conduct.STARTER_AGREEMENT
    return render_form(
        "conduct/edit.html",
        form,
        version=version,
        accepted=conduct.acceptance_count(db.session, version) if version is not None else 0,
        members=db.session.scalar(select(func.count()).select_from(User)) or 0,
    )
