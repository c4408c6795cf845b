"""The review page, where participants choose what the recap shows of what they wrote, and
the banner that reminds them while a review window is open."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from chat.errors import ValidationError
from chat.extensions import db
from chat.services import consent, rooms, schedule
from chat.services.consent import Reminder, Review
from chat.web.common import now

bp = Blueprint("consent", __name__)


def _render(found: Review, errors: dict[str, str], submitted: dict[str, str]) -> tuple[str, int]:
    session = found.session
    return render_template(
        "consent/review.html",
        review=found,
        reviewing_session_id=session.id,  # its own reminder would only link to this page
        errors=errors,
        submitted=submitted,
        choices=consent.CHOICE_LABELS,
        closes=found.closes_at,
        ended=rooms.ends_at(session),
    ), 400 if errors else 200


def _chosen_each(found: Review) -> dict[tuple[str, int], str]:
    """The submitted choices that differ from the stored ones; other fields are ignored."""
    chosen = {}
    for item in found.items:
        value = request.form.get(item.key)
        if item.choosable and value is not None and value != item.consent:
            chosen[(item.kind, item.id)] = value
    return chosen


@bp.route("/sessions/<int:session_id>/review", methods=["GET", "POST"])
@login_required
def review(session_id: int) -> tuple[str, int] | Response:
    """A participant's own messages and questions from an ended session, each with a choice
    of what the recap shows, and one choice for all. Others 403; before the end 409."""
    session = schedule.get_session(db.session, session_id)
    found = consent.review(db.session, current_user, session, now())
    if request.method == "GET":
        return _render(found, {}, {})
    scope = request.form.get("scope")
    try:
        if scope == "each":
            changed = consent.set_choices(
                db.session, current_user, session, _chosen_each(found), now()
            )
        elif scope == "all":
            choice = request.form.get("all", "")
            if not choice:
                raise ValidationError({"all": "Choose what to apply to all your messages."})
            changed = consent.set_all(db.session, current_user, session, choice, now())
        else:
            abort(400, "Save your choices with one of the buttons on the review page.")
    except ValidationError as exc:
        db.session.rollback()
        return _render(found, exc.fields, dict(request.form))
    if changed:
        flash(f"Saved. {changed} of your choices changed; the recap follows them.", "success")
    else:
        flash("Saved. Your choices are as they were.", "info")
    return redirect(url_for("consent.review", session_id=session.id))


def _review_reminders() -> list[Reminder]:
    """Sessions the signed-in member can review now (one query), for the banner."""
    if not current_user.is_authenticated:
        return []
    return consent.sessions_to_review(db.session, current_user, now())


@bp.app_context_processor
def _banner() -> dict[str, Any]:
    # A function, so only pages that show the banner (those extending base.html) query.
    return {"review_reminders": _review_reminders}
