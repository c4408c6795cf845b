"""Presence is announced at a bounded rate: at once in a quiet room, then at most once
per interval however many people arrive (a join storm costs O(N) messages, not N²)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chat.realtime.presence_updates import Throttle


class Room:
    """A fake clock, a room of `count` people, and the background tasks started."""

    def __init__(self, interval: float) -> None:
        self.now = 100.0
        self.count = 0
        self.announced: list[int] = []
        self.tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self.throttle = Throttle(
            interval, self.snapshot, self.announce, self.start, self.sleep, lambda: self.now
        )

    def snapshot(self, session_id: int) -> dict[str, Any]:
        return {"session_id": session_id, "count": self.count, "people": []}

    def announce(self, session_id: int, snapshot: dict[str, Any]) -> None:
        self.announced.append(snapshot["count"])

    def start(self, task: Callable[..., Any], *args: Any) -> None:
        self.tasks.append((task, args))

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def arrive(self) -> None:
        self.count += 1
        self.throttle.changed(7)

    def run_tasks(self) -> None:
        tasks, self.tasks = self.tasks, []
        for task, args in tasks:
            task(*args)


def test_the_first_arrival_in_a_quiet_room_is_announced_at_once() -> None:
    room = Room(interval=1.0)
    room.arrive()
    assert room.announced == [1] and room.tasks == []


def test_a_storm_of_arrivals_is_gathered_into_one_announcement_per_interval() -> None:
    room = Room(interval=1.0)
    room.arrive()
    for _ in range(500):
        room.now += 0.001
        room.arrive()
    assert room.announced == [1]  # nothing more yet, and a single announcement to come
    assert len(room.tasks) == 1
    room.run_tasks()
    assert room.announced == [1, 501]  # everyone, once the interval is over
    room.now += 5
    room.arrive()
    assert room.announced == [1, 501, 502]  # quiet again: at once


def test_latest_is_what_was_announced_while_fresh_then_counted_again() -> None:
    room = Room(interval=1.0)
    room.arrive()
    room.count = 40  # arrivals whose announcement is still to come
    assert room.throttle.latest(7)["count"] == 1
    room.now += 2
    assert room.throttle.latest(7)["count"] == 40


def test_latest_reuses_the_last_announcement_while_one_is_due_even_if_it_runs_late() -> None:
    room = Room(interval=1.0)
    room.arrive()
    room.now += 0.5
    room.arrive()  # gathered into an announcement due at 101.0
    room.count = 40
    room.now += 3  # a busy process has not run it yet: joiners must not count the room
    assert room.throttle.latest(7)["count"] == 1
    room.run_tasks()
    assert room.throttle.latest(7)["count"] == 40


def test_without_an_interval_every_change_is_announced_at_once() -> None:
    room = Room(interval=0)
    for _ in range(3):
        room.arrive()
    assert room.announced == [1, 2, 3] and room.tasks == []
