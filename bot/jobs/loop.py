"""The loop every queue worker runs: take work while there is some, then wait for more."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.jobs.pace import Pace

log = logging.getLogger(__name__)

# A step takes one piece of work and tells whether there was any.
Step = Callable[[], Awaitable[bool]]


async def work_forever(
    name: str,
    step: Step,
    wakeup: asyncio.Event,
    stop: asyncio.Event,
    poll_seconds: float,
    pace: Pace | None = None,
) -> None:
    """Run `step` until it finds nothing, then sleep until woken, polled or stopped.

    The database is the queue, so polling finds work queued by other replicas; `wakeup`
    only shortens the wait for work queued in this process. With `pace`, each step waits
    while requests are queuing. A failure is logged by type (database errors quote
    customer text) and the loop goes on.
    """

    async def paced_step() -> bool:
        if pace is not None:
            await pace.wait_turn()
        return await step()

    while not stop.is_set():
        wakeup.clear()
        try:
            while not stop.is_set() and await paced_step():
                pass
        except Exception as exc:  # a worker must outlive any one bad row or outage
            log.error("%s worker: %s; retrying", name, type(exc).__name__)  # noqa: TRY400
        woken = asyncio.ensure_future(wakeup.wait())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait(
            {woken, stopped}, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        woken.cancel()
        stopped.cancel()
