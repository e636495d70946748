"""The drafting and publishing workers: the service's queues, drained by every replica.

Every change is first written to the database; these workers make the outside world follow.
Inbound paths only store a message and mark its conversation due; drafting workers claim due
conversations, publishing workers claim cards that are behind Slack. Claims are leases in the
database, so workers in one process and in several replicas never do one job twice, and a
job a dead replica held is taken over once its lease runs out. This is also what turns
"Slack was down" or "the model was down" into "it arrived later, once".
"""

from __future__ import annotations

import asyncio

from bot.jobs.loop import work_forever
from bot.services import Desk, draft_next, publish_next

# Enough for one drain of a busy queue; a test or the CLI never loops forever on it.
_MAX_STEPS = 10_000


async def reconcile_once(desk: Desk) -> int:
    """Draft every conversation that is due and publish every card that is behind, now.

    Returns:
        How many drafting and publishing jobs were run.
    """
    handled = 0
    for next_job in (draft_next, publish_next):
        for _ in range(_MAX_STEPS):
            if not await next_job(desk):
                break
            handled += 1
    return handled


async def draft_forever(desk: Desk, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
    """One drafting worker: draft due conversations until `stop` is set."""

    async def step() -> bool:
        return await draft_next(desk)

    await work_forever("drafting", step, desk.drafting_wakeup, stop, poll_seconds)


async def publish_forever(desk: Desk, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
    """One publishing worker: bring cards that are behind up to date until `stop` is set."""

    async def step() -> bool:
        return await publish_next(desk)

    await work_forever("publishing", step, desk.publishing_wakeup, stop, poll_seconds)
