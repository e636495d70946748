"""Enquiries and conversations: timestamps round-trip, repeats and races store one."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import sqlalchemy as sa

from bot.models import Channel, Enquiry
from bot.storage import Database
from tests.storage.records import T0, make_enquiry


async def test_enquiry_round_trips_with_timezone_aware_timestamps(database: Database) -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    original = make_enquiry(received_at=T0.astimezone(berlin))
    async with database.unit_of_work() as uow:
        stored, is_new = await uow.enquiries.add(original)
        await uow.commit()
    async with database.unit_of_work() as uow:
        loaded = await uow.enquiries.get(original.id)

    assert is_new
    assert loaded == stored == original
    assert loaded is not None
    assert loaded.received_at.tzinfo is dt.UTC
    assert loaded.received_at == T0


async def test_naive_timestamp_is_refused(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            await uow.enquiries.add(make_enquiry(received_at=dt.datetime(2026, 3, 1, 9, 30)))


async def test_repeated_delivery_of_same_external_id_stores_one_enquiry(
    database: Database,
) -> None:
    first = make_enquiry("update-9", text="first copy")
    repeat = make_enquiry("update-9", text="second copy")
    async with database.unit_of_work() as uow:
        await uow.enquiries.add(first)
        await uow.commit()
    async with database.unit_of_work() as uow:
        stored, is_new = await uow.enquiries.add(repeat)
        await uow.commit()
        everything = await uow.enquiries.list_recent(10)

    assert not is_new
    assert stored == first
    assert everything == [first]


async def test_same_external_id_on_another_channel_is_a_new_enquiry(database: Database) -> None:
    async with database.unit_of_work() as uow:
        _, telegram_new = await uow.enquiries.add(make_enquiry("77"))
        _, webhook_new = await uow.enquiries.add(make_enquiry("77", channel=Channel.WEBHOOK))
    assert telegram_new
    assert webhook_new


async def test_concurrent_duplicate_enquiries_store_one(database: Database) -> None:
    async def deliver(copy: int) -> tuple[Enquiry, bool]:
        async with database.unit_of_work() as uow:
            result = await uow.enquiries.add(make_enquiry("update-5", text=f"copy {copy}"))
            await uow.commit()
        return result

    results = await asyncio.gather(*(deliver(copy) for copy in range(5)))

    assert sum(is_new for _, is_new in results) == 1
    assert len({stored.id for stored, _ in results}) == 1
    async with database.unit_of_work() as uow:
        assert len(await uow.enquiries.list_recent(10)) == 1


async def test_concurrent_writers_wait_instead_of_failing(database: Database) -> None:
    async def deliver(number: int) -> bool:
        async with database.unit_of_work() as uow:
            _, is_new = await uow.enquiries.add(make_enquiry(f"update-{number}"))
            await uow.commit()
        return is_new

    assert all(await asyncio.gather(*(deliver(number) for number in range(20))))


async def test_recent_enquiries_come_newest_first_and_respect_the_limit(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        for minute in range(4):
            received = T0 + dt.timedelta(minutes=minute)
            await uow.enquiries.add(make_enquiry(f"u{minute}", received_at=received))
        recent = await uow.enquiries.list_recent(limit=2)
    assert [enquiry.external_id for enquiry in recent] == ["u3", "u2"]


async def test_conversation_stays_open_while_the_author_keeps_writing(database: Database) -> None:
    async with database.unit_of_work() as uow:
        conversation = await uow.conversations.open(Channel.TELEGRAM, "user-7", at=T0)
        later = T0 + dt.timedelta(minutes=20)
        await uow.enquiries.add(make_enquiry("a", conversation_id=conversation, received_at=T0))
        await uow.enquiries.add(make_enquiry("b", conversation_id=conversation, received_at=later))
        await uow.commit()

    async with database.unit_of_work() as uow:
        since = T0 + dt.timedelta(minutes=10)
        found = await uow.conversations.latest(Channel.TELEGRAM, "user-7", since)
        too_late = await uow.conversations.latest(
            Channel.TELEGRAM, "user-7", later + dt.timedelta(seconds=1)
        )
        other_author = await uow.conversations.latest(Channel.TELEGRAM, "user-8", T0)
        thread = await uow.enquiries.in_conversation(conversation)

    assert found == (conversation, later)
    assert too_late is None
    assert other_author is None
    assert [enquiry.external_id for enquiry in thread] == ["a", "b"]
