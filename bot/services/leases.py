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
from collections.abc import AsyncIterator, Awaitable, Callable

log = logging.getLogger(__name__)

# How long a claim holds without renewal: long enough to ride out a busy moment, short
# enough that a crashed replica's work is taken over quickly.
LEASE = dt.timedelta(seconds=30)
# How often a live holder renews (well within LEASE).
RENEW_SECONDS = 10.0

Renew = Callable[[dt.datetime], Awaitable[bool]]


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
