"""Review cards: found by their enquiry and by their Slack message."""

from __future__ import annotations

from bot.storage import Database, SlackCard
from tests.storage.records import seed_draft


async def test_review_card_is_found_by_enquiry_and_by_message(database: Database) -> None:
    draft = await seed_draft(database)
    async with database.unit_of_work() as uow:
        await uow.cards.save(draft.enquiry_id, "C01", "1700000000.000100")
        moved = await uow.cards.save(draft.enquiry_id, "C01", "1700000001.000200")
        await uow.commit()
        by_enquiry = await uow.cards.get(draft.enquiry_id)
        by_ts = await uow.cards.find_by_ts("C01", "1700000001.000200")
        old_ts = await uow.cards.find_by_ts("C01", "1700000000.000100")

    assert moved == SlackCard(draft.enquiry_id, "C01", "1700000001.000200")
    assert by_enquiry == by_ts == moved
    assert old_ts is None
