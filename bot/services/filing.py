"""Filing: every message joins its customer's conversation, once, in arrival order.

Inbound requests only put deliveries in the inbox (one INSERT, then the platform gets its
answer); filing workers take the oldest unfiled deliveries in batches and file each as an
enquiry: into the customer's open conversation or a new one, marking the conversation due
for drafting, and reading how urgent it is (bot/priority), so the most urgent conversations
are drafted, shown and reminded about first. The choice of conversation is made under a
per-customer lock, so two messages of one customer filed at the same moment (by two workers
or replicas) join one conversation. A delivery that cannot be stored (bad data) is marked
rejected with the reason instead of blocking the inbox; a database outage leaves the batch
for the next try.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid

from bot.drafting.pipeline import MAX_DRAFTED_CHARS
from bot.models import Channel, Enquiry, InboundMessage
from bot.observability.metrics import count_enquiries
from bot.priority import assess_priority
from bot.review import current_draft
from bot.services.desk import Desk, Receipt
from bot.storage import DraftingState, InboxEntry, UnitOfWork
from bot.storage.errors import STORAGE_UNAVAILABLE

log = logging.getLogger(__name__)

# How many deliveries one filing transaction takes.
FILING_BATCH = 100

# How far back a customer's open (undecided) conversation is looked for.
_CONVERSATION_MAX_AGE = dt.timedelta(days=7)


async def _open_conversation_for(
    uow: UnitOfWork, channel: Channel, author_key: str, now: dt.datetime, window: dt.timedelta
) -> tuple[str, bool]:
    """Pick the conversation a new message joins, or open one; tell whether it is new.

    A message joins the customer's conversation on the channel while that conversation is
    undecided (the draft is redone to answer everything), or when the conversation's last
    message is less than `window` old even if a reply went out already (a quick follow-up
    stays on the same card and gets a draft of its own).
    """
    latest = await uow.conversations.latest(channel, author_key, now - _CONVERSATION_MAX_AGE)
    if latest is not None:
        conversation_id, last_message_at = latest
        if last_message_at >= now - window:
            return conversation_id, False
        draft = await current_draft(uow, conversation_id)
        if draft is None or await uow.decisions.for_draft(draft.id) is None:
            return conversation_id, False
    return await uow.conversations.open(channel, author_key, at=now), True


async def receive_enquiry(desk: Desk, inbound: InboundMessage) -> Receipt:
    """Store an inbound message once and attach it to the customer's open conversation.

    A repeated delivery (same channel and external id) stores nothing and returns the first
    copy with `is_new=False`.
    """
    async with desk.db.unit_of_work() as uow:
        receipt = await file_message(uow, inbound, desk.clock(), desk.conversation_window)
        await uow.commit()
    if receipt.is_new:
        count_enquiries([inbound.channel])
    return receipt


async def file_inbox(desk: Desk, limit: int = FILING_BATCH) -> int:
    """File the oldest unfiled deliveries of the inbox; return how many were handled.

    Raises:
        Exception: Database trouble (an outage); the batch stays for the next try.
    """
    try:
        async with desk.db.unit_of_work() as uow:
            entries = await uow.inbox.claim_unfiled(limit)
            new = 0
            # Customer by customer (arrival order within each): every filer takes the
            # per-customer locks in the same order, so two batches cannot deadlock.
            for entry in sorted(entries, key=lambda e: (author_key(e.message), e.seq)):
                receipt = await file_message(
                    uow, entry.message, entry.received_at, desk.conversation_window
                )
                new += receipt.is_new
            await uow.inbox.mark_filed([e.seq for e in entries], desk.clock())
            await uow.commit()
    except STORAGE_UNAVAILABLE:  # an outage: the batch stays for the next try
        raise
    except Exception as exc:
        if limit > 1:  # one bad delivery: file the batch one by one to find it
            return sum([await file_inbox(desk, 1) for _ in range(limit)])
        return await _reject_oldest(desk, exc)
    if new:
        desk.drafting_wakeup.set()
    return len(entries)


async def _reject_oldest(desk: Desk, exc: Exception) -> int:
    reason = type(exc).__name__  # never the text: database errors quote customer data
    async with desk.db.unit_of_work() as uow:
        entries: list[InboxEntry] = await uow.inbox.claim_unfiled(1)
        await uow.inbox.mark_filed([e.seq for e in entries], desk.clock(), rejected=reason)
        await uow.commit()
    for entry in entries:
        log.error(  # noqa: TRY400 - a traceback would carry customer text
            "inbox delivery %d (%s %s) rejected: %s",
            entry.seq,
            entry.message.channel.value,
            entry.message.external_id,
            reason,
        )
    return len(entries)


def author_key(inbound: InboundMessage) -> str:
    """Whose conversation a message belongs to: its author, or (none) the message alone."""
    # Hashed, an anonymous message's key fits its column whatever the id's length.
    return (
        inbound.author_id or "anonymous:" + hashlib.sha256(inbound.external_id.encode()).hexdigest()
    )


async def file_message(
    uow: UnitOfWork, inbound: InboundMessage, at: dt.datetime, window: dt.timedelta
) -> Receipt:
    """File one message in the unit of work (the caller commits); repeats change nothing."""
    key = author_key(inbound)
    await uow.conversations.lock_author(inbound.channel, key)
    existing = await uow.enquiries.find(inbound.channel, inbound.external_id)
    if existing is not None:
        return Receipt(existing, False, existing.conversation_id or "")
    conversation_id, opened = await _open_conversation_for(uow, inbound.channel, key, at, window)
    enquiry, is_new = await uow.enquiries.add(
        Enquiry(
            id=uuid.uuid4().hex,
            channel=inbound.channel,
            external_id=inbound.external_id,
            text=inbound.text,
            author_id=key,
            author_name=inbound.author_name,
            language_hint=inbound.language_hint,
            kind=inbound.kind,
            conversation_id=conversation_id,
            reply_target=dict(inbound.reply_target),
            received_at=at,
        )
    )
    if is_new and opened:
        await uow.card_states.open(conversation_id, enquiry.id)
    elif is_new:
        await uow.card_states.set_drafting(conversation_id, DraftingState.PENDING)
    if is_new:
        earlier = 0 if opened else await _unanswered_before(uow, conversation_id, enquiry.id)
        # The drafted part only: a 900 KB post must not hold the filing worker for seconds.
        text = enquiry.text[:MAX_DRAFTED_CHARS]
        priority = assess_priority(text, earlier_unanswered=earlier)
        await uow.priorities.save(enquiry.id, priority.score, priority.to_json(), at)
    return Receipt(enquiry, is_new, enquiry.conversation_id or conversation_id)


async def _unanswered_before(uow: UnitOfWork, conversation_id: str, enquiry_id: str) -> int:
    """How many of the customer's earlier messages in the conversation still wait for a reply."""
    enquiries = await uow.enquiries.in_conversation(conversation_id)
    draft = await current_draft(uow, conversation_id)
    answered = draft is not None and await uow.decisions.for_draft(draft.id) is not None
    answered_at = next(
        (e.received_at for e in enquiries if answered and draft and e.id == draft.enquiry_id),
        None,
    )
    return sum(
        1
        for e in enquiries
        if e.id != enquiry_id and (answered_at is None or e.received_at > answered_at)
    )
