"""The group agreement (code of conduct): versions organisers publish, members accept.

Every member accepts the version in force before entering a room, and again when it
changes. While no version exists, nobody is asked.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chat.errors import AgreementRequired, ChatError, ValidationError
from chat.models import ConductAcceptance, ConductVersion, User
from chat.services import audit
from chat.services.roles import require_organiser

MAX_LENGTH = 20_000
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

STARTER_AGREEMENT = """\
# Our group agreement

#TraineeTalk is a warm, respectful space for trainee counsellors and psychotherapists.
Everyone who joins a room agrees to these few things, so that all of us can speak freely.

## Respect

- Disagree with ideas, never with people. Assume good faith and stay curious.
- Everyone is learning: there are no silly questions, and no one is here to be judged.
- Hateful, discriminatory or harassing messages are removed.

## Our clients' confidentiality

- **Never share details that could identify a client**: no names, ages, places, dates,
  occupations or distinctive stories. Speak about themes, not people.
- If in doubt, leave it out, and take it to supervision instead.

## Safeguarding

- This chat is not a crisis service and not supervision.
- If something here worries you about someone's safety, report the message or tell a
  facilitator or organiser straight away.
- If you are in crisis yourself, contact your local emergency services or a crisis line.

## Recaps and privacy

- Sessions keep a transcript for the people who took part; recaps are shared only with
  the consent of those quoted.
- No recording and no screenshots of the room. What is said here stays here.

Thank you for helping to keep this a safe place to learn together.
"""


def _normalise(body: str) -> str:
    """Line endings as `\\n` and no blank space at either end, so identical text compares equal."""
    return (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def current(db: Session) -> ConductVersion | None:
    """The version in force (the newest), or None if none was ever published."""
    return db.scalar(select(ConductVersion).order_by(ConductVersion.id.desc()).limit(1))


def publish(db: Session, actor: User, body: str, now: datetime) -> tuple[ConductVersion, bool]:
    """Publish `body` as the new version (organisers only); return it and whether it is new.

    Publishing the text already in force changes nothing, so nobody is asked again.
    """
    require_organiser(actor, "Only organisers can edit the group agreement.")
    text = _normalise(body)
    if not text:
        raise ValidationError({"body": "Write the agreement members will accept."})
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            {"body": f"Keep the agreement to {MAX_LENGTH:,} characters or fewer."}
        )
    latest = current(db)
    if latest is not None and latest.body == text:
        return latest, False
    version = ConductVersion(body=text, created_at=now, created_by_id=actor.id)
    db.add(version)
    db.flush()
    audit.record(db, actor, "publish_agreement", now, target=f"version {version.id}")
    db.commit()
    return version, True


def publish_starter(db: Session, actor: User, now: datetime) -> ConductVersion:
    """Give a new community the starter agreement as version 1 (unless one exists)."""
    return current(db) or publish(db, actor, STARTER_AGREEMENT, now)[0]


def has_accepted_current(db: Session, user: User) -> bool:
    """True if `user` accepted the version in force, or there is none to accept."""
    latest = current(db)
    return latest is None or _acceptance(db, user, latest.id) is not None


# Asked on every join: composed once, bound at each call.
_NEWEST_AND_ACCEPTANCE = (
    select(ConductVersion.id, ConductAcceptance.user_id)
    .outerjoin(
        ConductAcceptance,
        (ConductAcceptance.version_id == ConductVersion.id)
        & (ConductAcceptance.user_id == bindparam("user_id")),
    )
    .order_by(ConductVersion.id.desc())
    .limit(1)
)


def require_accepted(db: Session, user: User) -> None:
    """Refuse someone who has not accepted the version in force (before entering a room).
    One query: the newest version, and this user's acceptance of it if any."""
    newest = db.execute(_NEWEST_AND_ACCEPTANCE, {"user_id": user.id}).first()
    if newest is not None and newest.user_id is None:
        raise AgreementRequired(newest.id)


def _acceptance(db: Session, user: User, version_id: int) -> ConductAcceptance | None:
    return db.get(ConductAcceptance, (user.id, version_id))


def accept(db: Session, user: User, version_id: int, now: datetime) -> ConductAcceptance:
    """Record that `user` accepted version `version_id` (again is harmless: the first time
    is kept). Only the version in force may be accepted: someone who read an older one is
    refused with `conflict`, so they read the new text first."""
    latest = current(db)
    if latest is None or latest.id != version_id:
        raise ChatError("The group agreement has changed. Please read the new version.", "conflict")
    accepted = _acceptance(db, user, version_id)
    if accepted is None:
        accepted = ConductAcceptance(user_id=user.id, version_id=version_id, accepted_at=now)
        db.add(accepted)
        try:
            db.commit()
        except IntegrityError:  # the same acceptance from another tab at the same moment
            db.rollback()
            return db.get_one(ConductAcceptance, (user.id, version_id))
    return accepted


def acceptance_count(db: Session, version: ConductVersion) -> int:
    """How many members accepted `version`."""
    return (
        db.scalar(
            select(func.count())
            .select_from(ConductAcceptance)
            .where(ConductAcceptance.version_id == version.id)
        )
        or 0
    )


def _safe_link(url: str) -> bool:
    """Links may go to web pages and email addresses only (no javascript:, data:, ...)."""
    return urlsplit(url.strip()).scheme.lower() in SAFE_SCHEMES


_markdown = MarkdownIt("js-default", {"html": False, "linkify": False})
_markdown.disable("image")  # `![alt](src)` shows as "!" and a link: no remote images
_markdown.validateLink = _safe_link  # type: ignore[method-assign]


def render(body: str) -> Markup:
    """The agreement's Markdown as HTML that is safe to put in a page: raw HTML is shown as
    text, only http(s) and mailto links survive, images are not loaded."""
    return Markup(_markdown.render(body or ""))
