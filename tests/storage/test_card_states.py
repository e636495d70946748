"""Card states: who drafts, who owns the card, and whether it still needs publishing."""

from __future__ import annotations

from bot.models import Channel
from bot.storage import Database, DraftingState
from tests.storage.records import make_enquiry


async def test_card_state_tracks_drafting_owner_and_pending_publication(database: Database) -> None:
    async with database.unit_of_work() as uow:
        conversation_id = await uow.conversations.open(Channel.TELEGRAM, "42")
        enquiry, _ = await uow.enquiries.add(make_enquiry(conversation_id=conversation_id))
        first = await uow.card_states.ensure(conversation_id, enquiry.id)
        again = await uow.card_states.ensure(conversation_id, "someone-else")
        await uow.card_states.set_drafting(conversation_id, DraftingState.DELAYED)
        await uow.card_states.set_owner(conversation_id, "<@U_LEAD>")
        await uow.commit()

    async with database.unit_of_work() as uow:
        delayed = await uow.card_states.with_drafting(DraftingState.DELAYED)
        pending = await uow.card_states.to_publish()
        await uow.card_states.mark_published(conversation_id)
        await uow.commit()
        published = await uow.card_states.to_publish()

    assert first.needs_publish and first.drafting is DraftingState.PENDING
    assert again.root_enquiry_id == enquiry.id
    assert [s.owner for s in delayed] == ["<@U_LEAD>"]
    assert [s.conversation_id for s in pending] == [conversation_id]
    assert published == []
