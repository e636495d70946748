"""Publishing review cards: the board follows the database, and catches up after outages."""

from __future__ import annotations

from bot.errors import NotFoundError, TransientError
from bot.models import (
    Draft,
)
from bot.ports import CardRef
from bot.review import ReviewCard, load_card
from bot.services.desk import Desk, conversation_of, load_enquiry
from bot.wording import review_wording


async def publish_card(desk: Desk, conversation_id: str) -> CardRef | None:
    """Post or update the conversation's card; on a board outage leave it for the next try."""
    async with desk.card_lock(conversation_id):
        async with desk.db.unit_of_work() as uow:
            card = await load_card(uow, conversation_id, desk.catalog)
            stored = await uow.cards.get(card.root_enquiry_id)
        existing = CardRef(stored.channel, stored.ts) if stored else None
        try:
            ref = await desk.board.publish(card, existing)
        except TransientError:
            async with desk.db.unit_of_work() as uow:
                await uow.card_states.mark_for_publish(conversation_id)
                await uow.commit()
            return None
        async with desk.db.unit_of_work() as uow:
            await uow.cards.save(card.root_enquiry_id, ref.channel, ref.ts)
            await uow.card_states.mark_published(conversation_id)
            await uow.commit()
        return ref


async def post_history(desk: Desk, conversation_id: str, replaced: Draft) -> None:
    """Keep a replaced draft in the card's thread, so reviewers see what changed."""
    ref = await card_ref(desk, conversation_id)
    if ref is None:
        return
    try:
        text = review_wording().thread_replaced_draft.format(
            revision=replaced.revision, text=replaced.text
        )
        await desk.board.post_in_thread(ref, text)
    except TransientError:
        return  # history in the thread is a courtesy; the database keeps every revision


async def card_ref(desk: Desk, conversation_id: str) -> CardRef | None:
    """Where the conversation's card was posted, if it was."""
    async with desk.db.unit_of_work() as uow:
        state = await uow.card_states.get(conversation_id)
        stored = await uow.cards.get(state.root_enquiry_id) if state else None
    return CardRef(stored.channel, stored.ts) if stored else None


async def card_of_enquiry(desk: Desk, enquiry_id: str) -> ReviewCard:
    """The review card of the conversation an enquiry belongs to, as the database has it.

    Raises:
        NotFoundError: No enquiry has this id.
    """
    async with desk.db.unit_of_work() as uow:
        enquiry = await load_enquiry(uow, enquiry_id)
        return await load_card(uow, conversation_of(enquiry), desk.catalog)


async def card_of_draft(desk: Desk, draft_id: str) -> ReviewCard:
    """The review card of a draft's conversation (for modals opened from a card).

    Raises:
        NotFoundError: No draft has this id.
    """
    async with desk.db.unit_of_work() as uow:
        draft = await uow.drafts.get(draft_id)
        if draft is None:
            raise NotFoundError(f"draft {draft_id} not found")
        enquiry = await load_enquiry(uow, draft.enquiry_id)
        return await load_card(uow, conversation_of(enquiry), desk.catalog)
