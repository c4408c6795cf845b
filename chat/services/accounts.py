"""Accounts: registration, sign-in, profiles, personal access tokens, first-organiser setup."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from chat.errors import NotFound, ValidationError
from chat.models import ApiToken, SetupToken, User
from chat.services import clock, conduct, directory

MIN_PASSWORD_LENGTH = 10
SETUP_LINK_LIFETIME = timedelta(hours=24)
TRAINING_STAGES = (
    "",
    "Considering training",
    "Foundation / introductory",
    "Certificate",
    "Diploma or degree, year 1",
    "Diploma or degree, year 2",
    "Diploma or degree, year 3+",
    "Postgraduate / doctoral",
    "Recently qualified",
    "Qualified",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively; store them trimmed and lower-cased."""
    return (email or "").strip().lower()


def email_problem(email: str) -> str | None:
    """What is wrong with this (normalised) email address, or None if it looks usable."""
    if not _EMAIL.match(email) or len(email) > 254:
        return "Enter an email address like name@example.org."
    return None


@dataclass(frozen=True)
class Registration:
    """What a person types to register."""

    email: str
    display_name: str
    password: str
    pronouns: str = ""


def _check_registration(db: Session, form: Registration) -> dict[str, str]:
    errors: dict[str, str] = {}
    email = normalise_email(form.email)
    if problem := email_problem(email):
        errors["email"] = problem
    elif db.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = "An account with this email already exists. Sign in instead."
    name = (form.display_name or "").strip()
    if not name:
        errors["display_name"] = "Enter the name others will see."
    elif len(name) > 80:
        errors["display_name"] = "Keep the display name to 80 characters or fewer."
    if len((form.pronouns or "").strip()) > 40:
        errors["pronouns"] = "Keep pronouns to 40 characters or fewer."
    if len(form.password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    return errors


def register(db: Session, form: Registration, now: datetime, organiser: bool = False) -> User:
    """Create an account after validating every field; nothing is stored on error."""
    errors = _check_registration(db, form)
    if errors:
        raise ValidationError(errors)
    user = User(
        email=normalise_email(form.email),
        display_name=form.display_name.strip(),
        pronouns=(form.pronouns or "").strip(),
        password_hash=_hasher.hash(form.password),
        is_organiser=organiser,
        created_at=now,
    )
    db.add(user)
    db.commit()
    return user


def authenticate(db: Session, email: str, password: str) -> User:
    """Return the user for these credentials, or raise ValidationError (same message either way)."""
    user = db.scalar(select(User).where(User.email == normalise_email(email)))
    try:
        if user is None:
            raise VerificationError()
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise ValidationError({"password": "That email and password do not match."}) from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        db.commit()
    return user


@dataclass(frozen=True)
class Profile:
    """The #TherapistsConnect-style introduction a member keeps up to date, with what the
    member directory may show of it and the contact details connections see."""

    display_name: str
    pronouns: str = ""
    trains_at: str = ""
    modality: str = ""
    training_stage: str = ""
    interests: str = ""
    bio: str = ""
    time_zone: str = ""
    region: str = ""
    specialities: str = ""
    contact_email: str = ""
    contact_website: str = ""
    directory_listed: bool = False
    # Sessions (ids) the member's directory card shows; only ones they attended count.
    shown_sessions: tuple[int, ...] = ()


# The text fields, trimmed and limited alike.
PROFILE_FIELDS = tuple(name for name, kind in Profile.__annotations__.items() if kind == "str")
PROFILE_LIMITS = {
    "display_name": 80,
    "pronouns": 40,
    "trains_at": 120,
    "modality": 80,
    "interests": 300,
    "bio": 500,
    "region": 80,
    "specialities": 300,
    "contact_email": 254,
    "contact_website": 300,
}
WEBSITE_PROBLEM = "Enter a web address starting with https:// or http://, like https://example.org."


def website_problem(address: str) -> str | None:
    """What is wrong with a website address to show to connections, or None: only
    http and https links to a named host, with no spaces."""
    parts = urlsplit(address)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return WEBSITE_PROBLEM
    if any(ch.isspace() or ord(ch) < 32 for ch in address):
        return WEBSITE_PROBLEM
    return None


def comma_list(text: str) -> str:
    """A comma-separated list tidied: items trimmed, empty and repeated ones (ignoring
    case) dropped, joined by ", " (the schedule's speciality filter relies on this)."""
    items: dict[str, str] = {}
    for item in text.split(","):
        if item.strip():
            items.setdefault(item.strip().lower(), item.strip())
    return ", ".join(items.values())


def update_profile(db: Session, user: User, profile: Profile) -> User:
    """Validate and save a member's own profile, with their directory card's search
    words and shown sessions; nothing is saved on error."""
    values = {name: (getattr(profile, name) or "").strip() for name in PROFILE_FIELDS}
    values["specialities"] = comma_list(values["specialities"])
    values["contact_email"] = normalise_email(values["contact_email"])
    errors = {
        name: f"Keep this to {limit} characters or fewer."
        for name, limit in PROFILE_LIMITS.items()
        if len(values[name]) > limit
    }
    if not values["display_name"]:
        errors["display_name"] = "Enter the name others will see."
    if values["training_stage"] not in TRAINING_STAGES:
        errors["training_stage"] = "Choose a stage from the list."
    if values["time_zone"]:
        try:
            clock.zone(values["time_zone"])
        except ValidationError as exc:
            errors.update(exc.fields)
    if values["contact_email"] and (problem := email_problem(values["contact_email"])):
        errors["contact_email"] = problem
    if values["contact_website"] and (problem := website_problem(values["contact_website"])):
        errors.setdefault("contact_website", problem)
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(user, name, value)
    user.directory_listed = bool(profile.directory_listed)
    directory.save_card(db, user, profile.shown_sessions)
    db.commit()
    return user


def user_by_email(db: Session, email: str) -> User:
    """Find a user by email or raise NotFound."""
    user = db.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"No user has the email {normalise_email(email)}.")
    return user


