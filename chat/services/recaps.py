"""Session recaps: what a published recap shows, who may see and publish it, and its
Markdown and PDF forms (the HTML page and download are templates filled from the same view).

A recap is built from the session's current messages, questions and consent every time
it is shown, so a change of consent applies at once. It never holds a withdrawn or
deleted message, nor anything of a deleted account: not as a message, not quoted in a
reply, not as a question made from it. Only current text is used (never the text before
an edit). Times are in the session's own zone.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from chat.errors import ChatError, Forbidden, ValidationError
from chat.models import RECAP_VISIBILITY, ChatSession, Message, Prompt, Question, Recap, User
from chat.services import audit, clock, consent, questions, resources, roles
from chat.services.pdf import Document
from chat.services.resources import SharedResource
from chat.services.transcripts import Person, SessionDetails

MAX_SUMMARY = 2000
EXCERPT = 80
ANONYMOUS = "A participant"
GENERAL_TITLE = "General conversation"
# The queue as the recap tells it: what was answered, then what was in the spotlight,
# then what was still waiting. Pending, dismissed and merged questions are left out.
QUESTION_ORDER = ("answered", "spotlit", "open")
VISIBILITY_LABELS = {"members": "Signed-in members", "public": "Anyone, without signing in"}
# Markdown passes raw HTML through and turns brackets, backticks and asterisks into
# links, code and emphasis: escaped, members' words show exactly as written.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&#])")


@dataclass(frozen=True)
class ReplyContext:
    """What a reply answers: the quoted message, or nothing when it is not in the recap."""

    author: str | None = None
    excerpt: str | None = None

    @property
    def shown(self) -> bool:
        """False when the message replied to is left out (and so is not quoted)."""
        return self.excerpt is not None

    @property
    def text(self) -> str:
        """One line saying what the message replies to."""
        if self.excerpt is None:
            return "Replying to a message that is not in the recap"
        return f"Replying to {self.author}: “{self.excerpt}”"


@dataclass(frozen=True)
class RecapMessage:
    """A message as the recap shows it: named, or "A participant" when anonymised."""

    seq: int
    created_at: datetime  # in the session's zone
    author: str
    pronouns: str
    role: str  # "facilitator", "organiser", "member", or "" when anonymised
    kind: str  # "message" or "announcement"
    body: str
    reply: ReplyContext | None
    edited: bool
    sensitive: bool

    @property
    def time(self) -> str:
        """Like "20:03", in the session's zone."""
        return f"{self.created_at:%H:%M}"

    @property
    def byline(self) -> str:
        """Like "20:03 · Tam (they/them) · member", or "Announcement" for one."""
        who = str(Person(self.author, self.pronouns))
        parts = [self.time, who]
        if self.role:
            parts.append(self.role)
        if self.kind == "announcement":
            parts.append("announcement")
        if self.edited:
            parts.append("edited")
        return " · ".join(parts)


@dataclass(frozen=True)
class Section:
    """A posted prompt and the answers to it, or the general conversation (`number` None)."""

    number: int | None
    prompt: str | None
    posted_by: str | None
    posted_at: datetime | None  # in the session's zone
    messages: tuple[RecapMessage, ...]

    @property
    def title(self) -> str:
        """ "Q2" for a prompt, else the general conversation's heading."""
        return f"Q{self.number}" if self.number is not None else GENERAL_TITLE

    @property
    def anchor(self) -> str:
        """An id for links within the page."""
        return f"q{self.number}" if self.number is not None else "general"


@dataclass(frozen=True)
class RecapQuestion:
    """A question of the queue as the recap shows it."""

    id: int
    status: str
    body: str
    asked_by: str
    votes: int

    @property
    def votes_label(self) -> str:
        """Like "1 vote" or "3 votes"."""
        return f"{self.votes} vote{'' if self.votes == 1 else 's'}"


@dataclass(frozen=True)
class Figures:
    """What was said, counted over everything not deleted, whatever its consent: the
    numbers reveal no content. Participants are the distinct people who wrote a chat
    message or asked a question (attendance alone does not count)."""

    participants: int
    messages: int
    questions_asked: int
    questions_answered: int


