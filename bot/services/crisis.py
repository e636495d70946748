"""One approved statement for many: the lead's approval, the batch approval, the spike's end.

Once a lead approved a spike's holding statement, every card of that topic is drafted again and
offers the statement with the customer's own greeting; reviewers approve each card as usual,
or the lead approves them all in one step: still one decision and one delivery per enquiry,
each recorded as the lead's. When the spike ends, its cards are drafted normally again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.crisis.statement import Statement
from bot.errors import InputError, NotFoundError
from bot.models import Language, Register
from bot.services.crisis_drafts import open_conversations
from bot.services.decisions import approve_draft
from bot.services.desk import Desk, Outcome
from bot.services.sign_off import HOLDING_STATEMENT
from bot.storage.spikes import Spike

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchResult:
    """What a lead's batch approval did."""

    approved: int  # replies queued now, one per enquiry
    skipped: int  # cards that were decided already or do not offer the statement (yet)


async def approve_statement(
    desk: Desk, spike_id: str, lead: str, texts: Mapping[tuple[Language, Register | None], str]
) -> Spike:
    """Store a lead's (edited) statement; every open card of the topic is drafted again.

    Raises:
        InputError: `lead` is no lead, a text is empty, or the spike is over.
        NotFoundError: no such spike.
    """
    if not desk.crisis.is_lead(lead):
        raise InputError("only a comms lead (SLACK_LEADS) may approve a holding statement")
    async with desk.db.unit_of_work() as uow:
        spike = await uow.spikes.get(spike_id)
        if spike is None or spike.statement is None:
            raise NotFoundError(f"spike {spike_id} has no statement")
        statement = Statement.from_json(spike.statement).with_texts(texts)
        if any(not t.text.strip() for t in statement.texts):
            raise InputError("every language and register of the statement needs a text")
        if not await uow.spikes.approve_statement(
            spike_id, statement.to_json(), lead, desk.clock()
        ):
            raise InputError("the spike is over: its cards are drafted normally again")
        for conversation_id in await open_conversations(uow, spike):
            await uow.card_states.request_draft(conversation_id, None)
        approved = await uow.spikes.get(spike_id)
        await uow.commit()
    desk.drafting_wakeup.set()
    return approved or spike


async def approve_batch(desk: Desk, spike_id: str, lead: str) -> BatchResult:
    """Approve every open card of the spike that offers its statement, as `lead`.

    Each card is approved on its own (`approve_draft`): one decision and one delivery per
    enquiry, and a card someone decided meanwhile is left as it is.
    """
    if not desk.crisis.is_lead(lead):
        raise InputError("only a comms lead (SLACK_LEADS) may approve cards in a batch")
    async with desk.db.unit_of_work() as uow:
        spike = await uow.spikes.get(spike_id)
        if spike is None:
            raise NotFoundError(f"spike {spike_id} not found")
        if not spike.statement_approved:
            raise InputError("approve the holding statement first")
        drafts = []
        for conversation_id in await open_conversations(uow, spike):
            draft = await uow.drafts.current_in_conversation(conversation_id)
            if draft is not None and HOLDING_STATEMENT in draft.flags:
                drafts.append(draft.id)
    approved = skipped = 0
    for draft_id in drafts:
        result = await approve_draft(desk, draft_id, lead, publish=False)
        if result.outcome is Outcome.DONE:
            approved += 1
        else:
            skipped += 1
    log.info(
        "spike %s: %d cards approved by lead %s, %d skipped", spike_id, approved, lead, skipped
    )
    return BatchResult(approved, skipped)


async def end_spike(desk: Desk, spike_id: str) -> bool:
    """Close a spike; cards still offering its statement are drafted normally again."""
    async with desk.db.unit_of_work() as uow:
        spike = await uow.spikes.get(spike_id)
        if spike is None or not await uow.spikes.end(spike_id, desk.clock()):
            return False
        for conversation_id in await open_conversations(uow, spike):
            draft = await uow.drafts.current_in_conversation(conversation_id)
            if draft is not None and HOLDING_STATEMENT in draft.flags:
                await uow.card_states.request_draft(conversation_id, None)
        await uow.commit()
    desk.drafting_wakeup.set()
    return True
