"""Durable work queues shared by replicas: versions, leases and backoff on card states and
deliveries.

Revision ID: 0004_work_leases
Revises: 0003_private_followup
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_work_leases"
down_revision: str | None = "0003_private_followup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CARD_STATE_COLUMNS = (
    ("draft_version", sa.Integer(), "0"),
    ("draft_hint", sa.Text(), None),
    ("draft_lease_token", sa.String(length=64), None),
    ("draft_lease_until", sa.DateTime(timezone=True), None),
    ("draft_not_before", sa.DateTime(timezone=True), None),
    ("draft_failures", sa.Integer(), "0"),
    ("publish_version", sa.Integer(), "0"),
    ("publish_lease_token", sa.String(length=64), None),
    ("publish_lease_until", sa.DateTime(timezone=True), None),
    ("publish_not_before", sa.DateTime(timezone=True), None),
    ("publish_failures", sa.Integer(), "0"),
    ("publish_claims", sa.Integer(), "0"),
)


def upgrade() -> None:
    with op.batch_alter_table("card_states") as batch:
        for name, type_, default in _CARD_STATE_COLUMNS:
            batch.add_column(
                sa.Column(name, type_, nullable=default is None, server_default=default)
            )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("lease_token", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_token")
    with op.batch_alter_table("card_states") as batch:
        for name, _, _ in reversed(_CARD_STATE_COLUMNS):
            batch.drop_column(name)
