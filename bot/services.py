"""Use cases of the review loop: receive, draft, decide, publish. Async functions on ports.

Nothing is sent without a recorded approval: an approval writes the decision and the outbox
row in one transaction, keyed by draft, so double clicks, two reviewers and Slack retries
all end in one decision and one delivery. Network calls never happen inside a transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.drafting import DraftingContext, DraftReply, draft_reply
from bot.errors import NotFoundError, TransientError
from bot.models import (
    Channel,
    Decision,
    DecisionKind,
    Delivery,
    Draft,
    DraftAction,
    Enquiry,
    EnquiryKind,
    Language,
    utc_now,
)
from bot.ports import CardRef, ReviewBoard
from bot.review import KnowledgeCatalog, ReviewCard, current_draft, load_card
from bot.storage import Database, DraftingState, UnitOfWork

# Flag of a draft the offline drafter wrote because the language model was unreachable.
LLM_UNAVAILABLE = "llm_unavailable"

# How far back a customer's open (undecided) conversation is looked for.
_CONVERSATION_MAX_AGE = dt.timedelta(days=7)


@dataclass
class Desk:
    """The ports and settings the use cases run on; built once at start-up."""

    db: Database
    drafting: DraftingContext
    catalog: KnowledgeCatalog
    board: ReviewBoard
    clock: Callable[[], dt.datetime] = utc_now
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    _card_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _draft_locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def card_lock(self, conversation_id: str) -> asyncio.Lock:
        """Serialise publishing of one card so it is never posted twice."""
        return self._card_locks.setdefault(conversation_id, asyncio.Lock())

    def draft_lock(self, conversation_id: str) -> asyncio.Lock:
        """Serialise drafting of one conversation so two runs never race to replace each other."""
        return self._draft_locks.setdefault(conversation_id, asyncio.Lock())


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message as a channel adapter hands it over."""

    channel: Channel
    external_id: str
    text: str
    author_id: str | None = None
    author_name: str | None = None
    language_hint: str | None = None
    kind: EnquiryKind = EnquiryKind.TEXT
    reply_target: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """What happened to an inbound message."""

    enquiry: Enquiry
    is_new: bool
    conversation_id: str


class Outcome(StrEnum):
    """How a reviewer's action ended; the board tells the reviewer the non-DONE ones."""

    DONE = "done"
    ALREADY_DECIDED = "already_decided"
    OUTDATED = "outdated"  # a newer draft replaced this one
    STALE = "stale"  # cited knowledge changed: confirm with "send anyway" or regenerate
    INVALID = "invalid"  # e.g. empty or over-length edited text


@dataclass(frozen=True)
class ActionResult:
    """The outcome of a reviewer's action, with what the board should say."""

    outcome: Outcome
    decision: Decision | None = None
    problems: tuple[str, ...] = ()
    conversation_id: str | None = None


async def receive_enquiry(desk: Desk, inbound: InboundMessage) -> Receipt:
    """Store an inbound message once and attach it to the customer's open conversation.

    A repeated delivery (same channel and external id) stores nothing and returns the first
    copy with `is_new=False`.
    """
    now = desk.clock()
    author_key = inbound.author_id or f"anonymous:{inbound.external_id}"
    async with desk.db.unit_of_work() as uow:
        conversation_id = await _open_conversation_for(uow, inbound.channel, author_key, now)
        enquiry, is_new = await uow.enquiries.add(
            Enquiry(
                id=uuid.uuid4().hex,
                channel=inbound.channel,
                external_id=inbound.external_id,
                text=inbound.text,
                author_id=author_key,
                author_name=inbound.author_name,
                language_hint=inbound.language_hint,
                kind=inbound.kind,
                conversation_id=conversation_id,
                reply_target=dict(inbound.reply_target),
                received_at=now,
            )
        )
        if not is_new:
            # Roll back: a conversation opened for a duplicate must not linger.
            return Receipt(enquiry, False, enquiry.conversation_id or conversation_id)
        await uow.card_states.ensure(conversation_id, enquiry.id)
        await uow.card_states.set_drafting(conversation_id, DraftingState.PENDING)
        await uow.commit()
    return Receipt(enquiry, True, conversation_id)


