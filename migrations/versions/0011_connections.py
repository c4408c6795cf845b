"""connections between members, and reports of connection requests

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chat.models import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("addressee_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("responded_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["addressee_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requester_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_connections_incoming", ["addressee_id", "status", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_connections_outgoing", ["requester_id", "created_at"], unique=False
        )
    op.create_table(
        "connection_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("connection_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connection_reports_connection_id"), ["connection_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("connection_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connection_reports_connection_id"))
    op.drop_table("connection_reports")
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_index("ix_connections_outgoing")
        batch_op.drop_index("ix_connections_incoming")
    op.drop_table("connections")
