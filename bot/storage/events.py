"""Repository of handled inbound events, so platform retries are processed once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import utc_now
from bot.storage._dialect import upsert_insert
from bot.storage.tables import processed_events


class EventRepository:
    """Remembers (source, event id) pairs of Slack, Telegram and webhook deliveries."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def first_time(self, source: str, event_id: str) -> bool:
        """Record the event and tell whether this is the first time it was seen.

        The key is claimed with INSERT ... ON CONFLICT DO NOTHING, so of two concurrent
        retries exactly one gets True. The claim belongs to the unit of work: if it rolls
        back, a later retry is treated as new, which is what lets a failed handler run again.

        Args:
            source: Who sent it, e.g. "slack" or "telegram".
            event_id: The sender's id of the event or update.
        """
        insert = upsert_insert(self._conn, processed_events).values(
            source=source, event_id=event_id, processed_at=utc_now()
        )
        insert = insert.on_conflict_do_nothing(index_elements=["source", "event_id"])
        returning = insert.returning(processed_events.c.event_id)
        return (await self._conn.execute(returning)).first() is not None

    async def seen(self, source: str, event_id: str) -> bool:
        """Tell whether the event was recorded before (without recording it)."""
        query = sa.select(processed_events.c.event_id).where(
            processed_events.c.source == source, processed_events.c.event_id == event_id
        )
        return (await self._conn.execute(query)).first() is not None

    async def prune(self, before: dt.datetime) -> int:
        """Forget events processed before `before`; platforms stop retrying after minutes.

        Returns:
            How many events were forgotten.
        """
        query = sa.delete(processed_events).where(processed_events.c.processed_at < before)
        return (await self._conn.execute(query)).rowcount
