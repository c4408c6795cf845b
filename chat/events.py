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


@dataclass(frozen=True)
class RoomChanged(RoomEvent):
    """A room control changed: current prompt, pinned message, lock or slow mode."""

    name: ClassVar[str] = "room"


@dataclass(frozen=True)
class StaffEvent(RoomEvent):
    """Something only the session's facilitators and organisers should hear."""


@dataclass(frozen=True)
class RunSheetChanged(StaffEvent):
    """The run sheet of prompts was edited, or a prompt was posted or skipped."""

    name: ClassVar[str] = "run_sheet"


@dataclass(frozen=True)
class BackstagePosted(StaffEvent):
    """A note was posted in the session's backstage."""

    name: ClassVar[str] = "backstage_message"


@dataclass(frozen=True)
class UserEvent(RoomEvent):
    """Something only one member should hear, on every tab they have open (for example
    what a moderator did to them and why). `session_id` is 0 when no session is involved."""

    user_id: int = 0


@dataclass(frozen=True)
class SignedOut(UserEvent):
    """The member deleted their account: every tab they still have open disconnects."""

    name: ClassVar[str] = "signed_out"


@dataclass(frozen=True)
class StaffChanged(RoomEvent):
    """A facilitator was added or revoked: everyone re-joins to get their current role.

    Broadcasting it also empties the staff-only room, so a revoked facilitator stops
    hearing staff events even if their client ignores the request to re-join.
    """

    name: ClassVar[str] = "roles_changed"


@dataclass(frozen=True)
class QuestionChanged(RoomEvent):
    """A question was asked, voted on, edited, moderated, merged or withdrawn.

    Who may see what differs, so the event carries one body per audience: `payload`
    (with the asker's name) for the session's staff and for every socket of the asker,
    `author_id`, even while the question is not public; `public` for members (None
    while only its asker and staff may see it; the name left out if anonymous).
    `was_public` tells members to drop a question they can no longer see.
    """

    name: ClassVar[str] = "question"
    public: dict[str, Any] | None = None
    author_id: int = 0
    was_public: bool = False

    @property
    def author_view(self) -> dict[str, Any]:
        """What the asker's own sockets hear: the staff body, their name included."""
        return self.payload


@dataclass(frozen=True)
class ReportChanged(StaffEvent):
    """A member filed a report, or staff resolved or dismissed one; the payload is the
    report as staff see it, with its reporter."""

    name: ClassVar[str] = "report"


@dataclass(frozen=True)
class OrganiserReport(UserEvent):
    """As ReportChanged, for one organiser: a report about one of the session's staff
    goes to the organisers only (never to the one it is about)."""

    name: ClassVar[str] = "report"


@dataclass(frozen=True)
class MessageEdited(RoomEvent):
    """A message changed after it was sent: edited, marked or unmarked sensitive, or
    restored after a moderator removed it. The payload is the message as it is now."""

    name: ClassVar[str] = "message_edited"


@dataclass(frozen=True)
class ModerationNotice(UserEvent):
    """What a moderator did to one member and why, for every tab they have open."""

    name: ClassVar[str] = "moderation_notice"


@dataclass(frozen=True)
class SanctionsChanged(StaffEvent):
    """A member of the session was muted, removed or readmitted, or a mute was lifted:
    the payload lists the sanctions in force there, for the staff's undo buttons."""

    name: ClassVar[str] = "sanctions"


@dataclass(frozen=True)
class MemberRemoved(RoomEvent):
    """A member was removed from the session or banned: every socket leaves its rooms (in
    every process, through the message queue) and clients re-join, which the removed
    member cannot do. The payload is `roles_changed`'s."""

    name: ClassVar[str] = "roles_changed"


@dataclass(frozen=True)
class ResourceChanged(RoomEvent):
    """A resource was shared, voted on, featured or unfeatured, or removed (then the
    payload is only its `id`, `session_id` and `"removed": true`)."""

    name: ClassVar[str] = "resource"
