"""The organisers' command line: users, tokens, sessions."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import func, select

from chat.extensions import db
from chat.models import ChatSession, User
from chat.services import accounts
from tests.helpers import PASSWORD, make_user


def run(app: Flask, *args: str, stdin: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def test_users_create_reads_the_password_from_stdin(app: Flask) -> None:
    result = run(
        app,
        "users",
        "create",
        "Lead@Example.org",
        "--name",
        "Lead",
        "--organiser",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["email"] == "lead@example.org" and created["organiser"] is True
    assert accounts.authenticate(db.session, "lead@example.org", PASSWORD).is_organiser


def test_users_create_errors(app: Flask, member: User) -> None:
    weak = run(app, "users", "create", "new@example.org", "--name", "New", stdin="short\n")
    assert weak.exit_code == 1 and "password: Use at least 10 characters." in weak.output
    dup = run(app, "users", "create", member.email, "--name", "Again", stdin=PASSWORD + "\n")
    assert dup.exit_code == 1 and "already exists" in dup.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_users_token_prints_a_working_token(app: Flask, member: User) -> None:
    result = run(app, "users", "token", member.email)
    assert result.exit_code == 0
    token = result.output.strip()
    assert accounts.user_for_token(db.session, token).id == member.id  # type: ignore[union-attr]
    missing = run(app, "users", "token", "nobody@example.org")
    assert missing.exit_code == 1 and "No user has the email nobody@example.org" in missing.output


def test_sessions_create_and_list(app: Flask, organiser: User) -> None:
    make_user(db.session, "guest@example.org", "Guest")
    result = run(
        app,
        "sessions",
        "create",
        "--title",
        "Working with shame",
        "--starts-at",
        "2026-12-01T20:00:00+00:00",
        "--duration-minutes",
        "60",
        "--facilitator",
        "guest@example.org",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["title"] == "Working with shame"
    assert created["starts_at"] == "2026-12-01T20:00:00+00:00"
    assert created["ends_at"] == "2026-12-01T21:00:00+00:00"
    assert created["facilitators"] == ["guest@example.org"]
    assert created["state"] == "scheduled"
    assert db.session.get(ChatSession, created["id"]) is not None
    listed = [json.loads(line) for line in run(app, "sessions", "list").output.splitlines()]
    assert [s["id"] for s in listed] == [created["id"]]


def test_sessions_create_in_a_series_uses_its_zone(app: Flask, organiser: User) -> None:
    from chat.services import schedule
    from tests.helpers import START

    schedule.create_series(
        db.session,
        organiser,
        schedule.SeriesInput("#TraineeTalk", 1, "20:00", "Europe/London", 60),
        START,
    )
    result = run(
        app,
        "sessions",
        "create",
        "--title",
        "Summer",
        "--series",
        "#TraineeTalk",
        "--starts-at",
        "2027-07-06T20:00",
        "--duration-minutes",
        "60",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["series"] == "#TraineeTalk" and created["time_zone"] == "Europe/London"
    assert created["starts_at"] == "2027-07-06T19:00:00+00:00"  # 20:00 BST


def test_sessions_create_errors_leave_nothing(app: Flask, organiser: User) -> None:
    cases = [
        (
            ["--starts-at", "2026-12-01T20:00Z", "--facilitator", "ghost@example.org"],
            "Not a user: ghost@example.org",
        ),
        (["--starts-at", "2020-01-01T20:00Z"], "The start is in the past"),
        (["--starts-at", "next tuesday"], "Use ISO 8601"),
        (["--starts-at", "2026-12-01T20:00Z", "--series", "Nope"], "There is no series called"),
        (["--starts-at", "2026-12-01T20:00", "--time-zone", "Moon/Base"], "not a known time zone"),
    ]
    for extra, message in cases:
        result = run(app, "sessions", "create", "--title", "T", "--duration-minutes", "60", *extra)
        assert result.exit_code == 1 and message in result.output, (extra, result.output)
    assert db.session.scalar(select(func.count()).select_from(ChatSession)) == 0


def test_sessions_create_needs_an_organiser(app: Flask, member: User) -> None:
    result = run(
        app,
        "sessions",
        "create",
        "--title",
        "T",
        "--duration-minutes",
        "60",
        "--starts-at",
        "2026-12-01T20:00Z",
    )
    assert result.exit_code == 1 and "There is no organiser yet" in result.output
    as_member = run(
        app,
        "sessions",
        "create",
        "--title",
        "T",
        "--duration-minutes",
        "60",
        "--starts-at",
        "2026-12-01T20:00Z",
        "--as",
        member.email,
    )
    assert as_member.exit_code == 1 and "Only organisers" in as_member.output
