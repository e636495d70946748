"""Repository of per-conversation card state: owner, drafting state, pending publication."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import utc_now
from bot.storage._dialect import upsert_insert
from bot.storage.tables import card_states


class DraftingState(StrEnum):
    """Where drafting of a conversation stands."""

    PENDING = "pending"  # a draft is due (new message, regenerate)
    DELAYED = "delayed"  # the drafter is unreachable; retried until it answers
    DONE = "done"  # the current draft covers every message


@dataclass(frozen=True)
class CardState:
    """What a conversation's card needs beyond drafts and decisions."""

    conversation_id: str
    root_enquiry_id: str
    owner: str | None
    drafting: DraftingState
    needs_publish: bool


def _from_row(row: sa.Row[Any]) -> CardState:
    return CardState(
        conversation_id=row.conversation_id,
        root_enquiry_id=row.root_enquiry_id,
        owner=row.owner,
        drafting=DraftingState(row.drafting),
        needs_publish=bool(row.needs_publish),
    )


class CardStateRepository:
    """One row per conversation; created with its first enquiry."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def ensure(self, conversation_id: str, root_enquiry_id: str) -> CardState:
        """Create the conversation's state if missing (pending draft, to publish)."""
        insert = upsert_insert(self._conn, card_states).values(
            conversation_id=conversation_id,
            root_enquiry_id=root_enquiry_id,
            owner=None,
            drafting=DraftingState.PENDING.value,
            needs_publish=True,
            updated_at=utc_now(),
        )
        await self._conn.execute(insert.on_conflict_do_nothing(index_elements=["conversation_id"]))
        state = await self.get(conversation_id)
        assert state is not None  # noqa: S101 - inserted or already there
        return state

    async def get(self, conversation_id: str) -> CardState | None:
        """Return the state of a conversation's card, if any."""
        query = sa.select(card_states).where(card_states.c.conversation_id == conversation_id)
        row = (await self._conn.execute(query)).first()
        return None if row is None else _from_row(row)

    async def set_drafting(self, conversation_id: str, drafting: DraftingState) -> None:
        """Record the drafting state and mark the card for publication."""
        await self._update(conversation_id, drafting=drafting.value, needs_publish=True)

    async def set_owner(self, conversation_id: str, owner: str) -> None:
        """Record who owns the conversation after an escalation."""
        await self._update(conversation_id, owner=owner, needs_publish=True)

    async def mark_for_publish(self, conversation_id: str) -> None:
        """The card in Slack is behind the database."""
        await self._update(conversation_id, needs_publish=True)

    async def mark_published(self, conversation_id: str) -> None:
        """The card in Slack shows the current state."""
        await self._update(conversation_id, needs_publish=False)

    async def with_drafting(
        self, drafting: DraftingState, limit: int = 50, unchanged_since: dt.datetime | None = None
    ) -> list[CardState]:
        """Conversations whose drafting is in `drafting`, oldest first.

        Args:
            drafting: the state to look for.
            limit: at most this many.
            unchanged_since: only states not touched after this moment (work in progress
                elsewhere is left alone).
        """
        query = (
            sa.select(card_states)
            .where(card_states.c.drafting == drafting.value)
            .order_by(card_states.c.updated_at)
            .limit(limit)
        )
        if unchanged_since is not None:
            query = query.where(card_states.c.updated_at < unchanged_since)
        return [_from_row(row) for row in (await self._conn.execute(query)).all()]

    async def to_publish(self, limit: int = 50) -> list[CardState]:
        """Cards whose Slack message is behind, oldest first."""
        query = (
            sa.select(card_states)
            .where(card_states.c.needs_publish.is_(True))
            .order_by(card_states.c.updated_at)
            .limit(limit)
        )
        return [_from_row(row) for row in (await self._conn.execute(query)).all()]

    async def _update(self, conversation_id: str, **values: object) -> None:
        await self._conn.execute(
            sa.update(card_states)
            .where(card_states.c.conversation_id == conversation_id)
            .values(updated_at=utc_now(), **values)
        )
