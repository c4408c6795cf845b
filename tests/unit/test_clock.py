"""Schedule maths: zones, weekly recurrence across DST, formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from chat.errors import ValidationError
from chat.services import clock

LONDON = ZoneInfo("Europe/London")


def test_weekly_tuesday_2000_london_stays_2000_across_spring_forward() -> None:
    after = datetime(2026, 3, 20, tzinfo=UTC)
    found = clock.weekly_occurrences(1, time(20, 0), LONDON, after, 3)
    assert [day for day, _ in found] == [date(2026, 3, 24), date(2026, 3, 31), date(2026, 4, 7)]
    assert [start.astimezone(LONDON).strftime("%H:%M %Z") for _, start in found] == [
        "20:00 GMT",
        "20:00 BST",
        "20:00 BST",
    ]
    # the UTC instant moves by an hour when the clocks change
    assert [start.hour for _, start in found] == [20, 19, 19]


def test_weekly_tuesday_2000_london_stays_2000_across_fall_back() -> None:
    after = datetime(2026, 10, 15, tzinfo=UTC)
    found = clock.weekly_occurrences(1, time(20, 0), LONDON, after, 3)
    assert [day for day, _ in found] == [date(2026, 10, 20), date(2026, 10, 27), date(2026, 11, 3)]
    assert [start.astimezone(LONDON).strftime("%H:%M") for _, start in found] == ["20:00"] * 3
    assert [start.hour for _, start in found] == [19, 20, 20]


def test_southern_hemisphere_changes_the_other_way() -> None:
    sydney = ZoneInfo("Australia/Sydney")
    # Sydney leaves daylight saving on 5 April 2026.
    found = clock.weekly_occurrences(3, time(19, 30), sydney, datetime(2026, 3, 28, tzinfo=UTC), 2)
    assert [start.astimezone(sydney).strftime("%H:%M") for _, start in found] == ["19:30"] * 2
    assert [start.astimezone(sydney).utcoffset().total_seconds() / 3600 for _, start in found] == [
        11,
        10,
    ]


def test_occurrence_exactly_at_after_is_not_repeated() -> None:
    after = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # a Tuesday, 20:00 GMT
    found = clock.weekly_occurrences(1, time(20, 0), LONDON, after, 1)
    assert found[0][0] == date(2026, 12, 1)


def test_gap_time_moves_forward_and_overlap_takes_the_earlier_instant() -> None:
    gap = clock.local_to_utc(date(2026, 3, 29), time(1, 30), LONDON)
    assert gap == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert gap.astimezone(LONDON).strftime("%H:%M %Z") == "02:30 BST"
    overlap = clock.local_to_utc(date(2026, 10, 25), time(1, 30), LONDON)
    assert overlap == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (datetime(2026, 11, 25, 20, 0, tzinfo=UTC), "Europe/Paris", "Wed 25 Nov, 21:00 CET"),
        (datetime(2026, 7, 7, 19, 0, tzinfo=UTC), "Europe/London", "Tue 7 Jul, 20:00 BST"),
        (datetime(2026, 11, 25, 20, 0, tzinfo=UTC), "America/New_York", "Wed 25 Nov, 15:00 EST"),
        (datetime(2026, 11, 25, 20, 0, tzinfo=UTC), "Not/AZone", "Wed 25 Nov, 20:00 UTC"),
    ],
)
def test_format_local_names_the_zone(moment: datetime, zone: str, expected: str) -> None:
    assert clock.format_local(moment, zone) == expected


@pytest.mark.parametrize("name", ["", "  ", "Mars/Olympus", "../etc/passwd", "Europe/"])
def test_unknown_zones_are_rejected_with_a_field_message(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        clock.zone(name)
    assert "time_zone" in err.value.fields


@pytest.mark.parametrize("text", ["25:00", "8pm", "", "20:61"])
def test_bad_wall_times_are_rejected(text: str) -> None:
    with pytest.raises(ValidationError):
        clock.parse_wall_time(text, "local_time")
