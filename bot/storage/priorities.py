"""Repository of enquiry priorities: how urgent each enquiry reads, stored once per enquiry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._dialect import upsert_insert
from bot.storage.tables import card_states, enquiries, enquiry_priorities


class PriorityRepository:
    """Keeps each enquiry's reading (`bot.priority.Priority.to_json()`) and its score.

    The conversation's card carries the highest score of its enquiries (`card_states.priority`),
    which is what the review channel, the App Home and reminders sort by.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def save(
        self, enquiry_id: str, score: float, reading: Mapping[str, object], at: dt.datetime
    ) -> None:
        """Store the enquiry's reading (a re-assessment replaces it) and raise its card's score."""
        insert = upsert_insert(self._conn, enquiry_priorities).values(
            enquiry_id=enquiry_id, score=score, reading=dict(reading), assessed_at=at
        )
        await self._conn.execute(
            insert.on_conflict_do_update(
                index_elements=["enquiry_id"],
                set_={"score": score, "reading": dict(reading), "assessed_at": at},
            )
        )
        conversation = sa.select(enquiries.c.conversation_id).where(enquiries.c.id == enquiry_id)
        await self._conn.execute(
            sa.update(card_states)
            .where(card_states.c.conversation_id == conversation.scalar_subquery())
            .where(card_states.c.priority < score)
            .values(priority=score)
        )

    async def readings(self, enquiry_ids: Iterable[str]) -> dict[str, dict[str, object]]:
        """The stored readings of `enquiry_ids` (those assessed), by enquiry id."""
        ids = list(enquiry_ids)
        if not ids:
            return {}
        rows = await self._conn.execute(
            sa.select(enquiry_priorities.c.enquiry_id, enquiry_priorities.c.reading).where(
                enquiry_priorities.c.enquiry_id.in_(ids)
            )
        )
        return {row.enquiry_id: dict(row.reading) for row in rows}
