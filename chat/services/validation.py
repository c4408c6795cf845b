"""Checks for untrusted payloads (socket events, scripts)."""

from __future__ import annotations

from typing import Any

from chat.errors import ChatError


def require_int(data: Any, name: str) -> int:
    """`data[name]` as a positive integer, or an `invalid` error naming the field."""
    if not isinstance(data, dict):
        raise ChatError("The payload must be an object.", "invalid")
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ChatError(f"{name} must be a positive integer.", "invalid")
    return value