async def _open_conversation_for(
    uow: UnitOfWork, channel: Channel, author_key: str, now: dt.datetime
) -> str:
    latest = await uow.conversations.find_open(channel, author_key, now - _CONVERSATION_MAX_AGE)
    if latest is not None and await uow.enquiries.in_conversation(latest):
        draft = await current_draft(uow, latest)
        if draft is None or await uow.decisions.for_draft(draft.id) is None:
            return latest  # still undecided: a follow-up joins it and the draft is redone
    return await uow.conversations.open(channel, author_key, at=now)


async def draft_conversation(
    desk: Desk, conversation_id: str, hint: str | None = None, only_if_due: bool = False
) -> Draft | None:
    """Draft (or redraft) the reply to every message of an undecided conversation.

    Args:
        desk: the ports.
        conversation_id: the conversation to draft.
        hint: a reviewer's hint for a regenerated draft.
        only_if_due: draft only if drafting is still pending or delayed once it is this
            run's turn (the reconciler's catch-up must not redo a draft just made).

    Returns:
        The new draft, or None when the conversation was decided meanwhile, nothing was
        due, or the drafter is unreachable (the card then says "drafting delayed").
    """
    async with desk.draft_lock(conversation_id):
        if only_if_due:
            async with desk.db.unit_of_work() as uow:
                state = await uow.card_states.get(conversation_id)
            if state is None or state.drafting is DraftingState.DONE:
                return None
        return await _draft_conversation(desk, conversation_id, hint)


async def _draft_conversation(desk: Desk, conversation_id: str, hint: str | None) -> Draft | None:
    async with desk.db.unit_of_work() as uow:
        enquiries = await uow.enquiries.in_conversation(conversation_id)
        previous = await current_draft(uow, conversation_id)
        if not enquiries or (previous and await uow.decisions.for_draft(previous.id)):
            return None
    latest = enquiries[-1]
    try:
        reply = await _draft(desk, enquiries, hint, previous.text if previous else None)
    except TransientError:
        async with desk.db.unit_of_work() as uow:
            await uow.card_states.set_drafting(conversation_id, DraftingState.DELAYED)
            await uow.commit()
        await publish_card(desk, conversation_id)
        return None
    async with desk.db.unit_of_work() as uow:
        now_known = {e.id for e in await uow.enquiries.in_conversation(conversation_id)}
        if now_known - {e.id for e in enquiries}:
            # A message arrived while we drafted; the run it triggered sees every message,
            # so this narrower draft must not replace that one.
            return None
        current = await current_draft(uow, conversation_id)
        if current and await uow.decisions.for_draft(current.id):
            return None  # a reviewer decided while we drafted; their decision stands
        revision = len(await uow.drafts.history(latest.id)) + 1
        draft = _to_draft(reply, latest.id, revision, desk.catalog)
        if current is not None:
            await uow.drafts.mark_superseded(current.id)
        await uow.drafts.add(draft)
        # An offline stand-in written while the model was down is replaced once it is back.
        waiting = LLM_UNAVAILABLE in reply.flags
        await uow.card_states.set_drafting(
            conversation_id, DraftingState.DELAYED if waiting else DraftingState.DONE
        )
        await uow.commit()
    await publish_card(desk, conversation_id)
    if current is not None:
        await _post_history(desk, conversation_id, current)
    return draft


async def _draft(
    desk: Desk, enquiries: list[Enquiry], hint: str | None, previous: str | None
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
            c: catalog.entries[c].content_hash for c in reply.citations if c in catalog.entries
        },
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
    )


