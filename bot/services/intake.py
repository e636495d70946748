"""Receiving messages and drafting conversations: store once, draft the whole conversation."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from bot.drafting.fallback import LLM_UNAVAILABLE
from bot.drafting.pipeline import draft_reply
from bot.drafting.port import DraftReply
from bot.errors import TransientError
from bot.models import (
    Draft,
    DraftAction,
    Enquiry,
    EnquiryKind,
    InboundMessage,
    Language,
)
from bot.observability.metrics import count_draft
from bot.review import KnowledgeCatalog, current_draft
from bot.services.cards import post_history, publish_card
from bot.services.crisis_drafts import file_topics, with_statement
from bot.services.desk import Desk, Receipt
from bot.services.filing import receive_enquiry
from bot.services.leases import claim_work, holding
from bot.storage import DraftingQueue, DraftingState, UnitOfWork, WorkClaim

log = logging.getLogger(__name__)


async def _unanswered(
    uow: UnitOfWork, conversation_id: str
) -> tuple[list[Enquiry], Draft | None, bool, list[Enquiry]]:
    """Messages a new draft must answer, the current draft, whether it was decided, and before.

    After a decision only the messages that arrived later need an answer; the earlier ones
    still tell the language of a follow-up too short to tell.
    """
    enquiries = await uow.enquiries.in_conversation(conversation_id)
    current = await current_draft(uow, conversation_id)
    if current is None or await uow.decisions.for_draft(current.id) is None:
        return enquiries, current, False, []
    answered = next((e for e in enquiries if e.id == current.enquiry_id), None)
    if answered is None:
        return [], current, True, enquiries
    later = [e for e in enquiries if e.received_at > answered.received_at]
    return later, current, True, [e for e in enquiries if e not in later]


async def take_in(desk: Desk, inbound: InboundMessage) -> Receipt:
    """Receive a message and, if it is new, draft its conversation now.

    For callers that want the draft at once (the CLI, tests). The service's inbound paths
    only `receive_enquiry` and leave drafting to the workers (`draft_next`).
    """
    receipt = await receive_enquiry(desk, inbound)
    if receipt.is_new:
        await draft_conversation(desk, receipt.conversation_id)
    return receipt


async def draft_conversation(desk: Desk, conversation_id: str) -> Draft | None:
    """Draft the conversation now, unless drafting is not due or another worker holds it.

    Returns:
        The new draft, or None when nothing was due, another worker is drafting (it, or the
        next run, sees every message), the conversation was decided meanwhile, or the
        drafter is unreachable (the card then says "drafting delayed").
    """
    claim = await _claim_drafting(desk, conversation_id)
    return None if claim is None else await _draft_claimed(desk, claim)


async def draft_next(desk: Desk) -> bool:
    """Draft the next conversation that is due (a worker's step); False when none is."""
    claim = await _claim_drafting(desk, None)
    if claim is None:
        return False
    await _draft_claimed(desk, claim)
    return True


def _drafting(uow: UnitOfWork) -> DraftingQueue:
    return uow.drafting


async def _claim_drafting(desk: Desk, conversation_id: str | None) -> WorkClaim | None:
    return await claim_work(desk.db, desk.clock, _drafting, conversation_id)


async def _draft_claimed(desk: Desk, claimed: WorkClaim) -> Draft | None:
    conversation_id = claimed.conversation_id
    async with holding(desk.db, desk.clock, _drafting, claimed, "drafting"):
        draft, replaced = await _redraft(desk, claimed)
    await publish_card(desk, conversation_id)
    if replaced is not None:
        await post_history(desk, conversation_id, replaced)
    return draft


async def _redraft(desk: Desk, claim: WorkClaim) -> tuple[Draft | None, Draft | None]:
    """Make and save the claimed draft; return it and the draft it replaced."""
    conversation_id = claim.conversation_id
    async with desk.db.unit_of_work() as uow:
        pending, previous, decided, earlier = await _unanswered(uow, conversation_id)
    if not pending:
        async with desk.db.unit_of_work() as uow:
            await uow.drafting.release(claim, done=True)
            await uow.commit()
        return None, None
    latest = pending[-1]
    redo = previous.text if previous is not None and not decided else None
    try:
        normal = await _draft(desk, pending, claim.hint, redo, [e.text for e in earlier])
        reply = await with_statement(desk, pending, normal)
    except Exception as exc:
        # Unreachable drafter (or a bug): this conversation waits; the others go on.
        if not isinstance(exc, TransientError):
            log.error("drafting %s failed: %s", conversation_id, type(exc).__name__)  # noqa: TRY400
        async with desk.db.unit_of_work() as uow:
            await uow.drafting.delay(claim, _retry_at(desk, claim.failures))
            await uow.commit()
        return None, None
    async with desk.db.unit_of_work() as uow:
        still_pending, current, decided, _ = await _unanswered(uow, conversation_id)
        # An offline stand-in written while the model was down is replaced once it is back.
        waiting = LLM_UNAVAILABLE in reply.flags
        finished = {e.id for e in still_pending} == {e.id for e in pending} and (
            await uow.drafting.finish(
                claim,
                DraftingState.DELAYED if waiting else DraftingState.DONE,
                not_before=_retry_at(desk, claim.failures) if waiting else None,
            )
        )
        if not finished:
            # A message arrived or a reviewer decided while we drafted: the row stays due
            # and its next run drafts what is unanswered then.
            await uow.rollback()
            await uow.drafting.release(claim)
            await uow.commit()
            return None, None
        revision = len(await uow.drafts.history(latest.id)) + 1
        draft = _to_draft(reply, latest.id, revision, desk.catalog)
        replaced = current if current is not None and not decided else None
        if replaced is not None:
            await uow.drafts.mark_superseded(replaced.id)
        await uow.drafts.add(draft)
        # Counted for spikes by what the normal draft cited, even when it offers a statement.
        await file_topics(uow, pending, normal.citations)
        await uow.commit()
    count_draft(draft, latest.received_at)
    return draft, replaced


def _retry_at(desk: Desk, failures: int) -> dt.datetime:
    """When a delayed draft is tried again: 5 s, 10 s, 20 s … at most 5 minutes."""
    return desk.clock() + dt.timedelta(seconds=min(300, 5 * 2**failures))


async def _draft(
    desk: Desk,
    enquiries: list[Enquiry],
    hint: str | None,
    previous: str | None,
    history: list[str],
) -> DraftReply:
    texts = [e.text for e in enquiries if e.kind is EnquiryKind.TEXT and e.text.strip()]
    first = enquiries[0]
    if not texts:
        # Stickers, photos, voice: nothing to answer from the FAQ; a person decides.
        code = (first.language_hint or "")[:2].lower()
        language = Language(code) if code in {"de", "en"} else Language.DE
        return DraftReply("", language, DraftAction.ESCALATE, 0.0, flags=("non_text_message",))
    return await draft_reply(
        desk.drafting,
        "\n".join(texts),
        first.channel,
        first.author_name,
        first.language_hint,
        hint,
        messages=texts,
        previous_draft=previous if hint else None,
        history=[text for text in history if text.strip()],
    )


def _to_draft(
    reply: DraftReply, enquiry_id: str, revision: int, catalog: KnowledgeCatalog
) -> Draft:
    return Draft(
        id=uuid.uuid4().hex,
        enquiry_id=enquiry_id,
        text=reply.text,
        language=reply.language,
        action=reply.action,
        confidence=reply.confidence,
        citations=reply.citations,
        guideline_clauses=reply.guideline_clauses,
        flags=reply.flags,
        drafter=reply.drafter,
        revision=revision,
        cited_hashes={
            c: (catalog.entries[c] if c in catalog.entries else catalog.replies[c]).content_hash
            for c in reply.citations
            if c in catalog.entries or c in catalog.replies
        },
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        private_followup=reply.private_followup,
    )


async def claim_event(desk: Desk, source: str, event_id: str) -> bool:
    """Record a platform event id; True only the first time, so a retried event runs once.

    Args:
        desk: The desk whose database remembers the event.
        source: Who sent it, e.g. "slack".
        event_id: The platform's id of the event (Slack's `event_id`).
    """
    async with desk.db.unit_of_work() as uow:
        first = await uow.events.first_time(source, event_id)
        await uow.commit()
    return first


async def event_seen(desk: Desk, source: str, event_id: str) -> bool:
    """Whether a platform event was recorded by `claim_event` before."""
    async with desk.db.unit_of_work() as uow:
        return await uow.events.seen(source, event_id)
