"""Knowledge hashes: stored per knowledge key, updated and removed per entry."""

from __future__ import annotations

import datetime as dt

from bot.storage import Database


async def test_knowledge_hashes_upsert_and_remove(database: Database) -> None:
    until = dt.date(2026, 12, 31)
    async with database.unit_of_work() as uow:
        await uow.knowledge.upsert("faq", "opening-hours", "h1", None)
        await uow.knowledge.upsert("faq", "holidays", "h2", until)
        await uow.knowledge.upsert("faq", "opening-hours", "h1-new", until)
        await uow.knowledge.upsert("other", "opening-hours", "x", None)
        await uow.commit()

    async with database.unit_of_work() as uow:
        before = await uow.knowledge.hashes("faq")
        current = await uow.knowledge.current("faq", ["opening-hours", "gone", "holidays"])
        await uow.knowledge.remove("faq", ["holidays"])
        await uow.knowledge.remove("faq", [])
        await uow.commit()
        after = await uow.knowledge.hashes("faq")
        untouched = await uow.knowledge.hashes("other")

    assert before == {"opening-hours": "h1-new", "holidays": "h2"}
    assert current == {"opening-hours": ("h1-new", until), "holidays": ("h2", until)}
    assert after == {"opening-hours": "h1-new"}
    assert untouched == {"opening-hours": "x"}
