"""Anonymised transcripts for research and training: names become stable pseudonyms.

Organisers export an ended session's transcript in which each author is named by their
part in the session: the session's facilitators are "Facilitator", organisers are
"Organiser" (a role, as facilitators keep theirs), and everyone else is "Participant 1",
"Participant 2" ... numbered by first appearance. Pronouns are dropped. Consent applies:
withdrawn messages and questions (and questions made from a withdrawn message) are left
out, and a reply to one keeps its place without quoting it. Anonymous questions stay
"Anonymous", so a question is never linked to its asker's pseudonym.

Names typed in text are the usual leak, so every message, reply excerpt, question and the
title are scrubbed too: the display name of each person known to the session (authors,
facilitators, organisers, and members who reacted, voted or were present) is replaced,
whole word, wherever it appears (case-insensitively; "@Tam" becomes "@Participant 1"), and
so is each word of three letters or more of a longer name ("Maya" of "Dr Maya Okafor") when
written with its capitals. A name shared by several people becomes "[name removed]".
Limits: nicknames, misspellings, names of people the session does not know, and other
identifying details (places, emails) are not caught; a display name that is an ordinary
word is replaced wherever that word appears. Accounts already deleted are named "Former
member" and are not searched for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import ChatError
from chat.models import (
    ChatSession,
    Message,
    Question,
    QuestionVote,
    Reaction,
    User,
    Visit,
)
from chat.services import roles, rooms, transcripts
from chat.services.transcripts import Author, Entry, Person, QuestionEntry, Transcript

FACILITATOR = "Facilitator"
ORGANISER = "Organiser"
PARTICIPANT = "Participant"
AMBIGUOUS = "[name removed]"
ANONYMOUS = "Anonymous"
MIN_NAME_PART = 3
# Words of a name that say nothing about who someone is.
TITLES = frozenset({"dr", "mr", "mrs", "ms", "mx", "miss", "prof", "rev", "sir", "dame"})
NOTE = (
    "*Anonymised for research and training: names are pseudonyms and withdrawn "
    "messages are left out.*"
)


class Pseudonyms:
    """Who is called what: a role for staff, the next "Participant n" for anyone else."""

    def __init__(self, people: Mapping[int, tuple[str, str]]) -> None:
        """`people` maps a user id to (display name to search for, or "", role label or "")."""
        self._roles = {uid: role for uid, (_, role) in people.items()}
        self._given: dict[int, str] = {}
        whole: dict[str, set[int]] = {}
        parts: dict[str, set[int]] = {}
        for uid, (name, _) in people.items():
            if not name.strip():
                continue
            whole.setdefault(name.strip().casefold(), set()).add(uid)
            words = re.findall(r"\w[\w'\u2019-]*\w", name)
            for word in words if len(words) > 1 else ():
                if len(word) >= MIN_NAME_PART and word.casefold() not in TITLES:
                    parts.setdefault(word, set()).add(uid)
        self._whole, self._parts = whole, parts
        names = [(len(n), f"(?i:{re.escape(n)})") for n in whole if len(n) >= MIN_NAME_PART]
        names += [(len(n), re.escape(n)) for n in whole if len(n) < MIN_NAME_PART]
        names += [(len(n), re.escape(n)) for n in parts]
        names.sort(key=lambda pair: -pair[0])
        alternatives = "|".join(pattern for _, pattern in names)
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if names else None

    def of(self, user_id: int) -> str:
        """The name this person goes by in the export."""
        role = self._roles.get(user_id, "")
        if role:
            return role
        if user_id not in self._given:
            self._given[user_id] = f"{PARTICIPANT} {len(self._given) + 1}"
        return self._given[user_id]

    def scrub(self, text: str) -> str:
        """`text` with every known name replaced by that person's pseudonym."""
        if self._pattern is None:
            return text
        return self._pattern.sub(self._replacement, text)

    def _replacement(self, match: re.Match[str]) -> str:
        found = match.group(0)
        owners = self._whole.get(found.casefold()) or self._parts.get(found, set())
        if len(owners) != 1:
            return AMBIGUOUS
        return self.of(next(iter(owners)))


def require_export(actor: User, session: ChatSession, now: datetime, lobby_minutes: int) -> None:
    """Organisers only (Forbidden), and only once the session has ended (conflict)."""
    roles.require_organiser(actor, "Only organisers can export anonymised transcripts.")
    if rooms.derive_state(session, now, lobby_minutes) != rooms.ENDED:
        raise ChatError(
            "The anonymised transcript is available once the session has ended.", "conflict"
        )


