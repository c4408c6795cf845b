"""Errors that carry their code; one handler maps them for HTTP, one for sockets."""

from __future__ import annotations

HTTP_STATUS = {
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "invalid": 400,
    "rate_limited": 429,
    "room_closed": 409,
    "conflict": 409,
    "unavailable": 503,
}


class ChatError(Exception):
    """A failure the user can be told about: a code from DESIGN.md and a message."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def http_status(self) -> int:
        """The HTTP status for this error's code."""
        return HTTP_STATUS[self.code]

    def as_ack(self) -> dict[str, object]:
        """The Socket.IO acknowledgement payload for this error."""
        return {"ok": False, "error": {"code": self.code, "message": self.message}}


class Forbidden(ChatError):
    """The actor is signed in but may not do this."""

    code = "forbidden"


class NotFound(ChatError):
    """The thing asked for does not exist (or the actor may not know it does)."""

    code = "not_found"


class Unauthenticated(ChatError):
    """No valid identity was presented."""

    code = "unauthenticated"


class ValidationError(ChatError):
    """Bad input; `fields` maps a form field name to what is wrong with it."""

    code = "invalid"

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in fields.items()))
        self.fields = fields

    def as_ack(self) -> dict[str, object]:
        """The error ack, with `fields`: what is wrong with each field, for inline errors."""
        return {
            "ok": False,
            "error": {"code": self.code, "message": self.message, "fields": self.fields},
        }


class RateLimited(ChatError):
    """Too soon: the ack says how many seconds to wait before trying again."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def as_ack(self) -> dict[str, object]:
        """The error ack, with `retry_after` in seconds."""
        return {
            "ok": False,
            "error": {"code": self.code, "message": self.message, "retry_after": self.retry_after},
        }


class AgreementRequired(Forbidden):
    """The member has not accepted the group agreement in force (its version is in the ack)."""

    def __init__(self, version: int) -> None:
        super().__init__("Please read and accept the group agreement first.")
        self.version = version

    def as_ack(self) -> dict[str, object]:
        """The error ack, with `agreement_version`: the version to read and accept."""
        return {
            "ok": False,
            "error": {
                "code": self.code,
                "message": self.message,
                "agreement_version": self.version,
            },
        }


class Muted(Forbidden):
    """A moderator muted the member in this session; the ack says until when (ISO 8601)."""

    def __init__(self, message: str, until: str) -> None:
        super().__init__(message)
        self.until = until

    def as_ack(self) -> dict[str, object]:
        """The error ack, with `until`: when the mute ends."""
        return {
            "ok": False,
            "error": {"code": self.code, "message": self.message, "until": self.until},
        }
