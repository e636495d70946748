"""Response-time reminders on cards, and the history of knowledge edits.

Revision ID: 0006_targets_and_knowledge_edits
Revises: 0005_inbox
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_targets_and_knowledge_edits"
down_revision: str | None = "0005_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("card_states") as batch:
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "knowledge_edits",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("knowledge_key", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("edited_by", sa.String(length=255), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_edits")),
        sa.UniqueConstraint(
            "knowledge_key",
            "entry_id",
            "version",
            name=op.f("uq_knowledge_edits_knowledge_key_entry_id_version"),
        ),
    )


def downgrade() -> None:
    op.drop_table("knowledge_edits")
    with op.batch_alter_table("card_states") as batch:
        batch.drop_column("reminded_at")
