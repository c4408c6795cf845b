"""introduction choices: a member posted or skipped the room's offer to introduce themselves

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chat.models import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "introduction_choices",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "user_id"),
    )
    with op.batch_alter_table("introduction_choices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_introduction_choices_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("introduction_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_introduction_choices_user_id"))
    op.drop_table("introduction_choices")
