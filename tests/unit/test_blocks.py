"""Blocking hides two members from each other, in both directions, and only them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from chat.errors import ChatError, NotFound
from chat.models import User
from chat.services import blocks
from tests.helpers import make_user

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def sam(dbs: Session) -> User:
    return make_user(dbs, "sam@example.org", "Sam")


@pytest.fixture
def kit(dbs: Session) -> User:
    return make_user(dbs, "kit@example.org", "Kit")


def test_a_block_hides_each_from_the_other_and_nobody_else(
    dbs: Session, member: User, sam: User, kit: User
) -> None:
    blocks.block(dbs, member, sam.id, NOW)
    assert blocks.hidden_ids(dbs, member.id) == {sam.id}
    assert blocks.hidden_ids(dbs, sam.id) == {member.id}
    assert blocks.hidden_ids(dbs, kit.id) == set()
    assert blocks.between(dbs, sam.id, member.id) and blocks.between(dbs, member.id, sam.id)
    assert not blocks.between(dbs, member.id, kit.id)


def test_blocking_twice_is_one_block_and_unblocking_lifts_only_your_own(
    dbs: Session, member: User, sam: User
) -> None:
    blocks.block(dbs, member, sam.id, NOW)
    blocks.block(dbs, member, sam.id, NOW)
    blocks.block(dbs, sam, member.id, NOW)
    assert blocks.hidden_ids(dbs, member.id) == {sam.id}
    blocks.unblock(dbs, member, sam.id)
    assert blocks.between(dbs, member.id, sam.id)  # Sam's own block of them stays
    blocks.unblock(dbs, sam, member.id)
    assert not blocks.between(dbs, member.id, sam.id)


def test_blocking_yourself_or_nobody_is_refused(dbs: Session, member: User) -> None:
    with pytest.raises(ChatError):
        blocks.block(dbs, member, member.id, NOW)
    with pytest.raises(NotFound):
        blocks.block(dbs, member, 999_999, NOW)