async def approve_draft(
    desk: Desk,
    draft_id: str,
    reviewer: str,
    final_text: str | None = None,
    send_anyway: bool = False,
) -> ActionResult:
    """Approve a draft (optionally with an edited text) and queue its delivery, once.

    The decision and the outbox row are written in one transaction; a second approval of
    the same draft, from a double click, a retry or another reviewer, finds the first.
    """
    async with desk.db.unit_of_work() as uow:
        draft, enquiry, blocked = await _decidable(uow, draft_id)
        if blocked is not None:
            return blocked
        text = (final_text if final_text is not None else draft.text).strip()
        limit = desk.catalog.max_length(enquiry.channel)
        if not text or len(text) > limit:
            problem = (
                "the reply is empty"
                if not text
                else f"the reply has {len(text)} characters; {enquiry.channel.value} allows {limit}"
            )
            return ActionResult(
                Outcome.INVALID, problems=(problem,), conversation_id=enquiry.conversation_id
            )
        stale = desk.catalog.stale_citations(draft, desk.clock().date())
        if stale and not send_anyway:
            return ActionResult(
                Outcome.STALE, problems=tuple(stale), conversation_id=enquiry.conversation_id
            )
        kind = (
            DecisionKind.EDITED
            if final_text is not None and text != draft.text.strip()
            else DecisionKind.APPROVED
        )
        decision, is_new = await uow.decisions.record(
            Decision(
                uuid.uuid4().hex, draft.id, kind, reviewer, final_text=text, decided_at=desk.clock()
            )
        )
        if not is_new:
            return ActionResult(
                Outcome.ALREADY_DECIDED, decision, conversation_id=enquiry.conversation_id
            )
        await uow.deliveries.enqueue(
            Delivery(
                id=uuid.uuid4().hex,
                draft_id=draft.id,
                channel=enquiry.channel,
                text=text,
                reply_target=enquiry.reply_target,
            )
        )
        await uow.card_states.mark_for_publish(_conversation(enquiry))
        await uow.commit()
    desk.outbox_wakeup.set()
    await publish_card(desk, _conversation(enquiry))
    return ActionResult(Outcome.DONE, decision, conversation_id=enquiry.conversation_id)


async def reject_draft(desk: Desk, draft_id: str, reviewer: str, reason: str) -> ActionResult:
    """Reject a draft with a reason; nothing is sent and the card says why."""
    async with desk.db.unit_of_work() as uow:
        draft, enquiry, blocked = await _decidable(uow, draft_id)
        if blocked is not None:
            return blocked
        decision, is_new = await uow.decisions.record(
            Decision(
                uuid.uuid4().hex,
                draft.id,
                DecisionKind.REJECTED,
                reviewer,
                reason=reason,
                decided_at=desk.clock(),
            )
        )
        if not is_new:
            return ActionResult(
                Outcome.ALREADY_DECIDED, decision, conversation_id=enquiry.conversation_id
            )
        await uow.card_states.mark_for_publish(_conversation(enquiry))
        await uow.commit()
    await publish_card(desk, _conversation(enquiry))
    return ActionResult(Outcome.DONE, decision, conversation_id=enquiry.conversation_id)


async def regenerate_draft(desk: Desk, draft_id: str, hint: str | None) -> ActionResult:
    """Replace an undecided draft with a new one, optionally following a reviewer's hint."""
    async with desk.db.unit_of_work() as uow:
        _, enquiry, blocked = await _decidable(uow, draft_id)
        if blocked is not None:
            return blocked
    await draft_conversation(desk, _conversation(enquiry), hint=hint)
    return ActionResult(Outcome.DONE, conversation_id=enquiry.conversation_id)


async def escalate_conversation(
    desk: Desk, draft_id: str, reviewer: str, assignee: str
) -> ActionResult:
    """Hand a conversation to a person or group: the card shows the owner, the thread tells them."""
    async with desk.db.unit_of_work() as uow:
        draft = await uow.drafts.get(draft_id)
        if draft is None:
            raise NotFoundError(f"draft {draft_id} not found")
        enquiry = await _enquiry(uow, draft.enquiry_id)
        await uow.card_states.set_owner(_conversation(enquiry), assignee)
        await uow.commit()
    conversation_id = _conversation(enquiry)
    await publish_card(desk, conversation_id)
    ref = await _card_ref(desk, conversation_id)
    if ref is not None:
        await desk.board.post_in_thread(ref, f"Escalated to {assignee} by <@{reviewer}>.")
    return ActionResult(Outcome.DONE, conversation_id=conversation_id)


