"""The outbox: one delivery row per approved draft, moved through `DeliveryState` safely.

A reply is only sent after a worker has *claimed* its row (QUEUED -> SENDING) in a committed
unit of work. A row still SENDING after a crash may or may not have reached the customer, so
it becomes OUTCOME_UNKNOWN for a person to check; it is never sent again automatically.

Allowed moves::

    QUEUED --claim_next--> SENDING --mark_sent--> SENT
    SENDING --reschedule--> QUEUED              (transient error, try later)
    SENDING --mark_failed--> FAILED --requeue_failed--> QUEUED   (a person retries)
    SENDING --mark_outcome_unknown / recover_stale_sending--> OUTCOME_UNKNOWN
    OUTCOME_UNKNOWN --mark_sent--> SENT          (a person saw it arrive)
    OUTCOME_UNKNOWN --mark_failed--> FAILED      (a person saw it did not)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import InputError, NotFoundError
from bot.models import Channel, Delivery, DeliveryState, utc_now
from bot.storage._dialect import is_postgresql, upsert_insert
from bot.storage.tables import deliveries

# Errors are for staff; cap them so a huge upstream body cannot bloat the row.
ERROR_LIMIT = 2000
# Without row locks (SQLite) a claim can lose a race; try the next due row a few times.
_CLAIM_TRIES = 5

_SENDING = frozenset({DeliveryState.SENDING})
_SENT_FROM = frozenset({DeliveryState.SENDING, DeliveryState.OUTCOME_UNKNOWN})
_FAILED_FROM = frozenset({DeliveryState.SENDING, DeliveryState.OUTCOME_UNKNOWN})
_RETRY_FROM = frozenset({DeliveryState.FAILED})


def _from_row(row: sa.Row[Any]) -> Delivery:
    return Delivery(
        id=row.id,
        draft_id=row.draft_id,
        channel=Channel(row.channel),
        text=row.text,
        reply_target=dict(row.reply_target),
        state=DeliveryState(row.state),
        attempts=row.attempts,
        last_error=row.last_error,
        external_message_id=row.external_message_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _to_row(delivery: Delivery, next_attempt_at: dt.datetime) -> dict[str, object]:
    return {
        "id": delivery.id,
        "draft_id": delivery.draft_id,
        "channel": delivery.channel.value,
        "text": delivery.text,
        "reply_target": dict(delivery.reply_target),
        "state": delivery.state.value,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "external_message_id": delivery.external_message_id,
        "next_attempt_at": next_attempt_at,
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
    }


def _states(states: Collection[DeliveryState]) -> list[str]:
    return sorted(state.value for state in states)


class DeliveryRepository:
    """Queue of approved replies; every state change is a guarded, conditional UPDATE."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def enqueue(
        self, delivery: Delivery, next_attempt_at: dt.datetime | None = None
    ) -> tuple[Delivery, bool]:
        """Queue `delivery` unless its draft already has an outbox row.

        Args:
            delivery: The reply to send, usually QUEUED with no attempts.
            next_attempt_at: Earliest send time; the delivery's `created_at` if omitted.

        Returns:
            The stored delivery (the first one, for a repeat) and whether it was new.
        """
        row = _to_row(delivery, next_attempt_at or delivery.created_at)
        insert = upsert_insert(self._conn, deliveries).values(row)
        insert = insert.on_conflict_do_nothing(index_elements=["draft_id"])
        created = (await self._conn.execute(insert.returning(deliveries.c.id))).first()
        stored = await self._one(deliveries.c.draft_id == delivery.draft_id)
        return stored, created is not None

    async def claim_next(
        self, now: dt.datetime, lease_until: dt.datetime | None = None, token: str | None = None
    ) -> Delivery | None:
        """Move the oldest due QUEUED row to SENDING and count the attempt.

        Commit the unit of work before sending, so another worker cannot claim the same row
        and a crash leaves the row SENDING for `recover_stale_sending`. On PostgreSQL rows
        another worker is claiming are skipped (FOR UPDATE SKIP LOCKED); everywhere the
        UPDATE only succeeds while the row is still QUEUED, so exactly one claimer wins.

        Args:
            now: Rows due at or before this moment qualify.
            lease_until: Until when the claim holds unless renewed (`renew_lease`); a row
                claimed without a lease counts as abandoned at once.
            token: The claimer's token, which renewing the lease must present.

        Returns:
            The claimed delivery, or None if nothing is due.
        """
        for _ in range(_CLAIM_TRIES):
            candidate = await self._next_due_id(now)
            if candidate is None:
                return None
            claimed = await self._update(
                candidate,
                frozenset({DeliveryState.QUEUED}),
                state=DeliveryState.SENDING.value,
                attempts=deliveries.c.attempts + 1,
                lease_token=token,
                lease_until=lease_until,
                updated_at=now,
            )
            if claimed is not None:
                return claimed
        return None

    async def renew_lease(self, delivery_id: str, token: str, until: dt.datetime) -> bool:
        """Extend a SENDING row's lease; False when the row is no longer ours to send."""
        query = (
            sa.update(deliveries)
            .where(
                deliveries.c.id == delivery_id,
                deliveries.c.state == DeliveryState.SENDING.value,
                deliveries.c.lease_token == token,
            )
            .values(lease_until=until)
        )
        return (await self._conn.execute(query)).rowcount == 1

    async def mark_sent(self, delivery_id: str, external_message_id: str | None) -> Delivery:
        """Record that the platform accepted the reply (from SENDING or OUTCOME_UNKNOWN).

        Raises:
            NotFoundError: No delivery has this id.
            InputError: The delivery is in a state it cannot be marked sent from.
        """
        return await self._move(
            delivery_id,
            _SENT_FROM,
            state=DeliveryState.SENT.value,
            external_message_id=external_message_id,
            last_error=None,
        )

    async def reschedule(
        self,
        delivery_id: str,
        error: str,
        next_attempt_at: dt.datetime,
        refund_attempt: bool = False,
    ) -> Delivery:
        """Put a SENDING row back in the queue after a transient error.

        Args:
            delivery_id: The row.
            error: What went wrong, for the card.
            next_attempt_at: When to try again.
            refund_attempt: The platform asked us to wait (a rate limit): waiting is not a
                failed attempt, so it does not use up the retry budget.

        Raises:
            NotFoundError: No delivery has this id.
            InputError: The delivery is not SENDING.
        """
        return await self._move(
            delivery_id,
            _SENDING,
            state=DeliveryState.QUEUED.value,
            last_error=error[:ERROR_LIMIT],
            next_attempt_at=next_attempt_at,
            attempts=deliveries.c.attempts - 1 if refund_attempt else deliveries.c.attempts,
        )

    async def mark_failed(self, delivery_id: str, error: str) -> Delivery:
        """Park the row as FAILED (retries exhausted, or a person saw it did not arrive).

        Raises:
            NotFoundError: No delivery has this id.
            InputError: The delivery is neither SENDING nor OUTCOME_UNKNOWN.
        """
        return await self._move(
            delivery_id,
            _FAILED_FROM,
            state=DeliveryState.FAILED.value,
            last_error=error[:ERROR_LIMIT],
        )

    async def mark_outcome_unknown(self, delivery_id: str) -> Delivery:
        """Flag a SENDING row whose send may or may not have happened (e.g. a timeout).

        Raises:
            NotFoundError: No delivery has this id.
            InputError: The delivery is not SENDING.
        """
        return await self._move(delivery_id, _SENDING, state=DeliveryState.OUTCOME_UNKNOWN.value)

    async def requeue_failed(self, delivery_id: str, now: dt.datetime | None = None) -> Delivery:
        """Queue a FAILED row again because a person asked for a retry.

        Only FAILED rows qualify: a SENT or OUTCOME_UNKNOWN row could reach the customer twice.

        Raises:
            NotFoundError: No delivery has this id.
            InputError: The delivery is not FAILED.
        """
        return await self._move(
            delivery_id,
            _RETRY_FROM,
            state=DeliveryState.QUEUED.value,
            next_attempt_at=now or utc_now(),
        )

    async def recover_stale_sending(
        self, now: dt.datetime | None = None, older_than: dt.datetime | None = None
    ) -> list[Delivery]:
        """Turn rows a crashed worker left in SENDING into OUTCOME_UNKNOWN; never resend them.

        A row counts as left behind when its lease ran out: live workers, in this process or
        another replica, renew theirs while they send, so their rows are spared.

        Args:
            now: The moment leases are compared with (now if omitted).
            older_than: Only rows claimed before this moment as well.

        Returns:
            The rows that were moved, for alerting.
        """
        moment = now or utc_now()
        query = sa.update(deliveries).where(
            deliveries.c.state == DeliveryState.SENDING.value,
            sa.or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < moment),
        )
        if older_than is not None:
            query = query.where(deliveries.c.updated_at < older_than)
        query = query.values(state=DeliveryState.OUTCOME_UNKNOWN.value, updated_at=utc_now())
        rows = await self._conn.execute(query.returning(*deliveries.c))
        return sorted((_from_row(row) for row in rows), key=lambda d: (d.created_at, d.id))

    async def get(self, delivery_id: str) -> Delivery | None:
        """Return the delivery with `delivery_id`, or None if there is none."""
        return await self._first(deliveries.c.id == delivery_id)

    async def for_draft(self, draft_id: str) -> Delivery | None:
        """Return the draft's outbox row, or None if it was never approved."""
        return await self._first(deliveries.c.draft_id == draft_id)

    async def list_by_state(self, state: DeliveryState) -> list[Delivery]:
        """Return every delivery in `state`, oldest first, e.g. for a staff overview."""
        query = (
            sa.select(deliveries)
            .where(deliveries.c.state == state.value)
            .order_by(deliveries.c.created_at, deliveries.c.id)
        )
        return [_from_row(row) for row in await self._conn.execute(query)]

    async def _next_due_id(self, now: dt.datetime) -> str | None:
        query = (
            sa.select(deliveries.c.id)
            .where(
                deliveries.c.state == DeliveryState.QUEUED.value,
                deliveries.c.next_attempt_at <= now,
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.created_at, deliveries.c.id)
            .limit(1)
        )
        if is_postgresql(self._conn):
            query = query.with_for_update(skip_locked=True)
        found = (await self._conn.execute(query)).scalar_one_or_none()
        return None if found is None else str(found)

    async def _move(
        self, delivery_id: str, allowed: frozenset[DeliveryState], **values: object
    ) -> Delivery:
        moved = await self._update(delivery_id, allowed, updated_at=utc_now(), **values)
        if moved is not None:
            return moved
        current = await self.get(delivery_id)
        if current is None:
            raise NotFoundError(f"no delivery {delivery_id}")
        raise InputError(
            f"delivery {delivery_id} is {current.state.value}, expected one of {_states(allowed)}"
        )

    async def _update(
        self, delivery_id: str, allowed: frozenset[DeliveryState], **values: object
    ) -> Delivery | None:
        # The state test in the WHERE clause is what makes each move safe under races.
        query = (
            sa.update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.state.in_(_states(allowed)))
            .values(**values)
            .returning(*deliveries.c)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _from_row(row)

    async def _first(self, condition: sa.ColumnElement[bool]) -> Delivery | None:
        row = (await self._conn.execute(sa.select(deliveries).where(condition))).first()
        return None if row is None else _from_row(row)

    async def _one(self, condition: sa.ColumnElement[bool]) -> Delivery:
        row = (await self._conn.execute(sa.select(deliveries).where(condition))).one()
        return _from_row(row)
