"""Session transcripts: who may download one, what it holds, and its text formats.

A transcript is the session's messages in order, deleted ones left out, with reactions
counted and every time in the session's own zone. Markdown, JSON and CSV are rendered
here; the print-friendly HTML page is a template (templates/transcripts/transcript.html)
that the web layer fills from the same `Transcript`, so this module stays free of Flask.
The JSON format is described by docs/transcript.schema.json.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from chat.errors import Forbidden
from chat.models import REACTIONS, ChatSession, Message, Prompt, User
from chat.services import clock, messages, questions, roles, rooms
from chat.services.spreadsheet import write_csv

FORMAT_VERSION = 2
EXCERPT = 80
REACTION_LABELS = {"heart": "heart", "thumbs_up": "thumbs up", "same_here": "same here"}
CSV_COLUMNS = (
    "id",
    "created_at",
    "time",
    "author",
    "pronouns",
    "role",
    "kind",
    "prompt_number",
    "label",
    "body",
    "reply_to",
    "reply_excerpt",
    *REACTIONS,
    "reactions_total",
)
# Markdown passes raw HTML through and turns brackets, backticks and asterisks into
# links, code and emphasis. Escaping them shows members' words exactly as written.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&])")


@dataclass(frozen=True)
class Person:
    """A facilitator as transcripts and recaps name them."""

    name: str
    pronouns: str

    def __str__(self) -> str:
        return f"{self.name} ({self.pronouns})" if self.pronouns else self.name


@dataclass(frozen=True)
class Author:
    """Who wrote a message, with the badge they had in this session."""

    name: str
    pronouns: str
    role: str


@dataclass(frozen=True)
class Entry:
    """One message that was not deleted."""

    id: int
    created_at: datetime  # in the session's zone
    author: Author
    body: str
    reply_to: int | None
    reply_excerpt: str | None  # None without a reply, or when the replied-to was deleted
    reactions: dict[str, int]
    kind: str = "message"  # or "prompt" (a facilitator's Qn), "announcement", "introduction"
    prompt_number: int | None = None  # the Q number posted, or the one answered

    @property
    def label(self) -> str:
        """ "Q2" for a posted prompt, "A2" for an answer to it, "Announcement",
        "Introduction", or ""."""
        if self.kind == "announcement":
            return "Announcement"
        if self.kind == "introduction":
            return "Introduction"
        if self.prompt_number is None:
            return ""
        return f"{'Q' if self.kind == 'prompt' else 'A'}{self.prompt_number}"

    @property
    def time(self) -> str:
        """The wall-clock time in the session's zone, like "20:03"."""
        return f"{self.created_at:%H:%M}"

    @property
    def reactions_total(self) -> int:
        """Reactions of every kind added together."""
        return sum(self.reactions.values())


@dataclass(frozen=True)
class QuestionEntry:
    """One question of the queue as exported: anonymous askers stay anonymous."""

    id: int
    status: str
    body: str
    asked_by: str  # the asker's name, or "Anonymous"
    anonymous: bool
    votes: int
    edited: bool
    merged_into: int | None
    created_at: datetime  # in the session's zone
    answered_at: datetime | None

    @property
    def time(self) -> str:
        """When it was asked, like "19:55" (in the session's zone)."""
        return f"{self.created_at:%H:%M}"


@dataclass(frozen=True)
class SessionDetails:
    """The session a transcript or recap belongs to; times are in its own zone."""

    id: int
    title: str
    series: str | None
    facilitators: tuple[Person, ...]
    time_zone: str
    starts_at: datetime
    ends_at: datetime

    @property
    def when(self) -> str:
        """Like "Tue 1 Dec 2026, 20:00 to 21:00 EST", or both ends in full across days."""
        return clock.describe_span(self.starts_at, self.ends_at)

    @property
    def facilitated_by(self) -> str:
        """The facilitators' names (with pronouns), comma separated."""
        return ", ".join(str(person) for person in self.facilitators)

    @classmethod
    def of(cls, session: ChatSession, **extra: Any) -> Any:
        """The details of `session`, with its live time in its own zone."""
        zone = clock.zone(session.time_zone)
        return cls(
            id=session.id,
            title=session.title,
            series=session.series.name if session.series else None,
            facilitators=tuple(Person(f.display_name, f.pronouns) for f in session.facilitators),
            time_zone=session.time_zone,
            starts_at=rooms.live_from(session).astimezone(zone),
            ends_at=rooms.ends_at(session).astimezone(zone),
            **extra,
        )