def _people(db: Session, session: ChatSession) -> dict[int, User]:
    """Everyone the session knows: authors, staff, and those who reacted, voted or came."""
    ids: set[int] = set()
    for column, where in (
        (Message.author_id, Message.session_id == session.id),
        (Question.author_id, Question.session_id == session.id),
        (Visit.user_id, Visit.session_id == session.id),
    ):
        ids.update(db.scalars(select(column).where(where)))
    ids.update(
        db.scalars(
            select(Reaction.user_id)
            .join(Message, Message.id == Reaction.message_id)
            .where(Message.session_id == session.id)
        )
    )
    ids.update(
        db.scalars(
            select(QuestionVote.user_id)
            .join(Question, Question.id == QuestionVote.question_id)
            .where(Question.session_id == session.id)
        )
    )
    ids.update(f.id for f in session.facilitators)
    ids.update(db.scalars(select(User.id).where(User.is_organiser)))
    return {user.id: user for user in db.scalars(select(User).where(User.id.in_(ids)))}


def _pseudonyms(session: ChatSession, people: Iterable[User]) -> Pseudonyms:
    labels = {"facilitator": FACILITATOR, "organiser": ORGANISER}
    return Pseudonyms(
        {
            user.id: (
                "" if user.deleted_at is not None else user.display_name,
                labels.get(roles.author_role(user, session), ""),
            )
            for user in people
        }
    )


def build(
    db: Session, actor: User, session: ChatSession, now: datetime, lobby_minutes: int
) -> Transcript:
    """The session's transcript with pseudonyms for names and withdrawn items left out."""
    require_export(actor, session, now, lobby_minutes)
    transcript = transcripts.build(db, actor, session, now, lobby_minutes)
    message_rows = db.execute(
        select(Message.seq, Message.author_id, Message.consent).where(
            Message.session_id == session.id
        )
    ).all()
    authors = {seq: author for seq, author, _ in message_rows}
    withdrawn = {seq for seq, _, consent in message_rows if consent == "withdraw"}
    question_rows = db.scalars(select(Question).where(Question.session_id == session.id)).all()
    askers = {q.id: q.author_id for q in question_rows}
    left_out = {
        q.id for q in question_rows if q.consent == "withdraw" or q.from_message_id in withdrawn
    }
    names = _pseudonyms(session, _people(db, session).values())
    return anonymise(transcript, names, authors, askers, withdrawn, left_out)


def anonymise(
    transcript: Transcript,
    names: Pseudonyms,
    authors: Mapping[int, int],
    askers: Mapping[int, int],
    withdrawn_messages: set[int],
    withdrawn_questions: set[int],
) -> Transcript:
    """`transcript` renamed by `names`: `authors` maps message ids to user ids, `askers`
    question ids to user ids; the withdrawn messages and questions are left out."""
    title = names.scrub(transcript.session.title)
    kept: dict[int, Entry] = {}
    for entry in transcript.entries:
        if entry.id in withdrawn_messages:
            continue
        author = Author(names.of(authors[entry.id]), "", entry.author.role)
        kept[entry.id] = replace(entry, author=author, body=names.scrub(entry.body))
    entries = tuple(
        replace(entry, reply_excerpt=_reply_excerpt(entry, kept)) for entry in kept.values()
    )
    renamed: dict[int, QuestionEntry] = {}
    for question in sorted(transcript.questions, key=lambda q: q.id):  # the order asked
        if question.id in withdrawn_questions:
            continue
        asked_by = ANONYMOUS if question.anonymous else names.of(askers[question.id])
        renamed[question.id] = replace(question, asked_by=asked_by, body=names.scrub(question.body))
    facilitators = tuple(Person(FACILITATOR, "") for _ in transcript.session.facilitators)
    return replace(
        transcript,
        session=replace(transcript.session, title=title, facilitators=facilitators),
        entries=entries,
        questions=tuple(renamed[q.id] for q in transcript.questions if q.id in renamed),
    )


def _reply_excerpt(entry: Entry, kept: Mapping[int, Entry]) -> str | None:
    """The start of the (renamed) message replied to, or None when it is not in the export."""
    parent = kept.get(entry.reply_to) if entry.reply_to is not None else None
    return transcripts.excerpt(parent.body) if parent is not None else None


def to_markdown(transcript: Transcript) -> str:
    """The Markdown transcript, with a note under its title that it is anonymised."""
    title, rest = transcripts.to_markdown(transcript).split("\n", 1)
    return f"{title}\n\n{NOTE}\n{rest}"
