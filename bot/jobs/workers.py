"""The filing, drafting and publishing workers: the service's queues, drained by every replica.

Every change is first written to the database; these workers make the outside world follow.
Inbound paths only store a delivery in the inbox; filing workers file it into its customer's
conversation and mark that due; drafting workers claim due conversations, publishing workers
claim cards that are behind Slack. Claims are leases in the
database, so workers in one process and in several replicas never do one job twice, and a
job a dead replica held is taken over once its lease runs out. This is also what turns
"Slack was down" or "the model was down" into "it arrived later, once".
"""

from __future__ import annotations

import asyncio

from bot.jobs.loop import work_forever
from bot.jobs.pace import Pace
from bot.services import Desk, draft_next, file_inbox, publish_next

# Enough for one drain of a busy queue; a test or the CLI never loops forever on it.
_MAX_STEPS = 10_000


async def reconcile_once(desk: Desk) -> int:
    """File the inbox, draft every conversation that is due, publish every card that is behind.

    Returns:
        How many drafting and publishing jobs were run.
    """
    handled = 0
    for _ in range(_MAX_STEPS):
        filed = await file_inbox(desk)
        handled += filed
        if not filed:
            break
    for next_job in (draft_next, publish_next):
        for _ in range(_MAX_STEPS):
            if not await next_job(desk):
                break
            handled += 1
    return handled


async def file_forever(
    desk: Desk, stop: asyncio.Event, poll_seconds: float = 1.0, pace: Pace | None = None
) -> None:
    """One filing worker: file inbox deliveries into conversations until `stop` is set."""

    async def step() -> bool:
        return await file_inbox(desk) > 0

    await work_forever("filing", step, desk.filing_wakeup, stop, poll_seconds, pace)


async def draft_forever(
    desk: Desk, stop: asyncio.Event, poll_seconds: float = 1.0, pace: Pace | None = None
) -> None:
    """One drafting worker: draft due conversations until `stop` is set."""

    async def step() -> bool:
        return await draft_next(desk)

    await work_forever("drafting", step, desk.drafting_wakeup, stop, poll_seconds, pace)


async def publish_forever(
    desk: Desk, stop: asyncio.Event, poll_seconds: float = 1.0, pace: Pace | None = None
) -> None:
    """One publishing worker: bring cards that are behind up to date until `stop` is set."""

    async def step() -> bool:
        return await publish_next(desk)

    await work_forever("publishing", step, desk.publishing_wakeup, stop, poll_seconds, pace)
