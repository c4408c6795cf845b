"""Who is on a session's page right now, per Socket.IO connection.

This in-process store serves the embedded default (one process). A user with two
tabs open counts once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from threading import Lock
from typing import Any


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
            people = dict(self._rooms.get(session_id, {}).values())
        listed = sorted(
            ({"id": uid, "name": name} for uid, name in people.items()),
            key=lambda p: str(p["name"]).lower(),
        )
        return {"session_id": session_id, "count": len(listed), "people": listed}


presence = LocalPresence()
