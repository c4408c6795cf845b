"""SQLAlchemy models. Times are stored as UTC and always come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC (portable across SQLite and PostgreSQL); return aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base for every table."""


session_facilitators = Table(
    "session_facilitators",
    Base.metadata,
    Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A member: trainee, facilitator (per session) or organiser (of the series)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_organiser: Mapped[bool] = mapped_column(Boolean, default=False)
    trains_at: Mapped[str] = mapped_column(String(120), default="")
    modality: Mapped[str] = mapped_column(String(80), default="")
    training_stage: Mapped[str] = mapped_column(String(40), default="")
    interests: Mapped[str] = mapped_column(String(300), default="")
    bio: Mapped[str] = mapped_column(String(500), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="")
    region: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # A facilitator's speciality interests, listed on their profile and used to filter
    # the schedule (comma-separated, like `interests`).
    specialities: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # Members only appear in the member directory and in suggestions if they opt in.
    directory_listed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Contact details shown only to accepted connections.
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    contact_website: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the member deleted their account: the profile is gone, the row stays so
    # their messages can show as "Former member" and their votes stay counted.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # Flask-Login's protocol, kept here so the web layer needs no wrapper class.
    is_active = True
    is_anonymous = False
    is_authenticated = True

    def get_id(self) -> str:
        """Identifier stored in the signed session cookie."""
        return str(self.id)


class ApiToken(Base):
    """A personal access token for scripts and bots; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class SetupToken(Base):
    """The one-time link that lets the first organiser create their account."""

    __tablename__ = "setup_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Series(Base):
    """A weekly series such as #TraineeTalk: a weekday and local time in an IANA zone."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, as datetime.weekday()
    local_time: Mapped[str] = mapped_column(String(5))  # "HH:MM" on the series' wall clock
    time_zone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # After a session ends, participants have this long to review what the recap shows.
    review_hours: Mapped[int] = mapped_column(Integer, default=48, server_default="48")

    sessions: Mapped[list[ChatSession]] = relationship(
        back_populates="series", order_by="ChatSession.starts_at"
    )


class ChatSession(Base):
    """One scheduled hour: its topic, times, facilitators and the organiser's overrides."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("series_id", "series_slot", name="uq_sessions_series_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), nullable=True
    )
    # The series date this session was generated for; keeps generation idempotent
    # even after the organiser moves the session to another time.
    series_slot: Mapped[date | None] = mapped_column(Date, nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    content_note: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    time_zone: Mapped[str] = mapped_column(String(64))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The last state broadcast to clients; the clock compares and swaps it so that
    # each transition is announced exactly once, even with several processes.
    announced_state: Mapped[str] = mapped_column(String(16), default="scheduled")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # The last message id handed out in this session. Incrementing it in the same
    # transaction as the insert locks the session row, so ids are committed in order
    # and a client that has seen id N has seen every message up to N.
    last_message_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A rehearsal is a private copy of a session for its facilitators to practise in;
    # it never appears in the schedule.
    rehearsal_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), nullable=True
    )
    # Room controls: persisted so that people who join later, and every server
    # process, see the same room.
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pinned_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a seq
    auto_advance: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The prompt pinned as the current question (no foreign key: prompts already
    # point at sessions, and a cycle would complicate every migration).
    current_prompt_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    prompt_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Bumped by every change of the current prompt; steering compares and swaps it,
    # so a click and the auto-advance clock (in any process) cannot both post.
    prompt_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # With pre-moderation, members' new questions wait as `pending` until approved.
    questions_premoderated: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Bumped by each new question: the UPDATE queues askers in one session on this row,
    # so the per-member limits hold even for two tabs asking at the same moment.
    question_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    series: Mapped[Series | None] = relationship(back_populates="sessions")
    facilitators: Mapped[list[User]] = relationship(
        secondary=session_facilitators, order_by="User.display_name"
    )
    prompts: Mapped[list[Prompt]] = relationship(
        back_populates="session", order_by="Prompt.position", cascade="all, delete-orphan"
    )


class Prompt(Base):
    """One question of a session's run sheet. `number` is its Q number once posted."""

    __tablename__ = "prompts"
    __table_args__ = (UniqueConstraint("session_id", "number", name="uq_prompts_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # the planned order, 1..n
    body: Mapped[str] = mapped_column(Text)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=10)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    session: Mapped[ChatSession] = relationship(back_populates="prompts")


class Invitation(Base):
    """An organiser's invitation to facilitate one session; the link carries a signed
    nonce whose SHA-256 is stored here, and it works once."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    session: Mapped[ChatSession] = relationship()
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])


REACTIONS = ("heart", "thumbs_up", "same_here")
# A participant's say over a message or question in the recap: shown with their name,
# shown as "A participant", or left out.
CONSENT_CHOICES = ("keep", "anonymise", "withdraw")
# A message is what someone wrote, a facilitator's posted prompt, an announcement, or a
# member's introduction of themselves to the room.
MESSAGE_KINDS = ("message", "prompt", "announcement", "introduction")


class Message(Base):
    """A chat message. `seq` is its id within the session, as clients see it."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("session_id", "seq", name="uq_messages_session_seq"),
        UniqueConstraint("session_id", "author_id", "client_id", name="uq_messages_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    reply_to: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a seq
    kind: Mapped[str] = mapped_column(String(16), default="message", server_default="message")
    # For a prompt, the prompt posted; for a message, the prompt it answers (if any).
    prompt_id: Mapped[int | None] = mapped_column(
        ForeignKey("prompts.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deleted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # Why a moderator removed it (empty when its author deleted it).
    deleted_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # Set by an edit, the author's (within EDIT_WINDOW) or a moderator's edit-and-note.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    edited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # A moderator's edit says why, and the text before it is kept for the audit log.
    moderator_note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    original_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A facilitator marked it sensitive: members see it collapsed until they open it.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # What its author lets the recap show: one of CONSENT_CHOICES.
    consent: Mapped[str] = mapped_column(String(16), default="keep", server_default="keep")

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    prompt: Mapped[Prompt | None] = relationship()
    reactions: Mapped[list[Reaction]] = relationship(
        back_populates="message", cascade="all, delete-orphan"
    )


class Reaction(Base):
    """One member's reaction of one kind to one message."""

    __tablename__ = "reactions"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    message: Mapped[Message] = relationship(back_populates="reactions")


class BackstageMessage(Base):
    """A note in a session's backstage: only its facilitators and organisers see it."""

    __tablename__ = "backstage_messages"
    __table_args__ = (
        UniqueConstraint("session_id", "author_id", "client_id", name="uq_backstage_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    author: Mapped[User] = relationship()


QUESTION_STATUSES = ("pending", "open", "spotlit", "answered", "dismissed", "merged")


class Question(Base):
    """A question in a session's queue; votes are rows in `question_votes`, counted."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("session_id", "author_id", "client_id", name="uq_questions_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    # Set when a facilitator edited the wording: the author is shown that it was edited.
    edited_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"), nullable=True
    )
    from_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a seq
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # What its asker lets the recap show: one of CONSENT_CHOICES.
    consent: Mapped[str] = mapped_column(String(16), default="keep", server_default="keep")

    author: Mapped[User] = relationship()


class QuestionVote(Base):
    """One member's upvote of one question: the primary key makes it count once."""

    __tablename__ = "question_votes"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConductVersion(Base):
    """One version of the community's code of conduct (Markdown); the newest is in force."""

    __tablename__ = "conduct_versions"

    id: Mapped[int] = mapped_column(primary_key=True)  # the version number members accept
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class ConductAcceptance(Base):
    """A member accepted one version of the code of conduct, at a time."""

    __tablename__ = "conduct_acceptances"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("conduct_versions.id", ondelete="CASCADE"), primary_key=True
    )
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())


REPORT_REASONS = ("harassment", "confidentiality", "safeguarding", "spam", "other")
REPORT_STATUSES = ("open", "resolved", "dismissed")


class Report(Base):
    """A member reported a message or a question to the session's moderators.

    Exactly one of `message_id` and `question_id` is set. The reporter is never shown to
    the reported member; a safeguarding report is urgent.
    """

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reported_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), nullable=True
    )
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), nullable=True
    )
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(1000), default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    resolution: Mapped[str] = mapped_column(String(300), default="")

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    reported_user: Mapped[User] = relationship(foreign_keys=[reported_user_id])
    message: Mapped[Message | None] = relationship()
    question: Mapped[Question | None] = relationship()


SANCTION_KINDS = ("mute", "remove", "ban")


class Sanction(Base):
    """A mute (in a session, until a time), a removal (from a session) or a ban (from the
    community, no session). It binds until `lifted_at` is set, or a mute's `until` passes."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), nullable=True
    )
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lifted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AuditEntry(Base):
    """One moderation action or report resolution: who did what, to whom, when and why.

    Names are copied in as they were, so the log stays readable after an account goes.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    actor_name: Mapped[str] = mapped_column(String(80))
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    subject_name: Mapped[str] = mapped_column(String(80), default="")
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    target: Mapped[str] = mapped_column(String(200), default="")  # e.g. "message 12"
    reason: Mapped[str] = mapped_column(String(1000), default="")


RECAP_VISIBILITY = ("members", "public")


class Recap(Base):
    """A session's published recap. Its content is built from the session's messages and
    questions whenever it is shown, so a change of consent applies at once."""

    __tablename__ = "recaps"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    summary: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default="members")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    session: Mapped[ChatSession] = relationship()


