"""Series and sessions: generation across DST, validation, nothing half-created."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chat.errors import Forbidden, ValidationError
from chat.models import ChatSession, Series, User
from chat.services import schedule
from tests.helpers import START, make_user

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def organiser(dbs: Session) -> User:
    return make_user(dbs, "org@example.org", organiser=True)


def tuesday_series(dbs: Session, organiser: User) -> Series:
    form = schedule.SeriesInput("#TraineeTalk", 1, "20:00", "Europe/London", 60, "Weekly chat")
    return schedule.create_series(dbs, organiser, form, START)


def test_generate_keeps_local_time_across_dst_and_is_idempotent(
    dbs: Session, organiser: User
) -> None:
    series = tuesday_series(dbs, organiser)
    march = datetime(2026, 3, 10, tzinfo=LONDON)
    created = schedule.generate_sessions(dbs, organiser, series, 4, march)
    local = [s.starts_at.astimezone(LONDON) for s in created]
    assert [d.strftime("%a %d %b %H:%M %Z") for d in local] == [
        "Tue 10 Mar 20:00 GMT",
        "Tue 17 Mar 20:00 GMT",
        "Tue 24 Mar 20:00 GMT",
        "Tue 31 Mar 20:00 BST",
    ]
    again = schedule.generate_sessions(dbs, organiser, series, 6, march)
    assert len(again) == 2
    assert dbs.scalar(select(func.count()).select_from(ChatSession)) == 6


def test_a_moved_session_is_not_generated_again(dbs: Session, organiser: User) -> None:
    series = tuesday_series(dbs, organiser)
    (first,) = schedule.generate_sessions(dbs, organiser, series, 1, START)
    form = schedule.SessionInput(
        "Moved",
        datetime(2026, 12, 2, 19, 0),
        datetime(2026, 12, 2, 20, 0),
        "Europe/London",
        series_id=series.id,
    )
    schedule.update_session(dbs, organiser, first, form, START, 15)
    assert schedule.generate_sessions(dbs, organiser, series, 1, START) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"time_zone": "Europe/Londres"}, "time_zone"),
        ({"local_time": "8pm"}, "local_time"),
        ({"weekday": 7}, "weekday"),
        ({"duration_minutes": 0}, "duration_minutes"),
    ],
)
def test_series_validation(dbs: Session, organiser: User, changes: dict, field: str) -> None:
    values = {
        "name": "#TraineeTalk",
        "weekday": 1,
        "local_time": "20:00",
        "time_zone": "Europe/London",
        "duration_minutes": 60,
    } | changes
    with pytest.raises(ValidationError) as err:
        schedule.create_series(dbs, organiser, schedule.SeriesInput(**values), START)
    assert field in err.value.fields
    assert dbs.scalar(select(func.count()).select_from(Series)) == 0


def session_form(**changes: object) -> schedule.SessionInput:
    values: dict = {
        "title": "Endings with clients",
        "starts_local": datetime(2026, 12, 1, 20, 0),
        "ends_local": datetime(2026, 12, 1, 21, 0),
        "time_zone": "Europe/London",
    } | changes
    return schedule.SessionInput(**values)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"time_zone": "Nowhere/Special"}, "time_zone"),
        ({"starts_local": datetime(2026, 11, 1, 20, 0)}, "starts_local"),
        ({"ends_local": datetime(2026, 12, 1, 19, 0)}, "ends_local"),
        ({"ends_local": datetime(2026, 12, 1, 20, 0)}, "ends_local"),
        ({"starts_local": None}, "starts_local"),
        ({"facilitator_emails": ("ghost@example.org",)}, "facilitators"),
        ({"series_id": 999}, "series_id"),
    ],
)
def test_session_validation_leaves_no_rows(
    dbs: Session, organiser: User, changes: dict, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        schedule.create_session(dbs, organiser, session_form(**changes), START)
    assert field in err.value.fields
    dbs.rollback()
    assert dbs.scalar(select(func.count()).select_from(ChatSession)) == 0


def test_session_with_facilitators_and_duration(dbs: Session, organiser: User) -> None:
    guest = make_user(dbs, "guest@example.org", "Dr Guest")
    created = schedule.create_session(
        dbs, organiser, session_form(facilitator_emails=("GUEST@example.org", "")), START
    )
    assert [f.id for f in created.facilitators] == [guest.id]
    assert created.duration_minutes == 60
    assert created.starts_at.astimezone(LONDON).hour == 20


def test_members_cannot_change_the_schedule(dbs: Session) -> None:
    member = make_user(dbs, "trainee@example.org")
    with pytest.raises(Forbidden):
        schedule.create_session(dbs, member, session_form(), START)
    with pytest.raises(Forbidden):
        schedule.create_series(dbs, member, schedule.SeriesInput("x", 1, "20:00", "UTC", 60), START)


def test_editing_a_past_start_keeps_it_but_moving_into_the_past_fails(
    dbs: Session, organiser: User
) -> None:
    created = schedule.create_session(dbs, organiser, session_form(), START)
    later = START + timedelta(days=30)
    # the start is now in the past but unchanged: editing the topic is fine
    schedule.update_session(dbs, organiser, created, session_form(title="Renamed"), later, 15)
    assert created.title == "Renamed"
    with pytest.raises(ValidationError) as err:
        schedule.update_session(
            dbs,
            organiser,
            created,
            session_form(
                starts_local=datetime(2026, 12, 2, 20, 0), ends_local=datetime(2026, 12, 2, 21, 0)
            ),
            later,
            15,
        )
    assert "starts_local" in err.value.fields


def test_cancelling_announces_the_state(dbs: Session, organiser: User) -> None:
    created = schedule.create_session(dbs, organiser, session_form(), START)
    events = schedule.update_session(
        dbs, organiser, created, session_form(cancelled=True), START, 15
    )
    assert [e.payload["state"] for e in events] == ["cancelled"]
    assert created.revision == 1
