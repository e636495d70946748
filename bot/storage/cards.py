"""Repository remembering where each enquiry's review card was posted in Slack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import utc_now
from bot.storage._dialect import upsert_insert
from bot.storage.tables import review_cards


@dataclass(frozen=True)
class SlackCard:
    """Where an enquiry's review card lives, so it can be updated in place."""

    enquiry_id: str
    channel: str
    ts: str


def _from_row(row: sa.Row[Any]) -> SlackCard:
    return SlackCard(enquiry_id=row.enquiry_id, channel=row.slack_channel, ts=row.message_ts)


class CardRepository:
    """One Slack card per enquiry; reposting a card moves the record to the new message."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def save(self, enquiry_id: str, channel: str, ts: str) -> SlackCard:
        """Remember (or move) the enquiry's card.

        Args:
            enquiry_id: The enquiry the card shows.
            channel: Slack channel id the card was posted in.
            ts: Slack's message timestamp, which identifies the message.

        Returns:
            The card as stored.
        """
        values = {"slack_channel": channel, "message_ts": ts, "updated_at": utc_now()}
        insert = upsert_insert(self._conn, review_cards).values(enquiry_id=enquiry_id, **values)
        await self._conn.execute(
            insert.on_conflict_do_update(index_elements=["enquiry_id"], set_=values)
        )
        return SlackCard(enquiry_id=enquiry_id, channel=channel, ts=ts)

    async def get(self, enquiry_id: str) -> SlackCard | None:
        """Return the enquiry's card, or None if none was posted."""
        query = sa.select(review_cards).where(review_cards.c.enquiry_id == enquiry_id)
        row = (await self._conn.execute(query)).first()
        return None if row is None else _from_row(row)

    async def find_by_ts(self, channel: str, ts: str) -> SlackCard | None:
        """Return the card behind a Slack message (e.g. a thread reply), or None."""
        query = sa.select(review_cards).where(
            review_cards.c.slack_channel == channel, review_cards.c.message_ts == ts
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _from_row(row)
