"""Who is on a session's page right now, per Socket.IO connection.

In-process for the embedded default (one process); in Redis when REDIS_URL is set, so
that every process counts everyone in the room. A user with two tabs open counts once.

Each process marks itself alive in Redis and refreshes the mark while it runs; the
connections of a process whose mark has expired (it was killed) stop counting without
anyone having to clean up after it. If Redis cannot be reached, a process counts the
connections it holds itself rather than fail a join.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from threading import Lock
from typing import Any, Protocol

import redis

from chat.dependencies import quick_redis

log = logging.getLogger(__name__)

# A process that has not refreshed its mark for this long is taken for dead.
ALIVE_SECONDS = 30
REFRESH_SECONDS = 10


class Store(Protocol):
    """What the socket handlers need of a presence store."""

    def add(self, session_id: int, sid: str, user_id: int, name: str) -> None: ...
    def remove(self, session_id: int, sid: str) -> bool: ...
    def remove_everywhere(self, sid: str) -> list[int]: ...
    def snapshot(self, session_id: int) -> dict[str, Any]: ...
    def heartbeat(self) -> None: ...


def snapshot_of(session_id: int, entries: list[tuple[int, str]]) -> dict[str, Any]:
    """The `presence` event body for (user id, name) entries: people counted once."""
    people = dict(entries)
    listed = sorted(
        ({"id": uid, "name": name} for uid, name in people.items()),
        key=lambda p: str(p["name"]).lower(),
    )
    return {"session_id": session_id, "count": len(listed), "people": listed}


@dataclass
class LocalPresence:
    """Presence kept in this process: session id → socket id → (user id, name)."""

    _rooms: dict[int, dict[str, tuple[int, str]]] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def add(self, session_id: int, sid: str, user_id: int, name: str) -> None:
        """Record that socket `sid` of this user is on the session's page."""
        with self._lock:
            self._rooms.setdefault(session_id, {})[sid] = (user_id, name)

    def remove(self, session_id: int, sid: str) -> bool:
        """Forget one socket on one page; True if it was there."""
        with self._lock:
            room = self._rooms.get(session_id, {})
            found = room.pop(sid, None) is not None
            if not room:
                self._rooms.pop(session_id, None)
            return found

    def remove_everywhere(self, sid: str) -> list[int]:
        """Forget a disconnected socket; return the sessions it was on."""
        with self._lock:
            left = [session_id for session_id, room in self._rooms.items() if sid in room]
        return [session_id for session_id in left if self.remove(session_id, sid)]

    def snapshot(self, session_id: int) -> dict[str, Any]:
        """The `presence` event body: a count of people and their names."""
        with self._lock:
            entries = list(self._rooms.get(session_id, {}).values())
        return snapshot_of(session_id, entries)

    def heartbeat(self) -> None:
        """Nothing to refresh in this process."""


class RedisPresence:
    """Presence shared by every process on one Redis: a hash per session of socket id →
    (user id, name, process), and a mark per live process that expires unless refreshed."""

    def __init__(self, client: redis.Redis, prefix: str = "traineetalk:presence:") -> None:
        self.client = client
        self.prefix = prefix
        self.process = uuid.uuid4().hex
        self.local = LocalPresence()  # this process's own sockets: for disconnects, and
        self._refreshed = 0.0  # for counting alone while Redis is down

    def _room(self, session_id: int) -> str:
        return f"{self.prefix}room:{session_id}"

    def _alive(self, process: str) -> str:
        return f"{self.prefix}alive:{process}"

    def heartbeat(self) -> None:
        """Mark this process alive (at most every REFRESH_SECONDS)."""
        now = time.monotonic()
        if now - self._refreshed < REFRESH_SECONDS:
            return
        try:
            self.client.set(self._alive(self.process), "1", ex=ALIVE_SECONDS)
            self._refreshed = now
        except redis.RedisError:
            log.warning("presence: Redis is unreachable, counting this process only")

    def add(self, session_id: int, sid: str, user_id: int, name: str) -> None:
        """Record that socket `sid` of this user is on the session's page."""
        self.local.add(session_id, sid, user_id, name)
        self.heartbeat()
        entry = json.dumps([user_id, name, self.process])
        try:
            self.client.hset(self._room(session_id), sid, entry)
        except redis.RedisError:
            log.warning("presence: Redis is unreachable, counting this process only")

    def remove(self, session_id: int, sid: str) -> bool:
        """Forget one socket on one page; True if it was there."""
        found = self.local.remove(session_id, sid)
        try:
            self.client.hdel(self._room(session_id), sid)
        except redis.RedisError:
            log.warning("presence: Redis is unreachable, counting this process only")
        return found

    def remove_everywhere(self, sid: str) -> list[int]:
        """Forget a disconnected socket (one of this process's); return its sessions."""
        left = self.local.remove_everywhere(sid)
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for session_id in left:
                    pipe.hdel(self._room(session_id), sid)
                pipe.execute()
        except redis.RedisError:
            log.warning("presence: Redis is unreachable, counting this process only")
        return left

    def snapshot(self, session_id: int) -> dict[str, Any]:
        """Everyone on the session's page on any live process; entries of dead processes
        are dropped as they are found."""
        try:
            raw = self.client.hgetall(self._room(session_id))
            entries = {sid: json.loads(value) for sid, value in raw.items()}
            processes = sorted({entry[2] for entry in entries.values()})
            marks = self.client.mget([self._alive(p) for p in processes]) if processes else []
            alive = {p for p, mark in zip(processes, marks, strict=True) if mark is not None}
            dead = [sid for sid, entry in entries.items() if entry[2] not in alive]
            if dead:
                self.client.hdel(self._room(session_id), *dead)
        except redis.RedisError:
            log.warning("presence: Redis is unreachable, counting this process only")
            return self.local.snapshot(session_id)
        counted = [(e[0], e[1]) for e in entries.values() if e[2] in alive]
        return snapshot_of(session_id, counted)


_store: Store = LocalPresence()


def use_store_for(redis_url: str | None) -> None:
    """Count in Redis when `redis_url` is set, in this process otherwise."""
    global _store
    _store = RedisPresence(quick_redis(redis_url)) if redis_url else LocalPresence()


def add(session_id: int, sid: str, user_id: int, name: str) -> None:
    """Record that socket `sid` of this user is on the session's page."""
    _store.add(session_id, sid, user_id, name)


def remove(session_id: int, sid: str) -> bool:
    """Forget one socket on one page; True if it was there."""
    return _store.remove(session_id, sid)


def remove_everywhere(sid: str) -> list[int]:
    """Forget a disconnected socket; return the sessions it was on."""
    return _store.remove_everywhere(sid)


def snapshot(session_id: int) -> dict[str, Any]:
    """The `presence` event body: a count of people and (for staff) their names."""
    return _store.snapshot(session_id)


def heartbeat() -> None:
    """Keep this process counted (called by the clock task)."""
    _store.heartbeat()
