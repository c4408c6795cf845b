"""Domain events returned by services; realtime/broadcast.py turns them into emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SessionStateChanged:
    """A session moved between scheduled, lobby, live, ended or cancelled."""

    session_id: int
    payload: dict[str, Any] = field(default_factory=dict)
    name: str = "state"


Event = SessionStateChanged
