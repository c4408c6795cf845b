"""The organisers' list of members banned from the community, with a way to lift each ban."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from chat.errors import ChatError
from chat.extensions import db
from chat.realtime.broadcast import broadcast
from chat.services import moderation
from chat.web.common import now, organiser_required
from chat.web.forms import ActionForm

bp = Blueprint("bans", __name__, url_prefix="/organise/bans")


@bp.get("/")
@organiser_required
def bans() -> str:
    """Every ban in force: who, why, when and by whom, each with an Unban button."""
    return render_template(
        "organise/bans.html", bans=moderation.bans(db.session, now()), form=ActionForm()
    )


@bp.post("/<int:user_id>/unban")
@organiser_required
def unban(user_id: int) -> Response:
    """Lift a member's ban (POST with CSRF); they may sign in again."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        broadcast(moderation.unban(db.session, current_user, user_id, now()))
    except ChatError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("The ban is lifted: they can sign in again.", "success")
    return redirect(url_for("bans.bans"))
