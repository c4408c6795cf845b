"""Helpers shared by the views: the clock, the viewer's time zone, permissions, forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, current_app, g, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from chat.errors import ValidationError
from chat.extensions import db, login_manager
from chat.models import User
from chat.services import clock, rooms, sanctions

F = TypeVar("F", bound=Callable[..., Any])


def now() -> datetime:
    """The current time (tests may replace the app's clock)."""
    return cast(datetime, current_app.config["CHAT_NOW"]())


def lobby_minutes() -> int:
    """How long before the start a session's lobby opens."""
    return int(current_app.config["CHAT_LOBBY_MINUTES"])


def viewer_zone() -> str:
    """The zone to show times in: the profile's, else the browser's (cookie), else UTC.

    Worked out once per request: a transcript page asks for it once per message."""
    if "viewer_zone" not in g:
        g.viewer_zone = _viewer_zone()
    return str(g.viewer_zone)


def _viewer_zone() -> str:
    if current_user.is_authenticated and current_user.time_zone:
        return str(current_user.time_zone)
    candidate = request.cookies.get("tz", "")
    try:
        clock.zone(candidate)
    except ValidationError:
        return "UTC"
    return candidate


def local_time(moment: datetime) -> Markup:
    """A <time> element in the viewer's zone; the browser re-renders it in its own zone."""
    return Markup('<time datetime="{}" data-local>{}</time>').format(
        moment.isoformat(), clock.format_local(moment, viewer_zone())
    )


def local_clock(moment: datetime) -> Markup:
    """A short <time> like "15:03" in the viewer's zone, for lists under a `times_note`."""
    local = moment.astimezone(clock.zone(viewer_zone()))
    # Both parts are made from the datetime alone, so nothing needs escaping (and
    # Markup.format's escaping dominated a long transcript's page).
    return Markup(f'<time datetime="{moment.isoformat()}" data-local="clock">{local:%H:%M}</time>')


def local_span(start: datetime, end: datetime) -> Markup:
    """A <time> like "Tue 1 Dec 2026, 15:00 to 16:00 EST" in the viewer's zone."""
    tz = clock.zone(viewer_zone())
    return Markup('<time datetime="{}" data-local="span" data-end="{}">{}</time>').format(
        start.isoformat(),
        end.isoformat(),
        clock.describe_span(start.astimezone(tz), end.astimezone(tz)),
    )


def local_date(moment: datetime) -> str:
    """The date in the viewer's zone, like "Tue 8 Dec 2026" (a session at 20:00 in London
    falls on the next day in Tokyo)."""
    return clock.long_date(moment.astimezone(clock.zone(viewer_zone())))


def times_note(moment: datetime) -> Markup:
    """Names the zone of the short times on a page, like "America/New_York (EST)", with
    the abbreviation in force at `moment`; the browser re-renders it with the times."""
    name = viewer_zone()
    abbreviation = f"{moment.astimezone(clock.zone(name)):%Z}"
    label = name if abbreviation == name else f"{name} ({abbreviation})"
    return Markup('<span data-local-zone="{}">{}</span>').format(moment.isoformat(), label)


def organiser_required(view: F) -> F:
    """Sign-in required, and 403 for anyone who is not an organiser."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return cast(Any, current_app.login_manager).unauthorized()  # type: ignore[attr-defined]
        if not current_user.is_organiser:
            abort(403, "This page is for organisers.")
        return view(*args, **kwargs)

    return cast(F, wrapped)


def show_errors(form: FlaskForm, exc: ValidationError) -> None:
    """Attach a service's field errors to the form so each shows next to its field."""
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def render_form(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    """Render a form page: 400 when it shows errors, so clients and tests can tell."""
    return render_template(template, form=form, **context), 400 if form.errors else 200


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The signed-in user, unless banned or deleted since: either ends every sign-in."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or user.deleted_at is not None:
        return None
    if sanctions.active_ban(db.session, user.id, now()) is not None:
        return None
    return user


def init_app(app: Flask) -> None:
    """Template helpers and sign-in settings."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_clock"] = local_clock
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.globals["local_span"] = local_span
    app.jinja_env.globals["times_note"] = times_note
    app.jinja_env.globals["weekdays"] = clock.WEEKDAYS

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "room_state": lambda s: rooms.derive_state(s, now(), lobby_minutes()),
            "profile_zone": current_user.time_zone if current_user.is_authenticated else "",
            "render_zone": viewer_zone(),
        }


def local_next(target: str) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects: browsers read
    `//host` and `/\\host` as another site)."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch == "\\" or ord(ch) < 32 for ch in target):
        return None
    return target
