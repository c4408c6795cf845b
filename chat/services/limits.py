"""Rate limits: token buckets behind one store interface, and the rules that use them.

A bucket holds up to `burst` tokens and refills at `limit` tokens per `seconds`; an
attempt takes a token or is refused with the seconds until one is back. Time is passed
in, so the maths is testable with a hand-moved clock. `MemoryStore` keeps buckets in
this process; a store shared by several processes (Redis, see chat/limiting.py) must
make each take atomic so two processes cannot both pass.

Flood control (chat messages, reports) binds members only: organisers and the session's
facilitators are exempt. Sign-in attempts are limited per account and per address, and
only failures count.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import ChatError, RateLimited
from chat.models import ChatSession, Message, User
from chat.services import accounts
from chat.services.roles import is_staff


@dataclass(frozen=True)
class Rule:
    """Up to `burst` attempts at once, refilled at `limit` per `seconds`; 0 switches it off."""

    limit: int
    seconds: float
    burst: int

    @property
    def enabled(self) -> bool:
        """A limit of 0 (or a zero burst or period) means no limit."""
        return self.limit > 0 and self.seconds > 0 and self.burst > 0

    @property
    def rate(self) -> float:
        """Tokens refilled per second."""
        return self.limit / self.seconds


@dataclass(frozen=True)
class Bucket:
    """A bucket's tokens as they were at `updated` (seconds since the epoch)."""

    tokens: float
    updated: float


def take(bucket: Bucket | None, rule: Rule, now: float, cost: int = 1) -> tuple[Bucket, float]:
    """Refill `bucket` up to `now`, then take `cost` tokens (a negative cost gives back).

    Returns the bucket after the attempt and 0.0, or, when there are too few tokens, the
    refilled bucket with nothing taken and the seconds until there will be enough. A
    clock behind the bucket's (another process's) refills nothing and never rewinds it.
    """
    if bucket is None:
        bucket = Bucket(float(rule.burst), now)
    elapsed = max(0.0, now - bucket.updated)
    tokens = min(float(rule.burst), bucket.tokens + elapsed * rule.rate)
    refilled = Bucket(tokens, max(now, bucket.updated))
    if cost > tokens:
        return refilled, (cost - tokens) / rule.rate
    return Bucket(min(float(rule.burst), tokens - cost), refilled.updated), 0.0


def full_at(bucket: Bucket, rule: Rule) -> float:
    """When `bucket` will be full again, so a store may forget it from then on."""
    return bucket.updated + (rule.burst - bucket.tokens) / rule.rate


class Store(Protocol):
    """Where buckets live: in this process, or shared by every process (Redis)."""

    def take(self, key: str, rule: Rule, now: float, cost: int = 1) -> float:
        """Atomically take `cost` tokens; 0.0 if taken, else the seconds to wait."""

    def reset(self, key: str) -> None:
        """Forget a bucket: the next attempt finds it full."""


class MemoryStore:
    """Buckets in this process's memory: for one process (the embedded default)."""

    PRUNE_ABOVE = 10_000

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[Bucket, Rule]] = {}
        self._lock = Lock()

    def take(self, key: str, rule: Rule, now: float, cost: int = 1) -> float:
        """Take `cost` tokens from the bucket at `key`; see `take`."""
        with self._lock:
            held = self._buckets.get(key)
            bucket, wait = take(held[0] if held else None, rule, now, cost)
            if not wait:
                self._buckets[key] = (bucket, rule)
            if len(self._buckets) > self.PRUNE_ABOVE:
                self._prune(now)
            return wait

    def reset(self, key: str) -> None:
        """Forget the bucket at `key`."""
        with self._lock:
            self._buckets.pop(key, None)

    def _prune(self, now: float) -> None:
        """Drop buckets that have refilled: a full bucket is the same as none."""
        for key, (bucket, rule) in list(self._buckets.items()):
            if full_at(bucket, rule) <= now:
                del self._buckets[key]


# The named limits and the settings (chat/config.py) that shape them.
MESSAGE = "message"
REPORT = "report"
SIGN_IN_ACCOUNT = "sign_in_account"
SIGN_IN_ADDRESS = "sign_in_address"
# The composer's confidentiality check: generous beside the message limit (one check per
# send, a few more for edits), tight enough that nobody can use the rules as a free CPU.
CHECK = "check"
CHECK_RULE = Rule(limit=20, seconds=10, burst=20)


