"""The inbox: deliveries stored before they are acknowledged, filed by workers.

Revision ID: 0005_inbox
Revises: 0004_work_leases
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_inbox"
down_revision: str | None = "0004_work_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_inbox")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_inbox_channel_external_id")),
    )
    op.create_index(op.f("ix_inbox_filed_at_seq"), "inbox", ["filed_at", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inbox_filed_at_seq"), table_name="inbox")
    op.drop_table("inbox")