@dataclass(frozen=True)
class SessionInfo(SessionDetails):
    """A transcript's session, with the state it was in when downloaded."""

    state: str = ""


@dataclass(frozen=True)
class Transcript:
    """Everything each format shows."""

    session: SessionInfo
    entries: tuple[Entry, ...]
    generated_at: datetime  # in the session's zone
    questions: tuple[QuestionEntry, ...] = ()

    @property
    def generated_when(self) -> str:
        """When it was downloaded, like "Tue 1 Dec 2026, 21:05 EST"."""
        return clock.describe_moment(self.generated_at)

    @property
    def is_final(self) -> bool:
        """False while later messages may still come: downloaded before the end."""
        return self.session.state in rooms.FINAL_STATES


def require_access(user: User, session: ChatSession, now: datetime, lobby_minutes: int) -> None:
    """Facilitators and organisers may download any time; members once the session ended."""
    roles.require_view(user, session)
    if roles.is_staff(user, session):
        return
    if rooms.derive_state(session, now, lobby_minutes) != rooms.ENDED:
        raise Forbidden("The transcript is available to members once the session has ended.")


def may_download(user: User, session: ChatSession, now: datetime, lobby_minutes: int) -> bool:
    """Whether `user` may download the transcript now (for showing the links)."""
    try:
        require_access(user, session, now, lobby_minutes)
    except Forbidden:
        return False
    return True


def _visible_messages(db: Session, session: ChatSession) -> list[Row[Any]]:
    """The session's messages that were not deleted, in order, as plain rows: building
    thousands of ORM objects with their relations took most of an export's time."""
    query = (
        select(
            Message.seq,
            Message.created_at,
            Message.author_id,
            Message.body,
            Message.reply_to,
            Message.kind,
            Prompt.number.label("prompt_number"),
        )
        .outerjoin(Prompt, Message.prompt_id == Prompt.id)
        .where(Message.session_id == session.id, Message.deleted_at.is_(None))
        .order_by(Message.seq)
    )
    return list(db.execute(query))


def _authors(db: Session, session: ChatSession, ids: set[int]) -> dict[int, Author]:
    """Each author once, with the badge they have in this session."""
    users = db.scalars(select(User).where(User.id.in_(ids)))
    return {
        user.id: Author(user.display_name, user.pronouns, roles.author_role(user, session))
        for user in users
    }


def excerpt(body: str) -> str:
    """The start of a message on one line, at most EXCERPT characters, cut between words."""
    line = " ".join(body.split())
    if len(line) <= EXCERPT:
        return line
    cut = line[: EXCERPT - 1]
    if line[EXCERPT - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]  # drop the word the cut went through
    return cut.rstrip() + "…"


def build(
    db: Session, actor: User, session: ChatSession, now: datetime, lobby_minutes: int
) -> Transcript:
    """The transcript `actor` may download now, or Forbidden (see `require_access`)."""
    require_access(actor, session, now, lobby_minutes)
    zone = clock.zone(session.time_zone)
    rows = _visible_messages(db, session)
    bodies = {row.seq: row.body for row in rows}
    authors = _authors(db, session, {row.author_id for row in rows})
    reactions = messages.reaction_counts(db, session)
    no_reactions = dict.fromkeys(REACTIONS, 0)
    info = SessionInfo.of(session, state=rooms.derive_state(session, now, lobby_minutes))
    entries = tuple(
        Entry(
            id=row.seq,
            created_at=row.created_at.astimezone(zone),
            author=authors[row.author_id],
            body=row.body,
            reply_to=row.reply_to,
            reply_excerpt=excerpt(bodies[row.reply_to]) if row.reply_to in bodies else None,
            reactions=reactions.get(row.seq, no_reactions),
            kind=row.kind,
            prompt_number=row.prompt_number,
        )
        for row in rows
    )
    return Transcript(info, entries, now.astimezone(zone), _questions(db, session, zone))


