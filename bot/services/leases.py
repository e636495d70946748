"""Leases with heartbeats: a claim on queued work stays ours only while we are alive.

A worker claims a row with a short lease and renews it while it works. If the process dies,
the lease runs out within `LEASE` and another replica takes the work over; while it lives,
nobody else touches the row. Renewal goes through the database, never an in-process lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from bot.storage import Database, UnitOfWork, WorkClaim

log = logging.getLogger(__name__)

# How long a claim holds without renewal: long enough to ride out a busy moment, short
# enough that a crashed replica's work is taken over quickly.
LEASE = dt.timedelta(seconds=30)
# How often a live holder renews (well within LEASE).
RENEW_SECONDS = 10.0

Renew = Callable[[dt.datetime], Awaitable[bool]]


class LeasedQueue(Protocol):
    """A queue of conversations in the database (`uow.drafting`, `uow.publishing`)."""

    async def claim(
        self,
        now: dt.datetime,
        lease_until: dt.datetime,
        token: str,
        conversation_id: str | None = None,
    ) -> WorkClaim | None:
        """Claim the next due conversation, or `conversation_id`."""
        ...

    async def renew(self, conversation_id: str, token: str, until: dt.datetime) -> bool:
        """Extend a lease; False when it is no longer ours."""
        ...


# Picks a queue from a unit of work, e.g. `lambda uow: uow.drafting`.
QueueOf = Callable[[UnitOfWork], LeasedQueue]


async def claim_work(
    db: Database,
    clock: Callable[[], dt.datetime],
    queue: QueueOf,
    conversation_id: str | None = None,
) -> WorkClaim | None:
    """Claim work from `queue` in its own transaction, so other workers see the lease."""
    now = clock()
    async with db.unit_of_work() as uow:
        claimed = await queue(uow).claim(now, now + LEASE, uuid.uuid4().hex, conversation_id)
        await uow.commit()
    return claimed


def holding(
    db: Database, clock: Callable[[], dt.datetime], queue: QueueOf, claimed: WorkClaim, what: str
) -> contextlib.AbstractAsyncContextManager[None]:
    """Keep `claimed` alive while the block runs (see `kept_alive`)."""

    async def renew(until: dt.datetime) -> bool:
        async with db.unit_of_work() as uow:
            renewed = await queue(uow).renew(claimed.conversation_id, claimed.token, until)
            await uow.commit()
        return renewed

    return kept_alive(renew, clock, f"{what} {claimed.conversation_id}")


@contextlib.asynccontextmanager
async def kept_alive(
    renew: Renew, clock: Callable[[], dt.datetime], what: str
) -> AsyncIterator[None]:
    """Renew a lease every `RENEW_SECONDS` while the block runs.

    Args:
        renew: Extends the lease to the given moment; returns False once it is not ours.
        clock: The desk's clock.
        what: Names the work in the one log line a lost lease gives.
    """

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                if not await renew(clock() + LEASE):
                    log.warning("lease on %s lost; another worker may take it over", what)
                    return
            except Exception as exc:  # the work goes on; the lease may run out
                log.warning("renewing the lease on %s failed (%s)", what, type(exc).__name__)

    task = asyncio.create_task(heartbeat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
