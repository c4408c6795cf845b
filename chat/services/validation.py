"""Checks for untrusted payloads (socket events, scripts): types, not domain rules."""

from __future__ import annotations

import uuid
from typing import Any

from chat.errors import ChatError


def _field(data: Any, name: str) -> Any:
    if not isinstance(data, dict):
        raise ChatError("The payload must be an object.", "invalid")
    return data.get(name)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def require_int(data: Any, name: str, minimum: int = 1) -> int:
    """`data[name]` as an integer of at least `minimum` (default: positive), or an
    `invalid` error naming the field."""
    value = _field(data, name)
    if not _is_int(value) or value < minimum:
        if minimum == 1:
            raise ChatError(f"{name} must be a positive integer.", "invalid")
        raise ChatError(f"{name} must be an integer of at least {minimum}.", "invalid")
    return int(value)


def optional_int(data: Any, name: str, minimum: int = 1) -> int | None:
    """`data[name]` as an integer of at least `minimum`, or None when absent or null."""
    value = _field(data, name)
    if value is None:
        return None
    if not _is_int(value) or value < minimum:
        raise ChatError(f"{name} must be an integer of at least {minimum}.", "invalid")
    return int(value)


def require_str(data: Any, name: str) -> str:
    """`data[name]` as a string (possibly empty: content rules belong to the service)."""
    value = _field(data, name)
    if not isinstance(value, str):
        raise ChatError(f"{name} must be a string.", "invalid")
    return value


def require_uuid(data: Any, name: str) -> str:
    """`data[name]` as a canonical lower-case UUID string."""
    value = _field(data, name)
    try:
        if not isinstance(value, str) or len(value) > 36:
            raise ValueError(value)
        parsed = uuid.UUID(value)
    except ValueError:
        raise ChatError(f"{name} must be a UUID such as a uuid4.", "invalid") from None
    return str(parsed)


def require_bool(data: Any, name: str) -> bool:
    """`data[name]` as a JSON boolean."""
    value = _field(data, name)
    if not isinstance(value, bool):
        raise ChatError(f"{name} must be true or false.", "invalid")
    return value