# The queue's section lists what was discussed first, then what waited or was set aside.
QUESTION_ORDER = ("spotlit", "answered", "open", "pending", "dismissed", "merged")


def _questions(db: Session, session: ChatSession, zone: ZoneInfo) -> tuple[QuestionEntry, ...]:
    entries = [
        QuestionEntry(
            id=q.id,
            status=q.status,
            body=q.body,
            asked_by="Anonymous" if q.anonymous else q.author.display_name,
            anonymous=q.anonymous,
            votes=votes,
            edited=q.edited_by_staff,
            merged_into=q.merged_into_id,
            created_at=q.created_at.astimezone(zone),
            answered_at=q.answered_at.astimezone(zone) if q.answered_at else None,
        )
        for q, votes in questions.for_transcript(db, session)
    ]
    entries.sort(key=lambda e: (QUESTION_ORDER.index(e.status), -e.votes, e.id))
    return tuple(entries)


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _named(name: str, pronouns: str) -> str:
    return f"{name} ({pronouns})" if pronouns else name


def _reaction_summary(entry: Entry) -> str:
    counted = [f"{REACTION_LABELS[kind]} {n}" for kind, n in entry.reactions.items() if n]
    return f"Reactions: {' · '.join(counted)} ({entry.reactions_total} in all)"


def _markdown_header(transcript: Transcript) -> list[str]:
    info = transcript.session
    facilitators = ", ".join(_named(p.name, p.pronouns) for p in info.facilitators)
    downloaded = transcript.generated_when
    if not transcript.is_final:
        downloaded += f", while the session was {info.state}: later messages are not included"
    lines = [f"# Transcript: {_md(info.title)}", ""]
    if info.series:
        lines.append(f"- Series: {_md(info.series)}")
    if facilitators:
        lines.append(f"- Facilitators: {_md(facilitators)}")
    lines += [
        f"- When: {info.when} ({info.time_zone})",
        f"- Messages: {len(transcript.entries)}",
        f"- Downloaded: {downloaded}",
    ]
    return lines


def _markdown_entry(entry: Entry) -> list[str]:
    who = _md(_named(entry.author.name, entry.author.pronouns))
    if entry.kind == "prompt":
        lines = [f"### {entry.label}", "", f"*#{entry.id} · {entry.time} · {who}*", ""]
    else:
        label = f" · {entry.label}" if entry.label else ""
        lines = [f"**#{entry.id} · {entry.time} · {who}** · {entry.author.role}{label}", ""]
    if entry.reply_to is not None:
        replied = f"“{_md(entry.reply_excerpt)}”" if entry.reply_excerpt else "a deleted message"
        lines += [f"*In reply to #{entry.reply_to}: {replied}*", ""]
    # A trailing backslash is a hard line break, so the member's own line breaks survive.
    body_lines = _md(entry.body).split("\n")
    lines += [f"> {line}\\" for line in body_lines[:-1]] + [f"> {body_lines[-1]}", ""]
    if entry.reactions_total:
        lines += [_reaction_summary(entry), ""]
    return lines


def _question_note(question: QuestionEntry) -> str:
    votes = f"{question.votes} vote{'' if question.votes == 1 else 's'}"
    notes = [question.status, votes]
    if question.merged_into is not None:
        notes.append(f"merged into question {question.merged_into}")
    if question.edited:
        notes.append("edited by a facilitator")
    return " · ".join(notes)


def _markdown_questions(transcript: Transcript) -> list[str]:
    lines = ["---", "", "## Question queue", ""]
    for q in transcript.questions:
        who = _md(q.asked_by)
        lines += [f"- **Question {q.id}** ({_question_note(q)}), {who} at {q.time}:"]
        lines += [f"  {_md(line)}" for line in q.body.split("\n")]
    if not transcript.questions:
        lines.append("*No questions.*")
    return [*lines, ""]


