"""Telling a room who is here, at a bounded rate.

At the start of the hour a few thousand people join within a minute. Announcing the
count to everyone on every join would send N messages per join, N² in all; instead each
session's announcement runs at most once per interval (CHAT_PRESENCE_SECONDS): the first
change in a quiet room is announced at once, and the changes that follow within the
interval are gathered into one announcement at its end. A joiner's ack carries the count
announced last, which is at most one interval old.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from threading import Lock
from typing import Any

from chat.extensions import socketio
from chat.realtime import presence
from chat.realtime.broadcast import audience

Snapshot = Callable[[int], dict[str, Any]]
Announce = Callable[[int, dict[str, Any]], None]
StartTask = Callable[..., Any]
Sleep = Callable[[float], Any]


class Throttle:
    """Announce each session's presence at most once per `interval` seconds (0: every
    change at once): `snapshot(session_id)` counts, `announce(session_id, snapshot)` tells."""

    def __init__(
        self,
        interval: float,
        snapshot: Snapshot,
        announce: Announce,
        start_task: StartTask,
        sleep: Sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._snapshot, self._announce = snapshot, announce
        self._start_task, self._sleep, self._clock = start_task, sleep, clock
        self._lock = Lock()
        self._last: dict[int, float] = {}  # when each session was last announced
        self._latest: dict[int, dict[str, Any]] = {}  # and what was announced
        self._waiting: set[int] = set()  # sessions with an announcement to come

    def changed(self, session_id: int) -> None:
        """Someone arrived or left: announce now, or at the end of this interval."""
        with self._lock:
            if session_id in self._waiting:
                return  # the announcement to come will include this change
            wait = self._last.get(session_id, float("-inf")) + self.interval - self._clock()
            if wait > 0:
                self._waiting.add(session_id)
            else:
                self._last[session_id] = self._clock()
        if wait > 0:
            self._start_task(self._announce_later, session_id, wait)
        else:
            self._run(session_id)

    def latest(self, session_id: int) -> dict[str, Any]:
        """The presence announced last, if it is at most one interval old or an
        announcement is due (it may run late when the process is busy); else now's."""
        with self._lock:
            fresh = self._clock() - self._last.get(session_id, float("-inf")) <= self.interval
            current = fresh or session_id in self._waiting
            if current and session_id in self._latest:
                return self._latest[session_id]
        return self._snapshot(session_id)

    def _announce_later(self, session_id: int, wait: float) -> None:
        self._sleep(wait)
        with self._lock:
            self._waiting.discard(session_id)
            self._last[session_id] = self._clock()
        self._run(session_id)

    def _run(self, session_id: int) -> None:
        snapshot = self._snapshot(session_id)
        with self._lock:
            self._latest[session_id] = snapshot
        self._announce(session_id, snapshot)


def count_only(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What members hear: how many are here, not who."""
    return {"session_id": snapshot["session_id"], "count": snapshot["count"]}


def _tell_room(session_id: int, snapshot: dict[str, Any]) -> None:
    """Staff hear who is here; members how many."""
    socketio.emit("presence", snapshot, to=audience(session_id, staff=True))
    socketio.emit("presence", count_only(snapshot), to=audience(session_id, staff=False))


_throttle = Throttle(
    0, presence.snapshot, _tell_room, socketio.start_background_task, socketio.sleep
)


def use_interval(seconds: float) -> None:
    """Announce each session's presence at most once per `seconds` (CHAT_PRESENCE_SECONDS)."""
    global _throttle
    _throttle = Throttle(
        seconds, presence.snapshot, _tell_room, socketio.start_background_task, socketio.sleep
    )


def changed(session_id: int) -> None:
    """Someone arrived on the session's page or left it."""
    _throttle.changed(session_id)


def latest(session_id: int) -> dict[str, Any]:
    """The session's presence as last announced (at most one interval old)."""
    return _throttle.latest(session_id)
