"""A member's own data: download it all as JSON, or delete the account."""

from __future__ import annotations

import json
import math

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import PasswordField

from chat import limiting
from chat.errors import ChatError, Forbidden, RateLimited, ValidationError
from chat.extensions import db
from chat.realtime.broadcast import broadcast
from chat.services import deletion, mydata
from chat.web.common import now, render_form, show_errors

bp = Blueprint("mydata", __name__, url_prefix="/profile")


class DeleteAccountForm(FlaskForm):
    """Confirm deleting the account by typing the password again."""

    password = PasswordField("Your password", description="To confirm it is you.")


@bp.get("/data.json")
@login_required
def download() -> Response:
    """Everything the app holds about the signed-in member, as a JSON file."""
    data = mydata.export(db.session, current_user, now())
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n",
        content_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="traineetalk-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> tuple[str, int] | BaseResponse:
    """A warning of what deleting means and a password to confirm; then sign out."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            events = deletion.delete_account(
                db.session,
                user,
                form.password.data or "",
                now(),
                limiter=limiting.current(),
                address=request.remote_addr or "",
            )
        except RateLimited as exc:
            minutes = math.ceil(exc.retry_after / 60)
            wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
            return _refused(form, f"Too many wrong passwords. Try again in {wait}.", exc)
        except ValidationError as exc:
            show_errors(form, exc)
            return _refused(form, "", exc)
        except Forbidden as exc:
            return _refused(form, exc.message, exc)
        logout_user()
        broadcast(events)
        flash("Your account was deleted.", "info")
        return redirect(url_for("schedule.index"))
    return render_form("mydata/delete.html", form)


def _refused(form: DeleteAccountForm, message: str, exc: ChatError) -> tuple[str, int]:
    """The form again, with why nothing was deleted, under the error's status."""
    db.session.rollback()
    if message:
        form.form_errors.append(message)
    return render_form("mydata/delete.html", form)[0], exc.http_status
