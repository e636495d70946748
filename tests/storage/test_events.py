"""Processed events: each source's event is handled once, even when retried at once."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.storage import Database


async def test_first_time_event_is_true_once(database: Database) -> None:
    async with database.unit_of_work() as uow:
        first = await uow.events.first_time("slack", "Ev01")
        repeat = await uow.events.first_time("slack", "Ev01")
        other_source = await uow.events.first_time("telegram", "Ev01")
        await uow.commit()
    async with database.unit_of_work() as uow:
        after_commit = await uow.events.first_time("slack", "Ev01")

    assert (first, repeat, other_source, after_commit) == (True, False, True, False)


async def test_concurrent_retries_of_one_event_are_handled_once(database: Database) -> None:
    async def handle() -> bool:
        async with database.unit_of_work() as uow:
            fresh = await uow.events.first_time("webhook", "hook-1")
            await uow.commit()
        return fresh

    assert sorted(await asyncio.gather(*(handle() for _ in range(5)))) == [False] * 4 + [True]


async def test_event_seen_in_a_rolled_back_unit_counts_as_new(database: Database) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.events.first_time("slack", "Ev02")
    async with database.unit_of_work() as uow:
        assert await uow.events.first_time("slack", "Ev02")
        await uow.commit()
        assert await uow.events.prune(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)) == 1
