"""The drafting and publishing queues on card states: versioned claims with leases.

Each conversation's row is where replicas meet: new work bumps a version (see
`CardStateRepository`), a worker claims the row with a lease (a token and an expiry it
renews while it lives), and finishes only the version it claimed. Work asked for meanwhile
stays due; a dead worker's lease runs out and another replica takes the row over. On
PostgreSQL a claimer skips rows another is claiming (FOR UPDATE SKIP LOCKED); SQLite
serialises writers anyway (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import utc_now
from bot.storage._dialect import is_postgresql
from bot.storage.card_states import PUBLISH_AGAIN, DraftingState
from bot.storage.tables import card_states

_DRAFT_DUE = (DraftingState.PENDING.value, DraftingState.DELAYED.value)
# Claiming the next due row may lose a race to another worker; try a few candidates.
_CLAIM_TRIES = 3


@dataclass(frozen=True)
class WorkClaim:
    """A claimed piece of queued work on one conversation.

    Attributes:
        conversation_id: The conversation.
        token: Presented to renew, finish or release the lease.
        version: The version of the work claimed; finishing succeeds only if it is current.
        hint: A reviewer's hint for the draft (drafting only).
        claims: How often this conversation's publishing was claimed, this time included.
        failures: Failures in a row so far, for the backoff.
    """

    conversation_id: str
    token: str
    version: int
    hint: str | None = None
    claims: int = 0
    failures: int = 0


class _LeasedQueue:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _claim(
        self, condition: sa.ColumnElement[bool], conversation_id: str | None, **values: object
    ) -> sa.Row[Any] | None:
        for _ in range(_CLAIM_TRIES):
            candidate = conversation_id or await self._next(condition)
            if candidate is None:
                return None
            claimed = (
                await self._conn.execute(
                    sa.update(card_states)
                    .where(card_states.c.conversation_id == candidate, condition)
                    .values(**values)
                    .returning(*card_states.c)
                )
            ).first()
            if claimed is not None or conversation_id is not None:
                return claimed
        return None

    async def _next(self, condition: sa.ColumnElement[bool]) -> str | None:
        query = (
            sa.select(card_states.c.conversation_id)
            .where(condition)
            # The most urgent first (bot/priority), then the oldest.
            .order_by(card_states.c.priority.desc(), card_states.c.updated_at)
            .limit(1)
        )
        if is_postgresql(self._conn):
            query = query.with_for_update(skip_locked=True)
        found = (await self._conn.execute(query)).scalar_one_or_none()
        return None if found is None else str(found)

    async def _renew(
        self, token_column: sa.Column[Any], conversation_id: str, token: str, **values: object
    ) -> bool:
        renewed = await self._conn.execute(
            sa.update(card_states)
            .where(card_states.c.conversation_id == conversation_id, token_column == token)
            .values(**values)
        )
        return renewed.rowcount == 1


class DraftingQueue(_LeasedQueue):
    """Conversations due for a (new) draft."""

    async def claim(
        self,
        now: dt.datetime,
        lease_until: dt.datetime,
        token: str,
        conversation_id: str | None = None,
    ) -> WorkClaim | None:
        """Claim drafting of the next due conversation, or of `conversation_id` now.

        Due means pending or delayed, not leased by a live worker, and (for the next due
        one) past its backoff. Commit before drafting so other workers see the lease.
        """
        condition = sa.and_(
            card_states.c.drafting.in_(_DRAFT_DUE),
            _lease_free(card_states.c.draft_lease_until, now),
        )
        if conversation_id is None:
            condition = sa.and_(condition, _reached(card_states.c.draft_not_before, now))
        row = await self._claim(
            condition,
            conversation_id,
            draft_lease_token=token,
            draft_lease_until=lease_until,
        )
        if row is None:
            return None
        return WorkClaim(
            row.conversation_id,
            token,
            int(row.draft_version),
            hint=row.draft_hint,
            failures=int(row.draft_failures),
        )

    async def renew(self, conversation_id: str, token: str, until: dt.datetime) -> bool:
        """Extend a drafting lease; False when it is no longer ours."""
        return await self._renew(
            card_states.c.draft_lease_token, conversation_id, token, draft_lease_until=until
        )

    async def finish(
        self, claim: WorkClaim, drafting: DraftingState, not_before: dt.datetime | None = None
    ) -> bool:
        """Record the claimed draft as made, if nothing newer was asked for meanwhile.

        Call it in the transaction that saves the draft and commit only when it returns
        True; False means a message or a click arrived since the claim: the row stays
        due, so the next run drafts everything.

        Args:
            claim: The claim the draft was made under.
            drafting: DONE, or DELAYED for an offline stand-in while the model is down.
            not_before: With DELAYED, when to try the model again.
        """
        finished = await self._conn.execute(
            sa.update(card_states)
            .where(
                card_states.c.conversation_id == claim.conversation_id,
                card_states.c.draft_lease_token == claim.token,
                card_states.c.draft_version == claim.version,
            )
            .values(
                drafting=drafting.value,
                draft_hint=None,
                draft_lease_token=None,
                draft_lease_until=None,
                draft_not_before=not_before,
                draft_failures=0 if not_before is None else card_states.c.draft_failures + 1,
                updated_at=utc_now(),
                **PUBLISH_AGAIN,
            )
        )
        return finished.rowcount == 1

    async def delay(self, claim: WorkClaim, not_before: dt.datetime) -> None:
        """The drafter was unreachable: retry after `not_before`; the card says so."""
        await self._conn.execute(
            sa.update(card_states)
            .where(
                card_states.c.conversation_id == claim.conversation_id,
                card_states.c.draft_lease_token == claim.token,
            )
            .values(
                drafting=DraftingState.DELAYED.value,
                draft_lease_token=None,
                draft_lease_until=None,
                draft_not_before=not_before,
                draft_failures=card_states.c.draft_failures + 1,
                updated_at=utc_now(),
                **PUBLISH_AGAIN,
            )
        )

    async def release(self, claim: WorkClaim, *, done: bool = False) -> None:
        """Give the lease back; with `done`, nothing was left to draft at this version."""
        values: dict[str, object] = {"draft_lease_token": None, "draft_lease_until": None}
        condition = card_states.c.draft_lease_token == claim.token
        if done:
            await self._conn.execute(
                sa.update(card_states)
                .where(
                    card_states.c.conversation_id == claim.conversation_id,
                    condition,
                    card_states.c.draft_version == claim.version,
                )
                .values(drafting=DraftingState.DONE.value, draft_hint=None, **values)
            )
        await self._conn.execute(
            sa.update(card_states)
            .where(card_states.c.conversation_id == claim.conversation_id, condition)
            .values(**values)
        )


class PublishingQueue(_LeasedQueue):
    """Cards whose Slack message is behind the database."""

    async def claim(
        self,
        now: dt.datetime,
        lease_until: dt.datetime,
        token: str,
        conversation_id: str | None = None,
    ) -> WorkClaim | None:
        """Claim publishing of the next card that is behind, or of `conversation_id` now.

        The next card skips conversations still waiting for their draft: the drafting run
        publishes them, so a new enquiry costs Slack one post rather than a post and an
        update a moment later (Slack allows about one message a second per channel).
        """
        condition = _lease_free(card_states.c.publish_lease_until, now)
        if conversation_id is None:
            condition = sa.and_(
                condition,
                card_states.c.needs_publish.is_(True),
                card_states.c.drafting != DraftingState.PENDING.value,
                _reached(card_states.c.publish_not_before, now),
            )
        row = await self._claim(
            condition,
            conversation_id,
            publish_lease_token=token,
            publish_lease_until=lease_until,
            publish_claims=card_states.c.publish_claims + 1,
        )
        if row is None:
            return None
        return WorkClaim(
            row.conversation_id,
            token,
            int(row.publish_version),
            claims=int(row.publish_claims),
            failures=int(row.publish_failures),
        )

    async def renew(self, conversation_id: str, token: str, until: dt.datetime) -> bool:
        """Extend a publishing lease; False when it is no longer ours."""
        return await self._renew(
            card_states.c.publish_lease_token, conversation_id, token, publish_lease_until=until
        )

    async def finish(self, claim: WorkClaim) -> bool:
        """The card shows the claimed version; later changes keep it due.

        Returns:
            False when a change arrived meanwhile: the card is still behind.
        """
        mine = sa.and_(
            card_states.c.conversation_id == claim.conversation_id,
            card_states.c.publish_lease_token == claim.token,
        )
        caught_up = await self._conn.execute(
            sa.update(card_states)
            .where(mine, card_states.c.publish_version == claim.version)
            .values(needs_publish=False)
        )
        await self._conn.execute(
            sa.update(card_states)
            .where(mine)
            .values(
                publish_lease_token=None,
                publish_lease_until=None,
                publish_not_before=None,
                publish_failures=0,
            )
        )
        return caught_up.rowcount == 1

    async def delay(self, claim: WorkClaim, not_before: dt.datetime) -> None:
        """Publishing failed: this card alone waits until `not_before`; the others go on."""
        await self._conn.execute(
            sa.update(card_states)
            .where(
                card_states.c.conversation_id == claim.conversation_id,
                card_states.c.publish_lease_token == claim.token,
            )
            .values(
                needs_publish=True,
                publish_lease_token=None,
                publish_lease_until=None,
                publish_not_before=not_before,
                publish_failures=card_states.c.publish_failures + 1,
            )
        )


def _lease_free(until: sa.Column[Any], now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(until.is_(None), until < now)


def _reached(not_before: sa.Column[Any], now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(not_before.is_(None), not_before <= now)
