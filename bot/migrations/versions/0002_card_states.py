"""Card states: owner after escalation, drafting state, and cards to publish again.

Revision ID: 0002_card_states
Revises: 0001_initial
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_card_states"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_states",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("root_enquiry_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("drafting", sa.String(length=32), nullable=False),
        sa.Column("needs_publish", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_card_states_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["root_enquiry_id"],
            ["enquiries.id"],
            name=op.f("fk_card_states_root_enquiry_id_enquiries"),
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_card_states")),
    )
    op.create_index(
        op.f("ix_card_states_needs_publish"), "card_states", ["needs_publish"], unique=False
    )
    op.create_index(op.f("ix_card_states_drafting"), "card_states", ["drafting"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_card_states_drafting"), table_name="card_states")
    op.drop_index(op.f("ix_card_states_needs_publish"), table_name="card_states")
    op.drop_table("card_states")
