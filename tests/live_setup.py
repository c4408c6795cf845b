"""Setup for tests against a real server: accounts, tokens and sessions written into a
`LiveServer`'s own database through the services, from the test process.

A `flask` command per step (tests/test_cli.py runs those) paid for a Python start and an
app import each, 1 to 2 s; these take milliseconds. Each service commits, so the server
process sees the rows at once. Passwords are hashed with this process's cheap argon2
(tests/conftest.py); an argon2 hash carries its own parameters, so the server verifies it,
and rehashes it at sign-in as it would an old account's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chat.services import accounts, clock, schedule
from tests.conftest import LiveServer
from tests.helpers import PASSWORD


def register_users(server: LiveServer, *people: tuple[str, str, str, bool]) -> None:
    """Accounts as (email, name, pronouns, organiser), with the shared test password."""
    with server.database() as db:
        for email, name, pronouns, organiser in people:
            form = accounts.Registration(email, name, PASSWORD, pronouns)
            accounts.register(db, form, datetime.now(UTC), organiser=organiser)


def issue_tokens(server: LiveServer, *emails: str) -> dict[str, str]:
    """A new API token for each account, by email (as `flask users token` prints one)."""
    with server.database() as db:
        users = {email: accounts.user_by_email(db, email) for email in emails}
        now = datetime.now(UTC)
        return {email: accounts.issue_api_token(db, user, now) for email, user in users.items()}


def schedule_session(
    server: LiveServer,
    title: str,
    starts: datetime,
    *facilitators: str,
    minutes: int = 60,
    time_zone: str = "UTC",
    **form: Any,
) -> int:
    """A session at the instant `starts` (past or future) lasting `minutes`, in
    `time_zone`, scheduled by the first organiser with `facilitators` by email; `form`
    adds SessionInput fields (content_note, ...). Returns its id."""
    zone = clock.zone(time_zone)
    ends = starts + timedelta(minutes=minutes)
    details = schedule.SessionInput(
        title,
        starts.astimezone(zone).replace(tzinfo=None),
        ends.astimezone(zone).replace(tzinfo=None),
        time_zone,
        facilitator_emails=facilitators,
        **form,
    )
    with server.database() as db:
        # Scheduled a day ahead, as an organiser would have (a past start is refused).
        scheduled_at = min(datetime.now(UTC), starts - timedelta(days=1))
        organiser = accounts.first_organiser(db)
        return schedule.create_session(db, organiser, details, scheduled_at).id


def create_session(
    server: LiveServer,
    title: str,
    *facilitators: str,
    starts_in: timedelta = timedelta(minutes=1),
    **options: Any,
) -> int:
    """A session starting in a minute, in UTC: its lobby is open, so people can already
    chat. With a later `starts_in` (beyond the lobby), it is still only scheduled.
    `options` go to schedule_session (minutes, content_note, ...)."""
    starts = (datetime.now(UTC) + starts_in).replace(microsecond=0)
    return schedule_session(server, title, starts, *facilitators, **options)
