"""Proposals learned from reviewers: alternate questions, updated answers, new entries.

Revision ID: 0008_proposals
Revises: 0007_escalations
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_proposals"
down_revision: str | None = "0007_escalations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=255), nullable=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("enquiry_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
        sa.UniqueConstraint("key", name=op.f("uq_proposals_key")),
    )
    op.create_index(
        op.f("ix_proposals_status_created_at"),
        "proposals",
        ["status", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_proposals_status_created_at"), table_name="proposals")
    op.drop_table("proposals")