@dataclass(frozen=True)
class RecapView:
    """Everything the page, the downloads and the PDF show."""

    session: SessionDetails
    sections: tuple[Section, ...]
    questions: tuple[RecapQuestion, ...]
    figures: Figures
    summary: str
    visibility: str
    published_at: datetime | None  # in the session's zone; None while unpublished
    review_closes_at: datetime  # in the session's zone
    generated_at: datetime  # in the session's zone
    # The links shared in the room, without who shared them (a recap may be public).
    resources: tuple[SharedResource, ...] = ()

    @property
    def published(self) -> bool:
        """Whether members (or everyone) can read it."""
        return self.published_at is not None

    @property
    def published_when(self) -> str:
        """Like "Thu 3 Dec 2026, 21:00 EST", or "" while unpublished."""
        return clock.describe_moment(self.published_at) if self.published_at is not None else ""

    @property
    def visibility_label(self) -> str:
        """Who may read it, in words."""
        return VISIBILITY_LABELS[self.visibility]


def get(db: Session, session: ChatSession) -> Recap | None:
    """The session's recap row (published or not), if it was ever published."""
    return db.get(Recap, session.id)


def is_published(recap: Recap | None) -> bool:
    """Whether the recap is out now."""
    return recap is not None and recap.published_at is not None


def can_view(viewer: User | None, session: ChatSession, recap: Recap | None) -> bool:
    """Staff may always look (a preview while unpublished); once published, signed-in
    members may read a members' recap and anyone a public one."""
    if viewer is not None and roles.is_staff(viewer, session):
        return True
    if session.rehearsal_of_id is not None or session.cancelled or not is_published(recap):
        return False
    assert recap is not None
    return recap.visibility == "public" or viewer is not None


def may_publish_now(actor: User, session: ChatSession, now: datetime) -> bool:
    """Whether `actor` could publish the recap at `now` (for showing the form)."""
    return (
        roles.is_staff(actor, session)
        and session.rehearsal_of_id is None
        and not session.cancelled
        and now >= consent.review_closes_at(session)
    )


