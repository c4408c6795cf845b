"""Time-zone parsing, DST-correct weekly recurrence and human-readable local times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chat.errors import ValidationError

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    """Return the IANA zone called `name`, or raise ValidationError on `field`."""
    cleaned = (name or "").strip()
    try:
        if not cleaned:
            raise ZoneInfoNotFoundError(cleaned)
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            {field: f"“{cleaned}” is not a known time zone; use a name like Europe/London."}
        ) from None


def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """Turn a wall-clock date and time in `tz` into an aware UTC datetime.

    In the autumn overlap the earlier instant is used (fold=0). A time that does not
    exist (the spring-forward gap) is moved forward by the gap, as a clock would be.
    """
    # PEP 495: with fold=0 zoneinfo applies the offset in force *before* a transition,
    # which picks the earlier instant in an overlap and pushes a gap time forward.
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def weekly_occurrences(
    weekday: int, wall: time, tz: ZoneInfo, after: datetime, count: int
) -> list[tuple[date, datetime]]:
    """The next `count` (local date, UTC start) pairs on `weekday` at `wall` in `tz`.

    Each occurrence is computed from its own local date, so the wall-clock time stays
    the same across daylight-saving changes while the UTC time moves.
    """
    local_after = after.astimezone(tz)
    day = local_after.date() + timedelta(days=(weekday - local_after.weekday()) % 7)
    found: list[tuple[date, datetime]] = []
    while len(found) < count:
        starts = local_to_utc(day, wall, tz)
        if starts > after:
            found.append((day, starts))
        day += timedelta(days=7)
    return found


def format_local(moment: datetime, tz_name: str) -> str:
    """Format like "Tue 25 Nov, 21:00 CET" in the named zone (UTC if it is unknown)."""
    try:
        tz: ZoneInfo = ZoneInfo(tz_name) if tz_name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local:%Z}"


def parse_wall_time(text: str, field: str) -> time:
    """Parse "HH:MM" (24-hour) or raise ValidationError on `field`."""
    try:
        return time.fromisoformat((text or "").strip())
    except ValueError:
        raise ValidationError({field: "Use a 24-hour time like 20:00."}) from None


def long_date(moment: datetime) -> str:
    """Like "Tue 1 Dec 2026" (in the zone `moment` carries)."""
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def describe_moment(moment: datetime) -> str:
    """Like "Tue 1 Dec 2026, 21:05 EST" (in the zone `moment` carries)."""
    return f"{long_date(moment)}, {moment:%H:%M %Z}"


def describe_span(start: datetime, end: datetime) -> str:
    """Like "Tue 1 Dec 2026, 20:00 to 21:00 EST", or both ends in full across days."""
    if start.date() == end.date():
        return f"{long_date(start)}, {start:%H:%M} to {end:%H:%M %Z}"
    return f"{describe_moment(start)} to {describe_moment(end)}"