def to_markdown(transcript: Transcript) -> str:
    """The transcript as Markdown; every piece of user text is escaped, never markup."""
    lines = [*_markdown_header(transcript), "", "---", ""]
    for entry in transcript.entries:
        lines += _markdown_entry(entry)
    if not transcript.entries:
        lines += ["*No messages.*", ""]
    lines += _markdown_questions(transcript)
    return "\n".join(lines)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created_at": _iso(entry.created_at),
        "time": entry.time,
        "author": {
            "name": entry.author.name,
            "pronouns": entry.author.pronouns,
            "role": entry.author.role,
        },
        "kind": entry.kind,
        "prompt_number": entry.prompt_number,
        "body": entry.body,
        "reply_to": entry.reply_to,
        "reply_excerpt": entry.reply_excerpt,
        "reactions": dict(entry.reactions),
        "reactions_total": entry.reactions_total,
    }


def to_json(transcript: Transcript) -> dict[str, Any]:
    """The transcript as JSON data, valid against docs/transcript.schema.json."""
    info = transcript.session
    return {
        "version": FORMAT_VERSION,
        "generated_at": _iso(transcript.generated_at),
        "session": {
            "id": info.id,
            "title": info.title,
            "series": info.series,
            "facilitators": [{"name": p.name, "pronouns": p.pronouns} for p in info.facilitators],
            "time_zone": info.time_zone,
            "starts_at": _iso(info.starts_at),
            "ends_at": _iso(info.ends_at),
            "state": info.state,
        },
        "messages": [_entry_json(entry) for entry in transcript.entries],
        "questions": [_question_json(q) for q in transcript.questions],
    }


def to_json_text(transcript: Transcript) -> str:
    """The JSON download, on one line on purpose: indenting makes `json` use its
    pure-Python encoder, which took most of a 10,000-message export's time."""
    return json.dumps(to_json(transcript), ensure_ascii=False) + "\n"


def _question_json(question: QuestionEntry) -> dict[str, Any]:
    return {
        "id": question.id,
        "status": question.status,
        "body": question.body,
        "asked_by": question.asked_by,
        "anonymous": question.anonymous,
        "votes": question.votes,
        "edited": question.edited,
        "merged_into": question.merged_into,
        "created_at": _iso(question.created_at),
        "answered_at": _iso(question.answered_at) if question.answered_at else None,
    }


QUESTION_CSV_COLUMNS = (
    "id",
    "status",
    "votes",
    "asked_by",
    "anonymous",
    "body",
    "edited",
    "merged_into",
    "created_at",
    "answered_at",
)


def questions_to_csv(transcript: Transcript) -> str:
    """The question queue, one row per question, as `to_csv` writes messages."""
    return write_csv(QUESTION_CSV_COLUMNS, map(_question_csv_row, transcript.questions))


def _question_csv_row(q: QuestionEntry) -> dict[str, Any]:
    row = _question_json(q)
    row["anonymous"] = "yes" if q.anonymous else "no"
    row["edited"] = "yes" if q.edited else "no"
    row["merged_into"] = q.merged_into if q.merged_into is not None else ""
    row["answered_at"] = row["answered_at"] or ""
    return row


def _csv_row(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created_at": _iso(entry.created_at),
        "time": entry.time,
        "author": entry.author.name,
        "pronouns": entry.author.pronouns,
        "role": entry.author.role,
        "kind": entry.kind,
        "prompt_number": entry.prompt_number if entry.prompt_number is not None else "",
        "label": entry.label,
        "body": entry.body,
        "reply_to": entry.reply_to if entry.reply_to is not None else "",
        "reply_excerpt": entry.reply_excerpt or "",
        **entry.reactions,
        "reactions_total": entry.reactions_total,
    }


def to_csv(transcript: Transcript) -> str:
    """One row per message under a header row (RFC 4180: CRLF, quoted where needed); text
    that a spreadsheet would run as a formula starts with ' instead."""
    return write_csv(CSV_COLUMNS, map(_csv_row, transcript.entries))