async def retry_delivery(desk: Desk, draft_id: str) -> ActionResult:
    """A person's retry of a failed delivery: back into the outbox, once."""
    async with desk.db.unit_of_work() as uow:
        delivery = await uow.deliveries.for_draft(draft_id)
        draft = await uow.drafts.get(draft_id)
        if delivery is None or draft is None:
            raise NotFoundError(f"no delivery for draft {draft_id}")
        enquiry = await _enquiry(uow, draft.enquiry_id)
        await uow.deliveries.requeue_failed(delivery.id, now=desk.clock())
        await uow.card_states.mark_for_publish(_conversation(enquiry))
        await uow.commit()
    desk.outbox_wakeup.set()
    await publish_card(desk, _conversation(enquiry))
    return ActionResult(Outcome.DONE, conversation_id=enquiry.conversation_id)


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


async def _post_history(desk: Desk, conversation_id: str, replaced: Draft) -> None:
    ref = await _card_ref(desk, conversation_id)
    if ref is None:
        return
    try:
        await desk.board.post_in_thread(
            ref, f"Replaced draft (revision {replaced.revision}):\n> {replaced.text}"
        )
    except TransientError:
        return  # history in the thread is a courtesy; the database keeps every revision


async def _card_ref(desk: Desk, conversation_id: str) -> CardRef | None:
    async with desk.db.unit_of_work() as uow:
        state = await uow.card_states.get(conversation_id)
        stored = await uow.cards.get(state.root_enquiry_id) if state else None
    return CardRef(stored.channel, stored.ts) if stored else None


async def _decidable(uow: UnitOfWork, draft_id: str) -> tuple[Draft, Enquiry, ActionResult | None]:
    draft = await uow.drafts.get(draft_id)
    if draft is None:
        raise NotFoundError(f"draft {draft_id} not found")
    enquiry = await _enquiry(uow, draft.enquiry_id)
    decision = await uow.decisions.for_draft(draft.id)
    if decision is not None:
        return (
            draft,
            enquiry,
            ActionResult(
                Outcome.ALREADY_DECIDED, decision, conversation_id=enquiry.conversation_id
            ),
        )
    if await uow.drafts.is_superseded(draft.id) or await _newer_message_than(uow, enquiry):
        # Never send a reply that does not answer what the customer wrote last.
        return (
            draft,
            enquiry,
            ActionResult(Outcome.OUTDATED, conversation_id=enquiry.conversation_id),
        )
    return draft, enquiry, None


async def _newer_message_than(uow: UnitOfWork, enquiry: Enquiry) -> bool:
    if enquiry.conversation_id is None:
        return False
    later = await uow.enquiries.in_conversation(enquiry.conversation_id)
    return any(e.received_at > enquiry.received_at for e in later)


async def _enquiry(uow: UnitOfWork, enquiry_id: str) -> Enquiry:
    enquiry = await uow.enquiries.get(enquiry_id)
    if enquiry is None:
        raise NotFoundError(f"enquiry {enquiry_id} not found")
    return enquiry


def _conversation(enquiry: Enquiry) -> str:
    if enquiry.conversation_id is None:
        raise NotFoundError(f"enquiry {enquiry.id} has no conversation")
    return enquiry.conversation_id


async def take_in(desk: Desk, inbound: InboundMessage) -> Receipt:
    """Receive a message and, if it is new, draft its conversation and publish the card.

    Channel adapters call this (after acknowledging the platform where it wants a quick
    answer). If drafting or publishing fails on an outage, the reconciler finishes the job.
    """
    receipt = await receive_enquiry(desk, inbound)
    if receipt.is_new:
        await draft_conversation(desk, receipt.conversation_id)
    return receipt


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


async def card_of_enquiry(desk: Desk, enquiry_id: str) -> ReviewCard:
    """The review card of the conversation an enquiry belongs to, as the database has it.

    Raises:
        NotFoundError: No enquiry has this id.
    """
    async with desk.db.unit_of_work() as uow:
        enquiry = await _enquiry(uow, enquiry_id)
        return await load_card(uow, _conversation(enquiry), desk.catalog)


async def card_of_draft(desk: Desk, draft_id: str) -> ReviewCard:
    """The review card of a draft's conversation (for modals opened from a card).

    Raises:
        NotFoundError: No draft has this id.
    """
    async with desk.db.unit_of_work() as uow:
        draft = await uow.drafts.get(draft_id)
        if draft is None:
            raise NotFoundError(f"draft {draft_id} not found")
        enquiry = await _enquiry(uow, draft.enquiry_id)
        return await load_card(uow, _conversation(enquiry), desk.catalog)
