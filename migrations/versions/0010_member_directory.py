"""member directory: the sessions members show on their card, and their search terms

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chat.models import DIRECTORY_TERM

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_sessions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "session_id"),
    )
    op.create_table(
        "member_terms",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("term", DIRECTORY_TERM, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "term"),
    )
    with op.batch_alter_table("member_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_terms_term"), ["term"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("member_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_terms_term"))
    op.drop_table("member_terms")
    op.drop_table("directory_sessions")