def _clean_summary(summary: str) -> str:
    text = (summary or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > MAX_SUMMARY:
        raise ValidationError(
            {"summary": f"Keep the summary to {MAX_SUMMARY:,} characters (it has {len(text):,})."}
        )
    return text


def _require_publishable(actor: User, session: ChatSession, now: datetime) -> None:
    roles.require_staff(actor, session)
    if session.rehearsal_of_id is not None:
        raise ChatError("A rehearsal has no recap.", "conflict")
    if session.cancelled:
        raise ChatError("This session was cancelled; it has no recap.", "conflict")
    closes = consent.review_closes_at(session)
    if now < closes:
        when = clock.describe_moment(closes.astimezone(clock.zone(session.time_zone)))
        raise ChatError(
            f"Participants can review what the recap shows until {when}; "
            "you can publish it after that.",
            "conflict",
        )


def publish(
    db: Session, actor: User, session: ChatSession, summary: str, visibility: str, now: datetime
) -> Recap:
    """Publish (or update) the recap with a summary, for members or for everyone.

    The session's facilitators and organisers may, once the review window has closed;
    only organisers may make a recap public (a facilitator may keep it public).
    """
    _require_publishable(actor, session, now)
    text = _clean_summary(summary)
    if visibility not in RECAP_VISIBILITY:
        raise ValidationError({"visibility": "Choose who can read the recap: members or anyone."})
    recap = get(db, session)
    already_public = recap is not None and recap.visibility == "public"
    if visibility == "public" and not actor.is_organiser and not already_public:
        raise Forbidden("Only organisers can make a recap public.")
    if recap is None:
        recap = Recap(session_id=session.id, updated_at=now)
        db.add(recap)
    recap.summary = text
    recap.visibility = visibility
    if recap.published_at is None:
        recap.published_at = now
    recap.published_by_id = actor.id
    recap.updated_at = now
    audit.record(
        db, actor, "publish_recap", now, session=session,
        target=f"recap of session {session.id}", reason=f"visible to {visibility}",
    )  # fmt: skip
    db.commit()
    return recap


def unpublish(db: Session, actor: User, session: ChatSession, now: datetime) -> Recap:
    """Take a published recap down (staff); its summary is kept for publishing again."""
    roles.require_staff(actor, session)
    recap = get(db, session)
    if recap is None or recap.published_at is None:
        raise ChatError("The recap is not published.", "conflict")
    recap.published_at = None
    recap.updated_at = now
    audit.record(
        db, actor, "unpublish_recap", now, session=session,
        target=f"recap of session {session.id}",
    )  # fmt: skip
    db.commit()
    return recap


def _messages(db: Session, session: ChatSession) -> list[Message]:
    query = (
        select(Message)
        .options(selectinload(Message.author))
        .where(Message.session_id == session.id)
        .order_by(Message.seq)
    )
    return list(db.scalars(query))


def _shown(message: Message) -> bool:
    """Whether a message may appear in the recap at all (quoted or in full)."""
    if message.deleted_at is not None:
        return False
    if message.kind == "introduction":
        return False  # it describes its author, not the discussion; a recap may be public
    if message.kind == "prompt":
        return True  # a facilitator's posted question frames the recap
    return message.consent != "withdraw" and message.author.deleted_at is None


def _anonymised(message: Message) -> bool:
    return message.kind != "prompt" and message.consent == "anonymise"


def _author_name(message: Message) -> str:
    return ANONYMOUS if _anonymised(message) else message.author.display_name


def _excerpt(body: str) -> str:
    return textwrap.shorten(" ".join(body.split()), EXCERPT, placeholder="…")


def _reply(message: Message, shown: dict[int, Message]) -> ReplyContext | None:
    if message.reply_to is None:
        return None
    parent = shown.get(message.reply_to)
    if parent is None:
        return ReplyContext()
    return ReplyContext(_author_name(parent), _excerpt(parent.body))


def _recap_message(
    message: Message, session: ChatSession, shown: dict[int, Message], zone: ZoneInfo
) -> RecapMessage:
    anonymised = _anonymised(message)
    return RecapMessage(
        seq=message.seq,
        created_at=message.created_at.astimezone(zone),
        author=_author_name(message),
        pronouns="" if anonymised else message.author.pronouns,
        role="" if anonymised else roles.author_role(message.author, session),
        kind=message.kind,
        body=message.body,
        reply=_reply(message, shown),
        edited=message.edited_at is not None,
        sensitive=message.sensitive,
    )


def _sections(
    db: Session, session: ChatSession, rows: list[Message], zone: ZoneInfo
) -> tuple[Section, ...]:
    shown = {m.seq: m for m in rows if _shown(m)}
    posted = list(
        db.scalars(
            select(Prompt)
            .where(Prompt.session_id == session.id, Prompt.number.is_not(None))
            .order_by(Prompt.number, Prompt.posted_at)
        )
    )
    posters = {m.prompt_id: m for m in rows if m.kind == "prompt"}
    answers: dict[int | None, list[RecapMessage]] = {p.id: [] for p in posted}
    answers[None] = []
    for message in shown.values():
        if message.kind == "prompt":
            continue
        key = message.prompt_id if message.prompt_id in answers else None
        answers[key].append(_recap_message(message, session, shown, zone))
    sections = []
    if answers[None]:
        sections.append(Section(None, None, None, None, tuple(answers[None])))
    for prompt in posted:
        poster = posters.get(prompt.id)
        sections.append(
            Section(
                number=prompt.number,
                prompt=prompt.body,
                posted_by=poster.author.display_name if poster is not None else None,
                posted_at=prompt.posted_at.astimezone(zone) if prompt.posted_at else None,
                messages=tuple(answers[prompt.id]),
            )
        )
    return tuple(sections)


def _questions(asked: list[tuple[Question, int]], rows: list[Message]) -> tuple[RecapQuestion, ...]:
    by_seq = {m.seq: m for m in rows}
    found = []
    for question, votes in asked:
        if question.status not in QUESTION_ORDER or question.consent == "withdraw":
            continue
        if question.author.deleted_at is not None:
            continue
        source = by_seq.get(question.from_message_id) if question.from_message_id else None
        if question.from_message_id is not None and (source is None or not _shown(source)):
            continue  # its text is a withdrawn or deleted message's
        anonymous = (
            question.anonymous
            or question.consent == "anonymise"
            or (source is not None and _anonymised(source))
        )
        asked_by = ANONYMOUS if anonymous else question.author.display_name
        found.append(RecapQuestion(question.id, question.status, question.body, asked_by, votes))
    found.sort(key=lambda q: (QUESTION_ORDER.index(q.status), -q.votes, q.id))
    return tuple(found)


def _figures(asked: list[tuple[Question, int]], rows: list[Message]) -> Figures:
    said = [m for m in rows if m.kind == "message" and m.deleted_at is None]
    people = {m.author_id for m in said} | {q.author_id for q, _ in asked}
    answered = sum(1 for q, _ in asked if q.status == "answered")
    return Figures(len(people), len(said), len(asked), answered)


def build(db: Session, session: ChatSession, now: datetime) -> RecapView:
    """The recap as it stands now, from current messages, questions and consent.

    Callers check `can_view` first; building shows nothing that a published recap would
    not, so a staff preview is exactly what members will read.
    """
    zone = clock.zone(session.time_zone)
    rows = _messages(db, session)
    asked = questions.for_transcript(db, session)
    recap = get(db, session)
    details = SessionDetails.of(session)
    published_at = recap.published_at if recap is not None else None
    return RecapView(
        session=details,
        sections=_sections(db, session, rows, zone),
        questions=_questions(asked, rows),
        figures=_figures(asked, rows),
        summary=recap.summary if recap is not None else "",
        visibility=recap.visibility if recap is not None else "members",
        published_at=published_at.astimezone(zone) if published_at is not None else None,
        review_closes_at=consent.review_closes_at(session).astimezone(zone),
        generated_at=now.astimezone(zone),
        resources=tuple(resources.for_recap(db, session)),
    )


def _md(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _md_lines(text: str, prefix: str = "") -> list[str]:
    # A trailing backslash is a hard line break, so the writer's own line breaks survive.
    lines = _md(text).split("\n")
    return [f"{prefix}{line}\\" for line in lines[:-1]] + [f"{prefix}{lines[-1]}"]


def _md_header(view: RecapView) -> list[str]:
    info = view.session
    lines = [f"# Recap: {_md(info.title)}", ""]
    if info.series:
        lines.append(f"- Series: {_md(info.series)}")
    if info.facilitators:
        lines.append(f"- Facilitators: {_md(info.facilitated_by)}")
    lines.append(f"- When: {info.when} ({info.time_zone})")
    if view.published_at is not None:
        lines.append(f"- Published: {clock.describe_moment(view.published_at)}")
    else:
        lines.append("- Not published yet: this is a preview")
    return lines


def _md_figures(figures: Figures) -> list[str]:
    return [
        "## In figures",
        "",
        f"- Participants: {figures.participants}",
        f"- Messages: {figures.messages}",
        f"- Questions asked: {figures.questions_asked}",
        f"- Questions answered: {figures.questions_answered}",
        "",
    ]


def _md_section(section: Section) -> list[str]:
    lines = [f"## {section.title}", ""]
    if section.prompt is not None:
        lines += [*_md_lines(section.prompt, "> "), ""]
        if section.posted_by and section.posted_at:
            lines += [f"*Asked by {_md(section.posted_by)} at {section.posted_at:%H:%M}*", ""]
    for message in section.messages:
        lines += [f"**{_md(message.byline)}**", ""]
        if message.reply is not None:
            lines += [f"*{_md(message.reply.text)}*", ""]
        if message.sensitive:
            lines += ["*Marked sensitive by a facilitator.*", ""]
        lines += [*_md_lines(message.body, "> "), ""]
    if not section.messages:
        lines += ["*No answers in the recap.*", ""]
    return lines


def _md_questions(view: RecapView) -> list[str]:
    lines = ["## Question queue", ""]
    for q in view.questions:
        lines.append(f"- **{q.status.capitalize()}** ({q.votes_label}), {_md(q.asked_by)}:")
        lines += [f"  {_md(line)}" for line in q.body.split("\n")]
    if not view.questions:
        lines.append("*No questions in the recap.*")
    return [*lines, ""]


def _md_link(url: str) -> str:
    # A link destination in angle brackets may hold anything but "<", ">" and line breaks,
    # which a checked link never has; parentheses are percent-encoded besides.
    return "<" + url.replace("(", "%28").replace(")", "%29") + ">"


def _md_resources(view: RecapView) -> list[str]:
    lines = ["## Resources shared", ""]
    for r in view.resources:
        featured = "**Featured** · " if r.featured else ""
        lines.append(f"- [{_md(r.title)}]({_md_link(r.url)}) ({featured}{_md(r.domain)}, "
                     f"{r.votes_label})")  # fmt: skip
        lines += [f"  {_md(line)}" for line in r.note.split("\n") if r.note]
    if not view.resources:
        lines.append("*No resources were shared.*")
    return [*lines, ""]


def to_markdown(view: RecapView) -> str:
    """The recap as Markdown: every piece of user text escaped, never markup."""
    lines = [*_md_header(view), ""]
    if view.summary:
        lines += ["## Summary", "", *_md_lines(view.summary), ""]
    lines += _md_figures(view.figures)
    for section in view.sections:
        lines += _md_section(section)
    if not view.sections:
        lines += ["*No messages in the recap.*", ""]
    lines += _md_questions(view)
    lines += _md_resources(view)
    return "\n".join(lines)


def _pdf_section(doc: Document, section: Section) -> None:
    doc.heading(
        section.title if section.prompt is None else f"{section.title}: {section.prompt}", 14
    )
    if section.posted_by and section.posted_at:
        doc.paragraph(f"Asked by {section.posted_by} at {section.posted_at:%H:%M}", 9)
    for message in section.messages:
        doc.paragraph(message.byline, 9, bold=True)
        if message.reply is not None:
            doc.paragraph(message.reply.text, 9)
        if message.sensitive:
            doc.paragraph("Marked sensitive by a facilitator.", 9)
        doc.paragraph(message.body)
    if not section.messages:
        doc.paragraph("No answers in the recap.", 10)


def to_pdf(view: RecapView) -> bytes:
    """The recap as a PDF drawn server-side: a heading per prompt, the text, the figures."""
    info = view.session
    doc = Document(f"Recap: {info.title}")
    doc.heading(f"Recap: {info.title}")
    if info.series:
        doc.paragraph(f"Series: {info.series}", 10)
    if info.facilitators:
        doc.paragraph(f"Facilitators: {info.facilitated_by}", 10)
    doc.paragraph(f"When: {info.when} ({info.time_zone})", 10)
    if view.published_at is not None:
        doc.paragraph(f"Published: {clock.describe_moment(view.published_at)}", 10)
    else:
        doc.paragraph("Not published yet: this is a preview.", 10)
    if view.summary:
        doc.heading("Summary", 14)
        doc.paragraph(view.summary)
    figures = view.figures
    doc.heading("In figures", 14)
    doc.paragraph(
        f"Participants: {figures.participants} · Messages: {figures.messages} · "
        f"Questions asked: {figures.questions_asked} · "
        f"Questions answered: {figures.questions_answered}",
        10,
    )
    for section in view.sections:
        _pdf_section(doc, section)
    doc.heading("Question queue", 14)
    for q in view.questions:
        doc.paragraph(f"{q.status.capitalize()} ({q.votes_label}), {q.asked_by}", 9, bold=True)
        doc.paragraph(q.body)
    if not view.questions:
        doc.paragraph("No questions in the recap.", 10)
    doc.heading("Resources shared", 14)
    for r in view.resources:
        featured = "Featured · " if r.featured else ""
        doc.paragraph(f"{r.title} ({featured}{r.domain}, {r.votes_label})", 10, bold=True)
        doc.paragraph(r.url, 9)
        if r.note:
            doc.paragraph(r.note)
    if not view.resources:
        doc.paragraph("No resources were shared.", 10)
    return doc.to_bytes()
