"""Watches topic volumes for spikes and posts the leads' alerts.

Every worker replica runs it; the database decides (a lock for the watch, a claim for each
alert), so a burst makes one spike and one alert however many replicas run.
"""

from __future__ import annotations

import asyncio
import logging

from bot.jobs.loop import work_forever
from bot.ports import BackgroundJob
from bot.services.desk import Desk
from bot.services.spike_watch import announce_spikes, watch_spikes

log = logging.getLogger(__name__)

# A burst of 40 posts in ten minutes is noticed within a minute of crossing the threshold.
WATCH_EVERY_SECONDS = 60.0


async def watch_spikes_forever(
    desk: Desk, stop: asyncio.Event, interval_seconds: float = WATCH_EVERY_SECONDS
) -> None:
    """Look for spikes every `interval_seconds` until `stop`; alert the leads on each."""

    async def step() -> bool:
        await watch_spikes(desk)
        await announce_spikes(desk)
        return False  # the clock, not a queue, brings the next look

    await work_forever("spike watch", step, asyncio.Event(), stop, interval_seconds)


def spike_job(desk: Desk, interval_seconds: float = WATCH_EVERY_SECONDS) -> BackgroundJob:
    """The spike watch as a background job of `replydesk serve`."""

    async def watching(stop: asyncio.Event) -> None:
        await watch_spikes_forever(desk, stop, interval_seconds)

    return watching
