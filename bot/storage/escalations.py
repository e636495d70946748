"""Repository of escalations: who handed which conversation to whom, and when."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.tables import escalations


class EscalationRepository:
    """Appends one row per escalation; the card's owner lives in `card_states`."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(
        self,
        conversation_id: str,
        draft_id: str,
        escalated_by: str,
        assignee: str,
        at: dt.datetime,
    ) -> None:
        """Record that `escalated_by` handed the conversation to `assignee` at `at`."""
        await self._conn.execute(
            sa.insert(escalations).values(
                id=uuid.uuid4().hex,
                conversation_id=conversation_id,
                draft_id=draft_id,
                escalated_by=escalated_by,
                assignee=assignee,
                escalated_at=at,
            )
        )
