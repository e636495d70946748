"""Priority, topics and spikes, second sign-offs and moderation actions.

Revision ID: 0009_crisis_and_priority
Revises: 0008_proposals
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_crisis_and_priority"
down_revision: str | None = "0008_proposals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("card_states") as batch:
        batch.add_column(sa.Column("priority", sa.Float(), nullable=False, server_default="0"))
    op.create_table(
        "enquiry_priorities",
        sa.Column("enquiry_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reading", sa.JSON(), nullable=False),
        sa.Column("assessed_at", _STAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["enquiry_id"],
            ["enquiries.id"],
            name=op.f("fk_enquiry_priorities_enquiry_id_enquiries"),
        ),
        sa.PrimaryKeyConstraint("enquiry_id", name=op.f("pk_enquiry_priorities")),
    )
    op.create_table(
        "enquiry_topics",
        sa.Column("enquiry_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("received_at", _STAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["enquiry_id"], ["enquiries.id"], name=op.f("fk_enquiry_topics_enquiry_id_enquiries")
        ),
        sa.PrimaryKeyConstraint("enquiry_id", "topic", name=op.f("pk_enquiry_topics")),
    )
    op.create_index(
        op.f("ix_enquiry_topics_topic_received_at"), "enquiry_topics", ["topic", "received_at"]
    )
    op.create_index(op.f("ix_enquiry_topics_received_at"), "enquiry_topics", ["received_at"])
    op.create_table(
        "spikes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("started_at", _STAMP, nullable=False),
        sa.Column("detected_at", _STAMP, nullable=False),
        sa.Column("ended_at", _STAMP, nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("statement", sa.JSON(), nullable=True),
        sa.Column("statement_approved_by", sa.String(length=255), nullable=True),
        sa.Column("statement_approved_at", _STAMP, nullable=True),
        sa.Column("alert_channel", sa.String(length=64), nullable=True),
        sa.Column("alert_ts", sa.String(length=64), nullable=True),
        sa.Column("alert_sent", sa.Boolean(), nullable=False),
        sa.Column("alert_claimed_until", _STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spikes")),
    )
    op.create_index(
        op.f("ix_spikes_topic"),
        "spikes",
        ["topic"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index(op.f("ix_spikes_ended_at"), "spikes", ["ended_at"])
    op.create_table(
        "sign_offs",
        sa.Column("draft_id", sa.String(length=64), nullable=False),
        sa.Column("signed_by", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("final_text", sa.Text(), nullable=False),
        sa.Column("signed_at", _STAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_sign_offs_draft_id_drafts")
        ),
        sa.PrimaryKeyConstraint("draft_id", "signed_by", name=op.f("pk_sign_offs")),
    )
    op.create_table(
        "moderation_actions",
        sa.Column("enquiry_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("clause", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("requested_at", _STAMP, nullable=False),
        sa.Column("completed_at", _STAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["enquiry_id"],
            ["enquiries.id"],
            name=op.f("fk_moderation_actions_enquiry_id_enquiries"),
        ),
        sa.PrimaryKeyConstraint("enquiry_id", "seq", name=op.f("pk_moderation_actions")),
    )
    op.create_index(op.f("ix_moderation_actions_state"), "moderation_actions", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_moderation_actions_state"), table_name="moderation_actions")
    op.drop_table("moderation_actions")
    op.drop_table("sign_offs")
    op.drop_index(op.f("ix_spikes_ended_at"), table_name="spikes")
    op.drop_index(op.f("ix_spikes_topic"), table_name="spikes")
    op.drop_table("spikes")
    op.drop_index(op.f("ix_enquiry_topics_received_at"), table_name="enquiry_topics")
    op.drop_index(op.f("ix_enquiry_topics_topic_received_at"), table_name="enquiry_topics")
    op.drop_table("enquiry_topics")
    op.drop_table("enquiry_priorities")
    with op.batch_alter_table("card_states") as batch:
        batch.drop_column("priority")
