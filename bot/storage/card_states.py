"""Repository of per-conversation card state: owner, drafting state, pending publication.

Asking for work (a new message, a regenerate click, a change the card must show) bumps a
version on the row; `bot.storage.work_queues` claims and finishes that work.
"""

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
    draft_version: int = 0
    publish_version: int = 0


def _from_row(row: sa.Row[Any]) -> CardState:
    return CardState(
        conversation_id=row.conversation_id,
        root_enquiry_id=row.root_enquiry_id,
        owner=row.owner,
        drafting=DraftingState(row.drafting),
        needs_publish=bool(row.needs_publish),
        draft_version=int(row.draft_version),
        publish_version=int(row.publish_version),
    )


class CardStateRepository:
    """One row per conversation; created with its first enquiry."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def open(self, conversation_id: str, root_enquiry_id: str) -> None:
        """Create the state of a conversation opened just now (pending draft, to publish)."""
        await self._conn.execute(
            sa.insert(card_states).values(_new_state(conversation_id, root_enquiry_id))
        )

    async def ensure(self, conversation_id: str, root_enquiry_id: str) -> CardState:
        """Create the conversation's state if missing (pending draft, to publish)."""
        insert = upsert_insert(self._conn, card_states).values(
            _new_state(conversation_id, root_enquiry_id)
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
        """Record the drafting state and mark the card for publication.

        PENDING asks for a (new) draft: it bumps the version, so a draft being made from
        fewer messages is not saved over it.
        """
        values: dict[str, object] = {"drafting": drafting.value}
        if drafting is DraftingState.PENDING:
            values["draft_version"] = card_states.c.draft_version + 1
            values["draft_not_before"] = None
        await self._update(conversation_id, **values, **PUBLISH_AGAIN)

    async def request_draft(self, conversation_id: str, hint: str | None) -> None:
        """Ask for a new draft following a reviewer's hint (kept until the draft is saved)."""
        await self._update(
            conversation_id,
            drafting=DraftingState.PENDING.value,
            draft_version=card_states.c.draft_version + 1,
            draft_hint=hint,
            draft_not_before=None,
            **PUBLISH_AGAIN,
        )

    async def set_owner(self, conversation_id: str, owner: str) -> None:
        """Record who owns the conversation after an escalation."""
        await self._update(conversation_id, owner=owner, **PUBLISH_AGAIN)

    async def mark_for_publish(self, conversation_id: str) -> None:
        """The card in Slack is behind the database."""
        await self._update(conversation_id, **PUBLISH_AGAIN)

    # -- reading -----------------------------------------------------------

    async def with_drafting(
        self, drafting: DraftingState, limit: int = 50, unchanged_since: dt.datetime | None = None
    ) -> list[CardState]:
        """Conversations whose drafting is in `drafting`, oldest first.

        Args:
            drafting: the state to look for.
            limit: at most this many.
            unchanged_since: only states not touched after this moment.
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


# What every change a card must show sets: due for publishing, at a new version.
PUBLISH_AGAIN: dict[str, object] = {
    "needs_publish": True,
    "publish_version": card_states.c.publish_version + 1,
}


def _new_state(conversation_id: str, root_enquiry_id: str) -> dict[str, object]:
    """A new conversation's row: no owner, a draft due, the card to publish."""
    return {
        "conversation_id": conversation_id,
        "root_enquiry_id": root_enquiry_id,
        "owner": None,
        "drafting": DraftingState.PENDING.value,
        "needs_publish": True,
        "updated_at": utc_now(),
    }
