"""Publishing review cards: the board follows the database, and catches up after outages."""

from __future__ import annotations

import datetime as dt
import logging

from bot.errors import BotError, NotFoundError, RateLimitedError, TransientError
from bot.models import (
    Draft,
)
from bot.ports import CardRef
from bot.review import ReviewCard
from bot.services.card_facts import full_card
from bot.services.desk import Desk, conversation_of, load_enquiry
from bot.services.leases import claim_work, holding
from bot.storage import PublishingQueue, UnitOfWork, WorkClaim
from bot.wording import review_wording

log = logging.getLogger(__name__)


async def publish_card(desk: Desk, conversation_id: str) -> CardRef | None:
    """Post or update the conversation's card now, unless another worker is publishing it.

    Returns:
        Where the card is, or None when another worker holds it (the card stays due, so
        that worker or the next one shows this change too) or Slack failed (this card
        backs off alone and a publishing worker tries again).
    """
    claim = await _claim_publishing(desk, conversation_id)
    if claim is None:
        desk.publishing_wakeup.set()
        return None
    return await _publish_claimed(desk, claim)


async def publish_next(desk: Desk) -> bool:
    """Publish the next card that is behind (a worker's step); False when none is due."""
    claim = await _claim_publishing(desk, None)
    if claim is None:
        return False
    await _publish_claimed(desk, claim)
    return True


def _publishing(uow: UnitOfWork) -> PublishingQueue:
    return uow.publishing


async def _claim_publishing(desk: Desk, conversation_id: str | None) -> WorkClaim | None:
    return await claim_work(desk.db, desk.clock, _publishing, conversation_id)


async def _publish_claimed(desk: Desk, claimed: WorkClaim) -> CardRef | None:
    try:
        async with holding(desk.db, desk.clock, _publishing, claimed, "card"):
            return await _publish(desk, claimed)
    except Exception as exc:
        wait = _publish_backoff(exc, claimed.failures)
        log.warning(
            "card %s not published (%s); trying again in %.0f s",
            claimed.conversation_id,
            exc if isinstance(exc, BotError) else type(exc).__name__,
            wait,
        )
        async with desk.db.unit_of_work() as uow:
            await uow.publishing.delay(claimed, desk.clock() + dt.timedelta(seconds=wait))
            await uow.commit()
        return None


async def _publish(desk: Desk, claim: WorkClaim) -> CardRef:
    conversation_id = claim.conversation_id
    async with desk.db.unit_of_work() as uow:
        card = await full_card(uow, desk, conversation_id)
        stored = await uow.cards.get(card.root_enquiry_id)
    existing = CardRef(stored.channel, stored.ts) if stored else None
    if existing is None and claim.claims > 1:
        # An earlier claim may have posted the card and died before recording it.
        existing = await desk.board.find_card(conversation_id)
    ref = await desk.board.publish(card, existing)
    async with desk.db.unit_of_work() as uow:
        await uow.cards.save(card.root_enquiry_id, ref.channel, ref.ts)
        caught_up = await uow.publishing.finish(claim)
        await uow.commit()
    if not caught_up:
        # A change (a delivery, a click) came while we held the card and found it leased:
        # a worker shows it now rather than at its next poll.
        desk.publishing_wakeup.set()
    return ref


def _publish_backoff(exc: Exception, failures: int) -> float:
    """Seconds this card waits: as long as a rate limit asks, else 1 s, 2 s … 10 minutes."""
    if isinstance(exc, RateLimitedError):
        return exc.retry_after
    ceiling = 60.0 if isinstance(exc, TransientError) else 600.0
    return float(min(ceiling, 2**failures))


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
        return await full_card(uow, desk, conversation_of(enquiry))


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
        return await full_card(uow, desk, conversation_of(enquiry))