def rules_from_config(config: Mapping[str, Any]) -> dict[str, Rule]:
    """The rules named above, from the app's settings."""
    sign_in_seconds = config["CHAT_SIGN_IN_LIMIT_SECONDS"]
    account = config["CHAT_SIGN_IN_ACCOUNT_LIMIT"]
    address = config["CHAT_SIGN_IN_ADDRESS_LIMIT"]
    return {
        MESSAGE: Rule(
            config["CHAT_MESSAGE_LIMIT"],
            config["CHAT_MESSAGE_LIMIT_SECONDS"],
            config["CHAT_MESSAGE_BURST"],
        ),
        REPORT: Rule(
            config["CHAT_REPORT_LIMIT"],
            config["CHAT_REPORT_LIMIT_SECONDS"],
            config["CHAT_REPORT_LIMIT"],
        ),
        SIGN_IN_ACCOUNT: Rule(account, sign_in_seconds, account),
        SIGN_IN_ADDRESS: Rule(address, sign_in_seconds, address),
        CHECK: CHECK_RULE,
    }


class Limiter:
    """Named rules over one store; refusals raise RateLimited with whole seconds to wait."""

    def __init__(self, store: Store, rules: Mapping[str, Rule], repeat_seconds: int = 0) -> None:
        self.store = store
        self.rules = dict(rules)
        self.repeat_seconds = repeat_seconds

    def hit(self, name: str, subject: str, now: datetime, message: str) -> None:
        """Count one attempt by `subject` under rule `name`, or raise RateLimited."""
        rule = self.rules[name]
        if not rule.enabled:
            return
        wait = self.store.take(_key(name, subject), rule, now.timestamp())
        if wait:
            raise RateLimited(message, retry_after=max(1, math.ceil(wait)))

    def give_back(self, name: str, subject: str, now: datetime) -> None:
        """Undo one counted attempt (it turned out not to count, e.g. a good password)."""
        rule = self.rules[name]
        if rule.enabled:
            self.store.take(_key(name, subject), rule, now.timestamp(), cost=-1)

    def reset(self, name: str, subject: str) -> None:
        """Start `subject` afresh under rule `name`."""
        self.store.reset(_key(name, subject))


def _key(name: str, subject: str) -> str:
    return f"{name}:{subject}"


def check_message(
    db: Session,
    limiter: Limiter,
    actor: User,
    session: ChatSession,
    message: Message,
    now: datetime,
) -> None:
    """Flood control for a member's new chat `message`: no identical repeat within the
    repeat window, and no more than the message rule allows. Staff are exempt.

    Call after `messages.store` has locked the session row, so the repeat check sees the
    author's messages from every tab; the caller rolls back if this raises.
    """
    if is_staff(actor, session):
        return
    if limiter.repeat_seconds:
        since = now - timedelta(seconds=limiter.repeat_seconds)
        repeat = db.scalar(
            select(Message.id).where(
                Message.session_id == session.id,
                Message.author_id == actor.id,
                Message.seq < message.seq,
                Message.kind == "message",
                Message.deleted_at.is_(None),
                Message.body == message.body,
                Message.created_at > since,
            )
        )
        if repeat is not None:
            raise ChatError(
                "You sent exactly this a moment ago. Edit it to say something new, or discard it.",
                "conflict",
            )
    limiter.hit(
        MESSAGE,
        f"user:{actor.id}",
        now,
        "You are sending messages very quickly; please slow down.",
    )


def check_report(limiter: Limiter, actor: User, session: ChatSession, now: datetime) -> None:
    """Count a member's report against the report rule (staff are exempt), or raise
    RateLimited. Call once the report is valid, just before storing it."""
    if is_staff(actor, session):
        return
    limiter.hit(
        REPORT,
        f"user:{actor.id}",
        now,
        "You have sent a lot of reports in a short time; the moderators have them. "
        "Please wait a little before sending another.",
    )


def sign_in(
    db: Session, limiter: Limiter, email: str, password: str, address: str, now: datetime
) -> User:
    """Check credentials, limiting failed attempts per account and per address.

    The attempt is counted before the password is checked, so parallel guesses cannot
    slip past the limit, and given back when it succeeds: only failures use up the
    allowance, and a success starts the account afresh. Raises RateLimited (nothing is
    checked) or ValidationError (a failure, counted).
    """
    account = hashlib.sha256(accounts.normalise_email(email).encode()).hexdigest()
    refusal = "Too many sign-in attempts for this account or from this address."
    limiter.hit(SIGN_IN_ACCOUNT, account, now, refusal)
    try:
        limiter.hit(SIGN_IN_ADDRESS, address, now, refusal)
    except RateLimited:
        limiter.give_back(SIGN_IN_ACCOUNT, account, now)
        raise
    user = accounts.authenticate(db, email, password)
    limiter.reset(SIGN_IN_ACCOUNT, account)
    limiter.give_back(SIGN_IN_ADDRESS, address, now)
    return user
