"""Drafts and decisions: every revision is kept, a draft is decided once."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import DuplicateError
from bot.models import Decision, DraftAction
from bot.storage import Database
from tests.storage.records import make_decision, make_draft, seed_draft


async def test_draft_history_keeps_every_revision(database: Database) -> None:
    first = await seed_draft(database)
    second = make_draft(first.enquiry_id, revision=2, citations=(), cited_hashes={})
    third = make_draft(first.enquiry_id, revision=3, action=DraftAction.ESCALATE)
    async with database.unit_of_work() as uow:
        await uow.drafts.add(second)
        await uow.drafts.mark_superseded(first.id)
        await uow.drafts.add(third)
        await uow.drafts.mark_superseded(second.id)
        await uow.commit()

    async with database.unit_of_work() as uow:
        history = await uow.drafts.history(first.enquiry_id)
        latest = await uow.drafts.latest_for(first.enquiry_id)
        superseded = [await uow.drafts.is_superseded(d.id) for d in history]
        loaded = await uow.drafts.get(first.id)

    assert history == [first, second, third]
    assert latest == third
    assert superseded == [True, True, False]
    assert loaded == first


async def test_same_revision_twice_raises_duplicate_error(database: Database) -> None:
    first = await seed_draft(database)
    async with database.unit_of_work() as uow:
        with pytest.raises(DuplicateError):
            await uow.drafts.add(make_draft(first.enquiry_id, revision=1))


async def test_second_decision_on_same_draft_returns_first(database: Database) -> None:
    draft = await seed_draft(database)
    first = make_decision(draft.id, reviewer="U1")
    async with database.unit_of_work() as uow:
        await uow.decisions.record(first)
        await uow.commit()
    async with database.unit_of_work() as uow:
        stored, is_new = await uow.decisions.record(make_decision(draft.id, reviewer="U2"))
        await uow.commit()
        loaded = await uow.decisions.for_draft(draft.id)

    assert not is_new
    assert stored == first == loaded


async def test_concurrent_decisions_record_exactly_one(database: Database) -> None:
    draft = await seed_draft(database)

    async def click(reviewer: str) -> tuple[Decision, bool]:
        async with database.unit_of_work() as uow:
            result = await uow.decisions.record(make_decision(draft.id, reviewer))
            await uow.commit()
        return result

    results = await asyncio.gather(*(click(f"U{n}") for n in range(5)))

    assert sum(is_new for _, is_new in results) == 1
    assert len({decision.id for decision, _ in results}) == 1