class Visit(Base):
    """One connection's time in a session's room, from join to leave or disconnect.
    A member's attendance is the union of their visits (tabs overlap)."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sid: Mapped[str] = mapped_column(String(64), index=True)  # a disconnect closes by sid
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Certificate(Base):
    """A CPD certificate of attendance, as issued: anyone with its code can verify it.

    What it certifies is copied in, so it still verifies after the account is deleted.
    """

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_certificates_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(80))
    session_title: Mapped[str] = mapped_column(String(200))
    facilitators: Mapped[str] = mapped_column(String(300))
    session_date: Mapped[str] = mapped_column(String(80))  # as printed, in the session's zone
    minutes_attended: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Block(Base):
    """A member blocked another: each is hidden from the other everywhere (directory,
    suggestions, connection requests, the room's presence list)."""

    __tablename__ = "blocks"

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Issue 11: resources


class Resource(Base):
    """A link someone shared in a session's room (an article, a free training, a book).

    Votes are rows in `resource_votes`, counted. A removed resource (by its author, by
    staff, or because its author deleted their account) stays as a row for the record and
    vanishes from the room's panel, the recap and the library.
    """

    __tablename__ = "resources"
    __table_args__ = (
        UniqueConstraint("session_id", "author_id", "client_id", name="uq_resources_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The sharer's tab sends a uuid, so a resend after a reconnect never shares twice.
    client_id: Mapped[str] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    # The link's host without "www.", kept so the library can search and show it.
    domain: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    featured: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    removed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    session: Mapped[ChatSession] = relationship()


class ResourceVote(Base):
    """One member's upvote of one resource: the primary key makes it count once."""

    __tablename__ = "resource_votes"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Issue 11: member directory

# Directory terms compare byte by byte on both databases (SQLite's default), so a prefix
# is one range of the index whatever the server's locale: "C" collation on PostgreSQL.
DIRECTORY_TERM = String(80).with_variant(String(80, collation="C"), "postgresql")


class DirectorySession(Base):
    """A session a member chose to show on their directory card (one they attended)."""

    __tablename__ = "directory_sessions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )


class MemberTerm(Base):
    """One lower-cased word of a member's introduction, for the directory's prefix search
    through the `term` index; rewritten whenever the member saves their profile."""

    __tablename__ = "member_terms"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(DIRECTORY_TERM, primary_key=True, index=True)


# Issue 11: introductions

INTRODUCTION_CHOICES = ("posted", "skipped")


class IntroductionChoice(Base):
    """A member was offered an introduction in a session's room and posted or skipped it;
    the room offers it once per member, never again after either."""

    __tablename__ = "introduction_choices"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    choice: Mapped[str] = mapped_column(String(16))  # one of INTRODUCTION_CHOICES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Issue 11: connections

CONNECTION_STATUSES = ("pending", "accepted", "declined", "withdrawn")


class Connection(Base):
    """A connection request from one member to another, and, once accepted, the connection.

    The row stays after a decline, a withdrawal or the end of a connection (status
    "withdrawn"), so the daily limit on requests counts what was really sent.
    """

    __tablename__ = "connections"
    __table_args__ = (
        # A member's incoming requests still waiting for an answer (and the nav's count).
        Index("ix_connections_incoming", "addressee_id", "status", "created_at"),
        # A member's outgoing requests, and how many they sent in the last day.
        Index("ix_connections_outgoing", "requester_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    addressee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # CONNECTION_STATUSES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When it was last answered, withdrawn or ended.
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    addressee: Mapped[User] = relationship(foreign_keys=[addressee_id])


class ConnectionReport(Base):
    """The addressee of a connection request reported it to the organisers (which also
    declined it); an organiser resolves or dismisses it, in the audit log."""

    __tablename__ = "connection_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))  # one of REPORT_REASONS
    note: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # REPORT_STATUSES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    resolution: Mapped[str] = mapped_column(String(300), default="")

    connection: Mapped[Connection] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
