"""The weekly series and its sessions: create, generate for N weeks, edit, list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from chat.errors import NotFound, ValidationError
from chat.events import RoomEvent, StaffChanged
from chat.models import ChatSession, Series, User
from chat.services import accounts, clock, consent, facilitators, rooms
from chat.services.roles import require_organiser

MAX_WEEKS = 52
MIN_DURATION, MAX_DURATION = 10, 12 * 60
TBA = "Topic to be announced"
ORGANISERS_ONLY = "Only organisers can change the schedule."


def _check_length(errors: dict[str, str], name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors[name] = f"Keep this to {limit} characters or fewer."


@dataclass(frozen=True)
class SeriesInput:
    """A weekly series as an organiser describes it."""

    name: str
    weekday: int
    local_time: str
    time_zone: str
    duration_minutes: int
    description: str = ""
    review_hours: int = consent.DEFAULT_REVIEW_HOURS


def create_series(db: Session, actor: User, form: SeriesInput, now: datetime) -> Series:
    """Create a weekly series after validating every field."""
    require_organiser(actor, ORGANISERS_ONLY)
    errors: dict[str, str] = {}
    name = form.name.strip()
    if not name:
        errors["name"] = "Give the series a name, such as #TraineeTalk."
    elif db.scalar(select(Series.id).where(Series.name == name)) is not None:
        errors["name"] = "A series with this name already exists."
    _check_length(errors, "name", name, 80)
    _check_length(errors, "description", form.description.strip(), 5000)
    if form.weekday not in range(7):
        errors["weekday"] = "Choose a day of the week."
    for check in (
        lambda: clock.parse_wall_time(form.local_time, "local_time"),
        lambda: clock.zone(form.time_zone),
    ):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.fields)
    if not MIN_DURATION <= form.duration_minutes <= MAX_DURATION:
        errors["duration_minutes"] = f"Use {MIN_DURATION} to {MAX_DURATION} minutes."
    if not consent.MIN_REVIEW_HOURS <= form.review_hours <= consent.MAX_REVIEW_HOURS:
        errors["review_hours"] = (
            f"Use {consent.MIN_REVIEW_HOURS} to {consent.MAX_REVIEW_HOURS} hours (two weeks)."
        )
    if errors:
        raise ValidationError(errors)
    series = Series(
        name=name,
        description=form.description.strip(),
        weekday=form.weekday,
        local_time=clock.parse_wall_time(form.local_time, "local_time").strftime("%H:%M"),
        time_zone=form.time_zone.strip(),
        duration_minutes=form.duration_minutes,
        review_hours=form.review_hours,
        created_at=now,
    )
    db.add(series)
    db.commit()
    return series


def generate_sessions(
    db: Session, actor: User, series: Series, weeks: int, now: datetime
) -> list[ChatSession]:
    """Create the series' sessions for the next `weeks` weeks, skipping dates it already has."""
    require_organiser(actor, ORGANISERS_ONLY)
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValidationError({"weeks": f"Generate 1 to {MAX_WEEKS} weeks at a time."})
    tz = clock.zone(series.time_zone)
    wall = clock.parse_wall_time(series.local_time, "local_time")
    existing = set(
        db.scalars(select(ChatSession.series_slot).where(ChatSession.series_id == series.id))
    )
    created = []
    for day, starts_at in clock.weekly_occurrences(series.weekday, wall, tz, now, weeks):
        if day in existing:
            continue
        session = ChatSession(
            series_id=series.id,
            series_slot=day,
            title=TBA,
            starts_at=starts_at,
            duration_minutes=series.duration_minutes,
            time_zone=series.time_zone,
            created_at=now,
        )
        db.add(session)
        created.append(session)
    db.commit()
    return created


@dataclass(frozen=True)
class SessionInput:
    """A session as an organiser describes it: wall-clock times in a named zone."""

    title: str
    starts_local: datetime | None
    ends_local: datetime | None
    time_zone: str
    description: str = ""
    content_note: str = ""
    facilitator_emails: tuple[str, ...] = field(default_factory=tuple)
    series_id: int | None = None
    cancelled: bool = False


