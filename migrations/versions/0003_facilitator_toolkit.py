"""facilitator toolkit: prompts, room controls, invitations, backstage

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 01:36:13.121875
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chat.models import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "backstage_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "author_id", "client_id", name="uq_backstage_client_id"),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["used_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nonce_hash"),
    )
    op.create_table(
        "prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "number", name="uq_prompts_number"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="message", nullable=False)
        )
        batch_op.add_column(sa.Column("prompt_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_messages_prompt_id", "prompts", ["prompt_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rehearsal_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("locked", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("slow_mode_seconds", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("pinned_message_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("auto_advance", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("current_prompt_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prompt_ends_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("prompt_revision", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_foreign_key(
            "fk_sessions_rehearsal_of_id",
            "sessions",
            ["rehearsal_of_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_sessions_rehearsal_of_id", type_="foreignkey")
        batch_op.drop_column("prompt_revision")
        batch_op.drop_column("prompt_ends_at")
        batch_op.drop_column("current_prompt_id")
        batch_op.drop_column("auto_advance")
        batch_op.drop_column("pinned_message_id")
        batch_op.drop_column("slow_mode_seconds")
        batch_op.drop_column("locked")
        batch_op.drop_column("rehearsal_of_id")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("fk_messages_prompt_id", type_="foreignkey")
        batch_op.drop_column("prompt_id")
        batch_op.drop_column("kind")

    op.drop_table("prompts")
    op.drop_table("invitations")
    op.drop_table("backstage_messages")
