"""Repository of per-conversation card state: owner, drafting state, pending publication.

Asking for work (a new message, a regenerate click, a change the card must show) bumps a
version on the row; `bot.storage.work_queues` claims and finishes that work. The same row
records the response-time reminder (`reminded_at`), claimed with one conditional UPDATE so
that of several replicas exactly one reminds.
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
from bot.storage.tables import card_states, decisions, drafts, enquiries


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


@dataclass(frozen=True)
class WaitingCard:
    """A card nobody has decided yet, with what its response-time target needs."""

    conversation_id: str
    channel: str
    received_at: dt.datetime  # the conversation's first message
    reminded_at: dt.datetime | None  # the last crossing handled (see `claim_crossing`)


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

    # -- response-time reminders ---------------------------------------------

    async def waiting(self, received_since: dt.datetime, limit: int = 500) -> list[WaitingCard]:
        """Cards whose current draft nobody has decided (or no draft yet), most urgent first.

        Args:
            received_since: only conversations whose first message arrived since then (older
                ones crossed their targets long ago; this keeps the query small).
            limit: at most this many.
        """
        asked = enquiries.alias("asked")
        decided = (
            sa.select(decisions.c.id)
            .join(drafts, drafts.c.id == decisions.c.draft_id)
            .join(asked, asked.c.id == drafts.c.enquiry_id)
            .where(
                asked.c.conversation_id == card_states.c.conversation_id,
                drafts.c.superseded.is_(False),
            )
            .exists()
        )
        query = (
            sa.select(
                card_states.c.conversation_id,
                card_states.c.reminded_at,
                enquiries.c.channel,
                enquiries.c.received_at,
            )
            .join(enquiries, enquiries.c.id == card_states.c.root_enquiry_id)
            .where(~decided, enquiries.c.received_at >= received_since)
            .order_by(card_states.c.priority.desc(), enquiries.c.received_at)
            .limit(limit)
        )
        return [
            WaitingCard(row.conversation_id, row.channel, row.received_at, row.reminded_at)
            for row in (await self._conn.execute(query)).all()
        ]

    async def claim_crossing(
        self, conversation_id: str, seen: dt.datetime | None, now: dt.datetime
    ) -> bool:
        """Take the card's next target crossing (at risk, then overdue); True if it is ours.

        One conditional UPDATE, no lock held in the process: the first crossing takes a card
        whose `reminded_at` is still NULL, a later one a card whose `reminded_at` is still
        what the caller read (`seen`). Whoever updates the row first wins; every other
        replica's UPDATE then matches no row. `reminded_at` becomes `now`, and the card is
        marked for publishing so its wait label changes.

        Args:
            conversation_id: The card's conversation.
            seen: `reminded_at` as the caller read it (None: never reminded).
            now: The moment of the crossing, as the caller's clock says.
        """
        column = card_states.c.reminded_at
        unchanged = column.is_(None) if seen is None else column <= seen
        claimed = await self._conn.execute(
            sa.update(card_states)
            .where(card_states.c.conversation_id == conversation_id, unchanged)
            .values(reminded_at=now, updated_at=utc_now(), **PUBLISH_AGAIN)
        )
        return claimed.rowcount == 1

    async def release_reminder(self, conversation_id: str, claimed_at: dt.datetime) -> None:
        """Give back a first crossing whose reminder could not be posted (tried again later)."""
        await self._conn.execute(
            sa.update(card_states)
            .where(
                card_states.c.conversation_id == conversation_id,
                card_states.c.reminded_at == claimed_at,
            )
            .values(reminded_at=None)
        )

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