def _resolve(
    db: Session, form: SessionInput, now: datetime, previous_start: datetime | None
) -> dict[str, Any]:
    """Validate a SessionInput; return column values or raise with every field's error."""
    errors: dict[str, str] = {}
    title = form.title.strip()
    if not title:
        errors["title"] = "Give the session a topic."
    _check_length(errors, "title", title, 200)
    _check_length(errors, "description", form.description.strip(), 5000)
    _check_length(errors, "content_note", form.content_note.strip(), 300)
    starts_at = ends_at = None
    try:
        tz = clock.zone(form.time_zone)
    except ValidationError as exc:
        errors.update(exc.fields)
        tz = None
    if form.starts_local is None:
        errors["starts_local"] = "Enter the date and time the session starts."
    if form.ends_local is None:
        errors["ends_local"] = "Enter the date and time the session ends."
    if tz and form.starts_local and form.ends_local:
        starts_at = clock.local_to_utc(form.starts_local.date(), form.starts_local.time(), tz)
        ends_at = clock.local_to_utc(form.ends_local.date(), form.ends_local.time(), tz)
        if starts_at != previous_start and starts_at <= now:
            errors["starts_local"] = "The start is in the past; choose a later time."
        if ends_at <= starts_at:
            errors["ends_local"] = "The end must be after the start."
        elif ends_at - starts_at > timedelta(minutes=MAX_DURATION):
            errors["ends_local"] = f"A session lasts at most {MAX_DURATION // 60} hours."
    facilitators = []
    missing = []
    for email in dict.fromkeys(accounts.normalise_email(e) for e in form.facilitator_emails if e):
        user = db.scalar(select(User).where(User.email == email))
        if user is None:
            missing.append(email)
        else:
            facilitators.append(user)
    if missing:
        errors["facilitators"] = (
            f"Not a user: {', '.join(missing)}. Ask them to register first, then add them."
        )
    if form.series_id is not None and db.get(Series, form.series_id) is None:
        errors["series_id"] = "That series does not exist."
    if errors:
        raise ValidationError(errors)
    assert starts_at is not None and ends_at is not None
    return {
        "title": title,
        "description": form.description.strip(),
        "content_note": form.content_note.strip(),
        "starts_at": starts_at,
        "duration_minutes": int((ends_at - starts_at).total_seconds() // 60),
        "time_zone": form.time_zone.strip(),
        "facilitators": facilitators,
        "series_id": form.series_id,
        "cancelled": form.cancelled,
    }


def create_session(db: Session, actor: User, form: SessionInput, now: datetime) -> ChatSession:
    """Create one session; a failed form leaves no rows behind."""
    require_organiser(actor, ORGANISERS_ONLY)
    values = _resolve(db, form, now, previous_start=None)
    session = ChatSession(created_at=now, **values)
    db.add(session)
    db.commit()
    return session


def update_session(
    db: Session,
    actor: User,
    session: ChatSession,
    form: SessionInput,
    now: datetime,
    lobby_minutes: int,
) -> list[RoomEvent]:
    """Edit a session (topic, times, facilitators, cancelled); announce a state change,
    and a change of facilitators so that every client re-joins with its current role."""
    require_organiser(actor, ORGANISERS_ONLY)
    values = _resolve(db, form, now, previous_start=session.starts_at)
    staff_before = {f.id for f in session.facilitators}
    for name, value in values.items():
        setattr(session, name, value)
    session.revision += 1
    db.commit()
    events: list[RoomEvent] = list(rooms.announce_if_changed(db, session, now, lobby_minutes))
    if {f.id for f in session.facilitators} != staff_before:
        events.append(StaffChanged(session.id, {"session_id": session.id}))
    return events


# Built once: building loader options costs more than the query on every event.
_WITH_STEERING = [joinedload(ChatSession.facilitators), joinedload(ChatSession.prompts)]


def get_session(db: Session, session_id: int) -> ChatSession:
    """The session with this id, or NotFound. Its facilitators and prompts come in the
    same query: nearly every event asks who steers it and which prompt is current."""
    session = db.get(ChatSession, session_id, options=_WITH_STEERING)
    if session is None:
        raise NotFound("There is no such session.")
    return session


def get_series(db: Session, series_id: int) -> Series:
    """The series with this id, or NotFound."""
    series = db.get(Series, series_id)
    if series is None:
        raise NotFound("There is no such series.")
    return series


def series_by_name(db: Session, name: str) -> Series:
    """The series with this exact name, or NotFound."""
    series = db.scalar(select(Series).where(Series.name == name.strip()))
    if series is None:
        raise NotFound(f"There is no series called {name.strip()!r}.")
    return series


def all_series(db: Session) -> list[Series]:
    """Every series, by name."""
    return list(db.scalars(select(Series).order_by(Series.name)))


def upcoming_sessions(
    db: Session,
    now: datetime,
    limit: int = 50,
    *,
    speciality: str = "",
    facilitator_id: int | None = None,
) -> list[ChatSession]:
    """Sessions that have not ended yet (cancelled ones included, marked), soonest first;
    only those with a facilitator listing `speciality`, or facilitated by
    `facilitator_id`, when given."""
    query = (
        select(ChatSession)
        .options(selectinload(ChatSession.facilitators), selectinload(ChatSession.series))
        .where(
            ChatSession.rehearsal_of_id.is_(None),
            ChatSession.starts_at >= now - timedelta(minutes=MAX_DURATION + 60 * 2),
        )
        .order_by(ChatSession.starts_at)
    )
    if speciality.strip():
        query = query.where(facilitators.facilitated_by_speciality(speciality))
    if facilitator_id is not None:
        query = query.where(ChatSession.facilitators.any(User.id == facilitator_id))
    return [s for s in db.scalars(query) if rooms.ends_at(s) > now][:limit]


def past_sessions(db: Session, now: datetime, limit: int = 50) -> list[ChatSession]:
    """Sessions that have ended, most recent first."""
    query = (
        select(ChatSession)
        .options(selectinload(ChatSession.facilitators), selectinload(ChatSession.series))
        .where(ChatSession.rehearsal_of_id.is_(None), ChatSession.starts_at < now)
        .order_by(ChatSession.starts_at.desc())
    )
    return [s for s in db.scalars(query.limit(limit * 2)) if rooms.ends_at(s) <= now][:limit]


def all_sessions(db: Session) -> list[ChatSession]:
    """Every session, soonest first (for the calendar feed and the CLI); no rehearsals."""
    query = (
        select(ChatSession)
        .options(selectinload(ChatSession.facilitators), selectinload(ChatSession.series))
        .where(ChatSession.rehearsal_of_id.is_(None))
        .order_by(ChatSession.starts_at)
    )
    return list(db.scalars(query))


def session_json(session: ChatSession, now: datetime, lobby_minutes: int) -> dict[str, Any]:
    """A session as JSON for scripts (the CLI prints this)."""
    return {
        "id": session.id,
        "title": session.title,
        "series": session.series.name if session.series else None,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": rooms.ends_at(session).isoformat(),
        "duration_minutes": session.duration_minutes,
        "time_zone": session.time_zone,
        "state": rooms.derive_state(session, now, lobby_minutes),
        "facilitators": [f.email for f in session.facilitators],
        "description": session.description,
        "content_note": session.content_note,
    }
