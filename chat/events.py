"""Domain events returned by services; realtime/broadcast.py turns them into emits.

Each event belongs to one session's room and carries the payload its Socket.IO event
sends, documented in docs/protocol.md under the event's `name`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class RoomEvent:
    """Something everyone in a session's room should hear."""

    name: ClassVar[str]
    session_id: int
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionStateChanged(RoomEvent):
    """A session moved between scheduled, lobby, live, ended or cancelled, or its times moved."""

    name: ClassVar[str] = "state"


@dataclass(frozen=True)
class MessagePosted(RoomEvent):
    """A new chat message was stored."""

    name: ClassVar[str] = "message"


@dataclass(frozen=True)
class ReactionsChanged(RoomEvent):
    """The reaction counts of one message changed."""

    name: ClassVar[str] = "reactions"


@dataclass(frozen=True)
class MessageDeleted(RoomEvent):
    """A message was deleted by its author or a facilitator or organiser."""

    name: ClassVar[str] = "message_deleted"
