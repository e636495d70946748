"""Reviewers' decisions: approve, edit, reject, regenerate, escalate, retry a delivery.

Nothing is sent without a recorded approval: an approval writes the decision and the outbox
row in one transaction, keyed by draft, so double clicks, two reviewers and Slack retries
all end in one decision and one delivery.
"""

from __future__ import annotations

import uuid

from bot.errors import NotFoundError
from bot.models import (
    Decision,
    DecisionKind,
    Delivery,
    Draft,
    Enquiry,
)
from bot.observability.metrics import REGENERATED, DeliveryEvent, count_decision, count_delivery
from bot.services.cards import card_ref, publish_card
from bot.services.desk import ActionResult, Desk, Outcome, conversation_of, load_enquiry
from bot.services.intake import draft_conversation
from bot.services.proposals import learn_from_decision
from bot.services.sign_off import sign, sign_off_state
from bot.storage import UnitOfWork
from bot.wording import review_wording


async def approve_draft(
    desk: Desk,
    draft_id: str,
    reviewer: str,
    final_text: str | None = None,
    send_anyway: bool = False,
    publish: bool = True,
) -> ActionResult:
    """Approve a draft (optionally with an edited text) and queue its delivery, once.

    The decision and the outbox row are written in one transaction; a second approval of
    the same draft, from a double click, a retry or another reviewer, finds the first.
    Press, legal threats, safety and crisis posts (`desk.crisis.sign_off_labels`) are only
    signed by the first approval: the second, different person's (one of them a lead)
    sends (`bot.services.sign_off`). With `publish=False` the card is left to the
    publishing queue (a click is answered as soon as the decision is stored).
    """
    async with desk.db.unit_of_work() as uow:
        draft, enquiry, blocked = await _decidable(uow, draft_id)
        if blocked is not None:
            return blocked
        text = (final_text if final_text is not None else draft.text).strip()
        problem = _refusal(desk, draft, enquiry, text, send_anyway)
        if problem is not None:
            return problem
        signing = await sign_off_state(uow, desk.crisis, draft, enquiry)
        if signing.needed:
            await sign(uow, desk.crisis, draft, reviewer, text, desk.clock())
            await uow.card_states.mark_for_publish(conversation_of(enquiry))
            await uow.commit()
    if signing.needed:
        # Read again after the commit: of two people signing at once, the later sees both.
        async with desk.db.unit_of_work() as uow:
            signing = await sign_off_state(uow, desk.crisis, draft, enquiry)
        if not signing.complete_for(text, unedited=text == draft.text.strip()):
            await _show(desk, conversation_of(enquiry), publish)
            return ActionResult(
                Outcome.AWAITING_SIGN_OFF,
                problems=signing.labels,
                conversation_id=enquiry.conversation_id,
            )
    return await _record_approval(desk, draft_id, reviewer, final_text, text, publish)


def _refusal(
    desk: Desk, draft: Draft, enquiry: Enquiry, text: str, send_anyway: bool
) -> ActionResult | None:
    """Why the text may not be approved as it is (empty, too long, stale), or None."""
    limit = desk.catalog.max_length(enquiry.channel)
    if not text or len(text) > limit:
        words = review_wording()
        problem = (
            words.problem_reply_empty
            if not text
            else words.problem_reply_too_long.format(
                length=len(text), channel=enquiry.channel.value, limit=limit
            )
        )
        return ActionResult(
            Outcome.INVALID, problems=(problem,), conversation_id=enquiry.conversation_id
        )
    stale = desk.catalog.stale_citations(draft, desk.clock().date())
    if stale and not send_anyway:
        return ActionResult(
            Outcome.STALE, problems=tuple(stale), conversation_id=enquiry.conversation_id
        )
    return None


async def _record_approval(
    desk: Desk,
    draft_id: str,
    reviewer: str,
    final_text: str | None,
    text: str,
    publish: bool,
) -> ActionResult:
    """Write the decision and the outbox row in one transaction; the first one wins."""
    async with desk.db.unit_of_work() as uow:
        draft, enquiry, blocked = await _decidable(uow, draft_id)
        if blocked is not None:
            return blocked
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
        entries, now = desk.catalog.entries, desk.clock()
        await learn_from_decision(uow, draft, decision, enquiry.text, entries, now)
        await uow.deliveries.enqueue(
            Delivery(
                id=uuid.uuid4().hex,
                draft_id=draft.id,
                channel=enquiry.channel,
                text=text,
                reply_target=enquiry.reply_target,
            )
        )
        await uow.card_states.mark_for_publish(conversation_of(enquiry))
        await uow.commit()
    count_decision(decision.kind, draft.created_at, decision.decided_at)
    count_delivery(DeliveryEvent.QUEUED)
    desk.outbox_wakeup.set()
    await _show(desk, conversation_of(enquiry), publish)
    return ActionResult(Outcome.DONE, decision, conversation_id=enquiry.conversation_id)


