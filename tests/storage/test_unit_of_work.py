"""Units of work: nothing is kept without a commit."""

from __future__ import annotations

import pytest

from bot.storage import Database
from tests.storage.records import make_enquiry


async def test_uncommitted_unit_of_work_rolls_back(database: Database) -> None:
    enquiry = make_enquiry()
    async with database.unit_of_work() as uow:
        await uow.enquiries.add(enquiry)

    async def fail_halfway() -> None:
        async with database.unit_of_work() as uow:
            await uow.enquiries.add(make_enquiry("update-2"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_halfway()

    async with database.unit_of_work() as uow:
        assert await uow.enquiries.list_recent(10) == []


async def test_work_after_a_commit_needs_its_own_commit(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.enquiries.add(make_enquiry("kept"))
        await uow.commit()
        await uow.enquiries.add(make_enquiry("dropped"))

    async with database.unit_of_work() as uow:
        assert [e.external_id for e in await uow.enquiries.list_recent(10)] == ["kept"]
