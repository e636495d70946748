"""Reminds reviewers about cards that turn "at risk" against their response-time target.

Every worker replica runs it; the database decides which replica acts on each card (see
`bot.services.response_times`), so one reminder is posted however many replicas run.
"""

from __future__ import annotations

import asyncio

from bot.jobs.loop import work_forever
from bot.ports import BackgroundJob
from bot.services.desk import Desk
from bot.services.response_times import remind_due_cards

# Targets are minutes to hours: half a minute late is soon enough, and cheap to poll.
REMIND_EVERY_SECONDS = 30.0


async def remind_forever(
    desk: Desk, stop: asyncio.Event, interval_seconds: float = REMIND_EVERY_SECONDS
) -> None:
    """Look for cards that crossed their target every `interval_seconds` until `stop`."""

    async def step() -> bool:
        return await remind_due_cards(desk) > 0

    # Nothing in the process knows when a card crosses its target: the clock does. The
    # wake-up event is never set; the loop polls.
    await work_forever("reminders", step, asyncio.Event(), stop, interval_seconds)


def reminder_job(desk: Desk, interval_seconds: float = REMIND_EVERY_SECONDS) -> BackgroundJob:
    """The reminder loop as a background job of `replydesk serve`."""

    async def reminding(stop: asyncio.Event) -> None:
        await remind_forever(desk, stop, interval_seconds)

    return reminding