def issue_api_token(db: Session, user: User, now: datetime) -> str:
    """Create a personal access token and return it; only its hash is kept."""
    token = "tt_" + secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, token_hash=_digest(token), created_at=now))
    db.commit()
    return token


# Asked on every connect of a script: composed once, bound at each call.
_USER_BY_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"))
)


_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def user_by_id(db: Session, user_id: int) -> User | None:
    """The user with this id (a deleted one too), or None. Socket events ask on every
    call, so the statement is composed once (Session.get composes one each time)."""
    return db.scalar(_USER_BY_ID, {"user_id": user_id})


def user_for_token(db: Session, token: object) -> User | None:
    """The user a personal access token belongs to, or None."""
    if not isinstance(token, str) or not token.startswith("tt_") or len(token) > 200:
        return None
    return db.scalar(_USER_BY_TOKEN, {"digest": _digest(token)})


def needs_first_organiser(db: Session) -> bool:
    """True while no organiser exists: the app cannot be administered yet."""
    return not db.scalar(select(func.count()).select_from(User).where(User.is_organiser))


def issue_setup_link_token(db: Session, now: datetime) -> str:
    """Create a one-time token for the first organiser, replacing any earlier one."""
    for old in db.scalars(select(SetupToken).where(SetupToken.used_at.is_(None))):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    db.add(SetupToken(token_hash=_digest(token), expires_at=now + SETUP_LINK_LIFETIME))
    db.commit()
    return token


def _live_setup_token(db: Session, token: str, now: datetime) -> SetupToken:
    row = db.scalar(select(SetupToken).where(SetupToken.token_hash == _digest(token or "")))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise NotFound("This set-up link is not valid any more. Restart the app for a new one.")
    if not needs_first_organiser(db):
        raise NotFound("The first organiser already exists. Sign in instead.")
    return row


def check_setup_token(db: Session, token: str, now: datetime) -> None:
    """Raise NotFound unless `token` is an unused, unexpired first-organiser link."""
    _live_setup_token(db, token, now)


def create_first_organiser(db: Session, token: str, form: Registration, now: datetime) -> User:
    """Use the one-time link: create the first organiser and retire the link. A new
    community starts with the starter group agreement, which organisers then edit."""
    row = _live_setup_token(db, token, now)
    errors = _check_registration(db, form)
    if errors:
        raise ValidationError(errors)
    row.used_at = now
    user = register(db, form, now, organiser=True)
    conduct.publish_starter(db, user, now)
    return user


def first_organiser(db: Session) -> User:
    """The longest-standing organiser (scripts act as them unless told otherwise)."""
    user = db.scalar(select(User).where(User.is_organiser).order_by(User.id))
    if user is None:
        raise NotFound(
            "There is no organiser yet: create one with `flask users create --organiser`."
        )
    return user
