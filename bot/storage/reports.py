"""Read-only figures for comms leads: what is slow, what gets rejected, what the FAQ lacks."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.tables import decisions, deliveries, drafts, enquiries


@dataclass(frozen=True)
class DraftUsage:
    """Token usage of one draft."""

    draft_id: str
    drafter: str
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Report:
    """Totals over everything stored."""

    enquiries: int
    drafts_by_drafter: dict[str, int]
    actions: dict[str, int]
    decisions: dict[str, int]
    rejection_reasons: dict[str, int]
    deliveries: dict[str, int]
    seconds_to_decision: list[float]
    unanswered: list[str]  # enquiries whose current draft found no FAQ entry
    usage: list[DraftUsage]


async def build_report(conn: AsyncConnection, unanswered_limit: int = 10) -> Report:
    """Collect the figures with a handful of aggregate queries."""
    return Report(
        enquiries=int(
            (await conn.execute(sa.select(sa.func.count()).select_from(enquiries))).scalar_one()
        ),
        drafts_by_drafter=await _counts(conn, drafts.c.drafter),
        actions=await _counts(conn, drafts.c.action, drafts.c.superseded.is_(False)),
        decisions=await _counts(conn, decisions.c.kind),
        rejection_reasons=await _counts(conn, decisions.c.reason, decisions.c.kind == "rejected"),
        deliveries=await _counts(conn, deliveries.c.state),
        seconds_to_decision=await _decision_delays(conn),
        unanswered=await _unanswered(conn, unanswered_limit),
        usage=[
            DraftUsage(row.id, row.drafter, row.prompt_tokens, row.completion_tokens)
            for row in await conn.execute(
                sa.select(
                    drafts.c.id,
                    drafts.c.drafter,
                    drafts.c.prompt_tokens,
                    drafts.c.completion_tokens,
                ).order_by(drafts.c.created_at)
            )
        ],
    )


async def _counts(
    conn: AsyncConnection,
    column: sa.ColumnElement[str],
    where: sa.ColumnElement[bool] | None = None,
) -> dict[str, int]:
    query = sa.select(column, sa.func.count()).group_by(column)
    if where is not None:
        query = query.where(where)
    return {str(key): int(count) for key, count in await conn.execute(query)}


async def _decision_delays(conn: AsyncConnection) -> list[float]:
    query = sa.select(enquiries.c.received_at, decisions.c.decided_at).select_from(
        decisions.join(drafts, drafts.c.id == decisions.c.draft_id).join(
            enquiries, enquiries.c.id == drafts.c.enquiry_id
        )
    )
    # UtcDateTime returns aware UTC values from both databases, so they subtract directly.
    return sorted(
        (decided - received).total_seconds() for received, decided in await conn.execute(query)
    )


async def _unanswered(conn: AsyncConnection, limit: int) -> list[str]:
    query = (
        sa.select(enquiries.c.text)
        .select_from(drafts.join(enquiries, enquiries.c.id == drafts.c.enquiry_id))
        .where(drafts.c.superseded.is_(False), drafts.c.action == "escalate")
        .order_by(drafts.c.created_at.desc())
        .limit(limit)
    )
    return [str(row.text) for row in await conn.execute(query)]
