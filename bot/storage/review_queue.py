"""The cards waiting for a person, the most urgent first, then the oldest: an agent's App Home.

A card waits while its conversation's current draft (the newest that nothing replaced) has
no decision. An escalated card keeps waiting, with its owner set. One query, on indexed
columns, however many conversations the database holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Channel, DraftAction
from bot.storage.tables import (
    card_states,
    conversations,
    decisions,
    drafts,
    enquiries,
    review_cards,
)


@dataclass(frozen=True)
class WaitingCard:
    """One undecided card: where it came from, since when, and who owns it."""

    conversation_id: str
    channel: Channel
    received_at: dt.datetime  # the conversation's first message
    action: DraftAction
    owner: str | None = None
    slack_channel: str | None = None  # where the card is, when it was posted
    message_ts: str | None = None
    priority: float = 0.0  # bot/priority: higher is more urgent


async def waiting_for_review(conn: AsyncConnection, limit: int = 50) -> list[WaitingCard]:
    """Undecided cards, the most urgent first and then the longest-waiting, at most `limit`."""
    latest = (
        sa.select(
            enquiries.c.conversation_id.label("conversation_id"),
            sa.func.max(drafts.c.created_at).label("created_at"),
        )
        .join(enquiries, enquiries.c.id == drafts.c.enquiry_id)
        .where(drafts.c.superseded.is_(False))
        .group_by(enquiries.c.conversation_id)
        .subquery()
    )
    query = (
        sa.select(
            conversations.c.id,
            conversations.c.channel,
            conversations.c.opened_at,
            drafts.c.action,
            card_states.c.owner,
            card_states.c.priority,
            review_cards.c.slack_channel,
            review_cards.c.message_ts,
        )
        .join(latest, latest.c.conversation_id == conversations.c.id)
        .join(enquiries, enquiries.c.conversation_id == conversations.c.id)
        .join(
            drafts,
            sa.and_(
                drafts.c.enquiry_id == enquiries.c.id,
                drafts.c.created_at == latest.c.created_at,
                drafts.c.superseded.is_(False),
            ),
        )
        .outerjoin(decisions, decisions.c.draft_id == drafts.c.id)
        .outerjoin(card_states, card_states.c.conversation_id == conversations.c.id)
        .outerjoin(review_cards, review_cards.c.enquiry_id == card_states.c.root_enquiry_id)
        .where(decisions.c.id.is_(None))
        .order_by(
            sa.func.coalesce(card_states.c.priority, 0.0).desc(),
            conversations.c.opened_at,
            conversations.c.id,
        )
        .limit(limit)
    )
    seen: set[str] = set()
    waiting = []
    for row in await conn.execute(query):
        if row.id in seen:  # two drafts made in the same instant: one card
            continue
        seen.add(row.id)
        waiting.append(
            WaitingCard(
                conversation_id=row.id,
                channel=Channel(row.channel),
                received_at=row.opened_at,
                action=DraftAction(row.action),
                owner=row.owner,
                slack_channel=row.slack_channel,
                message_ts=row.message_ts,
                priority=float(row.priority or 0.0),
            )
        )
    return waiting


async def cited_entry_ids(conn: AsyncConnection) -> set[str]:
    """Every entry id any draft ever cited: the rest of the knowledge was never used."""
    cited: set[str] = set()
    for (citations,) in await conn.execute(sa.select(drafts.c.citations)):
        cited.update(str(entry) for entry in citations or ())
    return cited
