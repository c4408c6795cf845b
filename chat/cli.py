"""`flask` commands for organisers who script: users, tokens, sessions, migrations."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime, timedelta

import click
from flask import Flask, current_app

from chat import migrate
from chat.errors import ChatError, ValidationError
from chat.extensions import db
from chat.models import User
from chat.realtime.broadcast import broadcast
from chat.services import accounts, clock, controls, schedule


def _now() -> datetime:
    moment: datetime = current_app.config["CHAT_NOW"]()
    return moment


def _fail(exc: ChatError) -> click.ClickException:
    db.session.rollback()
    if isinstance(exc, ValidationError):
        return click.ClickException("\n".join(f"{k}: {v}" for k, v in exc.fields.items()))
    return click.ClickException(exc.message)


def _actor(email: str | None) -> User:
    """The account named by `--as`, or the first organiser."""
    if email:
        return accounts.user_by_email(db.session, email)
    return accounts.first_organiser(db.session)


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@click.group("db")
def db_group() -> None:
    """Database commands."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (run once per release)."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is up to date.")


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--pronouns", default="", help="Optional pronouns.")
@click.option("--organiser", is_flag=True, help="Make this user an organiser.")
def users_create(email: str, name: str, pronouns: str, organiser: bool) -> None:
    """Create a user; the password comes from a prompt, or one line of stdin."""
    form = accounts.Registration(email, name, _read_password(), pronouns)
    try:
        user = accounts.register(db.session, form, _now(), organiser=organiser)
    except ChatError as exc:
        raise _fail(exc) from None
    click.echo(json.dumps({"id": user.id, "email": user.email, "organiser": user.is_organiser}))


@users_group.command("token")
@click.argument("email")
def users_token(email: str) -> None:
    """Print a new personal access token for scripts and bots."""
    try:
        user = accounts.user_by_email(db.session, email)
    except ChatError as exc:
        raise _fail(exc) from None
    click.echo(accounts.issue_api_token(db.session, user, _now()))


@click.group("sessions")
def sessions_group() -> None:
    """Manage sessions."""


@sessions_group.command("create")
@click.option("--title", required=True, help="The topic.")
@click.option("--starts-at", required=True, help="ISO 8601, e.g. 2026-12-01T20:00+00:00.")
@click.option("--duration-minutes", required=True, type=click.IntRange(1, 24 * 60))
@click.option("--facilitator", "facilitators", multiple=True, help="Email; repeatable.")
@click.option("--series", "series_name", default=None, help="Name of an existing series.")
@click.option("--time-zone", default=None, help="IANA zone (default: the series' or UTC).")
@click.option("--description", default="")
@click.option("--content-note", default="")
@click.option("--as", "actor_email", default=None, help="Organiser to act as (default: first).")
def sessions_create(
    title: str,
    starts_at: str,
    duration_minutes: int,
    facilitators: tuple[str, ...],
    series_name: str | None,
    time_zone: str | None,
    description: str,
    content_note: str,
    actor_email: str | None,
) -> None:
    """Create a session and print it as JSON (including its id)."""
    try:
        actor = _actor(actor_email)
        series = schedule.series_by_name(db.session, series_name) if series_name else None
        zone_name = time_zone or (series.time_zone if series else "UTC")
        tz = clock.zone(zone_name)
        try:
            start = datetime.fromisoformat(starts_at)
        except ValueError:
            raise ValidationError(
                {"starts_at": "Use ISO 8601, e.g. 2026-12-01T20:00+00:00."}
            ) from None
        start = start.replace(tzinfo=tz) if start.tzinfo is None else start
        end = start.astimezone(UTC) + timedelta(minutes=duration_minutes)
        form = schedule.SessionInput(
            title=title,
            starts_local=start.astimezone(tz).replace(tzinfo=None),
            ends_local=end.astimezone(tz).replace(tzinfo=None),
            time_zone=zone_name,
            description=description,
            content_note=content_note,
            facilitator_emails=facilitators,
            series_id=series.id if series else None,
        )
        created = schedule.create_session(db.session, actor, form, _now())
    except ChatError as exc:
        raise _fail(exc) from None
    lobby = current_app.config["CHAT_LOBBY_MINUTES"]
    click.echo(json.dumps(schedule.session_json(created, _now(), lobby)))


@sessions_group.command("list")
def sessions_list() -> None:
    """Print every session as JSON, one per line, soonest first."""
    lobby = current_app.config["CHAT_LOBBY_MINUTES"]
    for found in schedule.all_sessions(db.session):
        click.echo(json.dumps(schedule.session_json(found, _now(), lobby)))


@sessions_group.command("announce")
@click.argument("session_id", type=int)
@click.argument("text")
@click.option(
    "--as", "actor_email", default=None, help="Staff member to post as (default: first organiser)."
)
def sessions_announce(session_id: int, text: str, actor_email: str | None) -> None:
    """Post an announcement to a session's room, from a script or a scheduled job.

    It is stored first, then published through the Socket.IO message queue (REDIS_URL), so
    members on every server process see it at once; without REDIS_URL they see it when
    they next open the room.
    """
    lobby = current_app.config["CHAT_LOBBY_MINUTES"]
    try:
        found = schedule.get_session(db.session, session_id)
        stored, events = controls.announce(
            db.session, _actor(actor_email), found, text, str(uuid.uuid4()), _now(), lobby
        )
    except ChatError as exc:
        raise _fail(exc) from None
    broadcast(events)
    if not current_app.config["REDIS_URL"]:
        click.echo("REDIS_URL is not set: members see this when they next open the room.", err=True)
    click.echo(json.dumps({"id": stored["id"], "session_id": session_id}))


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (db_group, users_group, sessions_group):
        app.cli.add_command(group)
