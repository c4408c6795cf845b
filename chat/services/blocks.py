"""Blocking: a member hides another from themselves, and themselves from the other.

A block works both ways: neither sees the other in the member directory, in "people you
met" suggestions or in a room's "who's here" strip, and neither can send the other a
connection request. The blocked member is not told. Staff's moderation views (the room's
roster, reports) are not filtered: a member must not be able to hide from moderators.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, bindparam, delete, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chat.errors import ChatError, NotFound
from chat.models import Block, User


def hidden_from(user_id: Any) -> CompoundSelect:
    """The ids of everyone on the other side of a block from `user_id`, in either
    direction, as a statement to use in a query's `not_in` (or to run)."""
    return union(
        select(Block.blocked_id).where(Block.blocker_id == user_id),
        select(Block.blocker_id).where(Block.blocked_id == user_id),
    )


_HIDDEN = hidden_from(bindparam("user_id"))  # composed once: hidden_ids runs on every join


def block(db: Session, blocker: User, blocked_id: int, now: datetime) -> None:
    """`blocker` blocks the member `blocked_id`; blocking twice changes nothing."""
    if blocked_id == blocker.id:
        raise ChatError("You cannot block yourself.")
    other = db.get(User, blocked_id)
    if other is None or other.deleted_at is not None:
        raise NotFound("No such member.")
    if db.get(Block, (blocker.id, blocked_id)) is not None:
        return
    db.add(Block(blocker_id=blocker.id, blocked_id=blocked_id, created_at=now))
    try:
        db.commit()
    except IntegrityError:  # the same block from another tab, at the same moment
        db.rollback()


def unblock(db: Session, blocker: User, blocked_id: int) -> None:
    """`blocker` lifts their block of `blocked_id` (a block the other made stays)."""
    db.execute(delete(Block).where(Block.blocker_id == blocker.id, Block.blocked_id == blocked_id))
    db.commit()


def hidden_ids(db: Session, user_id: int) -> set[int]:
    """The members hidden from `user_id`: those they blocked and those who blocked them."""
    return set(db.scalars(_HIDDEN, {"user_id": user_id}))


def between(db: Session, one_id: int, other_id: int) -> bool:
    """Whether either of two members has blocked the other."""
    return other_id in hidden_ids(db, one_id)
