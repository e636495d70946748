"""Escalations as records of their own, and the index the period report reads decisions by.

Revision ID: 0007_escalations
Revises: 0006_targets_and_knowledge_edits
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_escalations"
down_revision: str | None = "0006_targets_and_knowledge_edits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("draft_id", sa.String(length=64), nullable=False),
        sa.Column("escalated_by", sa.String(length=255), nullable=False),
        sa.Column("assignee", sa.String(length=255), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_escalations_draft_id_drafts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    op.create_index(
        op.f("ix_escalations_escalated_at"), "escalations", ["escalated_at"], unique=False
    )
    op.create_index(op.f("ix_decisions_decided_at"), "decisions", ["decided_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_decisions_decided_at"), table_name="decisions")
    op.drop_index(op.f("ix_escalations_escalated_at"), table_name="escalations")
    op.drop_table("escalations")
