"""Drafts keep a private follow-up for public posts whose answer needs personal data.

Revision ID: 0003_private_followup
Revises: 0002_card_states
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_private_followup"
down_revision: str | None = "0002_card_states"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("drafts", sa.Column("private_followup", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("drafts", "private_followup")