async def _show(desk: Desk, conversation_id: str, publish: bool) -> None:
    """Bring the card up to date now, or leave it to the publishing queue."""
    if publish:
        await publish_card(desk, conversation_id)
    else:
        desk.publishing_wakeup.set()


async def reject_draft(
    desk: Desk, draft_id: str, reviewer: str, reason: str, publish: bool = True
) -> ActionResult:
    """Reject a draft with a reason; nothing is sent and the card says why.

    With `publish=False` the card is left to the publishing queue.
    """
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
        await uow.card_states.mark_for_publish(conversation_of(enquiry))
        await uow.commit()
    count_decision(decision.kind, draft.created_at, decision.decided_at)
    if publish:
        await publish_card(desk, conversation_of(enquiry))
    else:
        desk.publishing_wakeup.set()
    return ActionResult(Outcome.DONE, decision, conversation_id=enquiry.conversation_id)


async def regenerate_draft(
    desk: Desk, draft_id: str, hint: str | None, draft_now: bool = True
) -> ActionResult:
    """Replace an undecided draft with a new one, optionally following a reviewer's hint.

    The request is stored first; with `draft_now=False` a drafting worker makes the draft.
    """
    async with desk.db.unit_of_work() as uow:
        draft, enquiry, blocked = await _decidable(uow, draft_id)
        if blocked is not None:
            return blocked
        # Queued first, so the click survives a crash; drafted now unless a worker has it.
        await uow.card_states.request_draft(conversation_of(enquiry), hint)
        await uow.commit()
    count_decision(REGENERATED, draft.created_at, desk.clock())
    if draft_now:
        await draft_conversation(desk, conversation_of(enquiry))
    else:
        desk.drafting_wakeup.set()
    return ActionResult(Outcome.DONE, conversation_id=enquiry.conversation_id)


async def escalate_conversation(
    desk: Desk, draft_id: str, reviewer: str, assignee: str, announce: bool = True
) -> ActionResult:
    """Hand a conversation to a person or group: the card shows the owner, the thread tells them.

    With `announce=False` only the owner is stored; call `announce_escalation` afterwards.
    """
    async with desk.db.unit_of_work() as uow:
        draft = await uow.drafts.get(draft_id)
        if draft is None:
            raise NotFoundError(f"draft {draft_id} not found")
        enquiry = await load_enquiry(uow, draft.enquiry_id)
        await uow.card_states.set_owner(conversation_of(enquiry), assignee)
        await uow.escalations.record(
            conversation_of(enquiry), draft.id, reviewer, assignee, desk.clock()
        )
        await uow.commit()
    count_decision(DecisionKind.ESCALATED, draft.created_at, desk.clock())
    conversation_id = conversation_of(enquiry)
    if announce:
        await announce_escalation(desk, conversation_id, reviewer, assignee)
    return ActionResult(Outcome.DONE, conversation_id=conversation_id)


async def announce_escalation(
    desk: Desk, conversation_id: str, reviewer: str, assignee: str
) -> None:
    """Show the new owner on the card and tell them in its thread."""
    await publish_card(desk, conversation_id)
    ref = await card_ref(desk, conversation_id)
    if ref is not None:
        text = review_wording().thread_escalated.format(assignee=assignee, by=f"<@{reviewer}>")
        await desk.board.post_in_thread(ref, text)


async def retry_delivery(desk: Desk, draft_id: str) -> ActionResult:
    """A person's retry of a failed delivery: back into the outbox, once."""
    async with desk.db.unit_of_work() as uow:
        delivery = await uow.deliveries.for_draft(draft_id)
        draft = await uow.drafts.get(draft_id)
        if delivery is None or draft is None:
            raise NotFoundError(f"no delivery for draft {draft_id}")
        enquiry = await load_enquiry(uow, draft.enquiry_id)
        await uow.deliveries.requeue_failed(delivery.id, now=desk.clock())
        await uow.card_states.mark_for_publish(conversation_of(enquiry))
        await uow.commit()
    count_delivery(DeliveryEvent.QUEUED)
    desk.outbox_wakeup.set()
    await publish_card(desk, conversation_of(enquiry))
    return ActionResult(Outcome.DONE, conversation_id=enquiry.conversation_id)


async def _decidable(uow: UnitOfWork, draft_id: str) -> tuple[Draft, Enquiry, ActionResult | None]:
    draft = await uow.drafts.get(draft_id)
    if draft is None:
        raise NotFoundError(f"draft {draft_id} not found")
    enquiry = await load_enquiry(uow, draft.enquiry_id)
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
