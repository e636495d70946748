"""What a card shows beyond drafts and decisions: urgency, signatures, crisis, moderation.

`load_card` (bot/review.py) reads the conversation; this adds the facts that come from the
priority readings, the sign-off rule, the open spikes and the moderation log, so the card
says why it is urgent, who still has to sign, which spike it belongs to and whether the
post may be (or was) hidden.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from bot.review import (
    WAITING,
    CardModeration,
    CardSignOff,
    CardUrgency,
    ReviewCard,
    load_card,
)
from bot.services.desk import Desk, load_enquiry
from bot.services.moderation import hide_clauses, offers_hide, post_visibility
from bot.services.sign_off import sign_off_state
from bot.storage import UnitOfWork

# An urgency reason shows on the card from this confidence on.
SHOWN_FROM = 0.5


async def full_card(uow: UnitOfWork, desk: Desk, conversation_id: str) -> ReviewCard:
    """The conversation's card with its urgency, signatures, spike and moderation."""
    card = await load_card(uow, conversation_id, desk.catalog, desk.clock())
    ids = [message.enquiry_id for message in card.messages]
    readings = await uow.priorities.readings(ids)
    topics = {topic for enquiry_id in ids for topic in await uow.topics.topics_of(enquiry_id)}
    spikes = await uow.spikes.open_for(topics)
    sign_off = None
    if card.draft is not None and card.status in WAITING:
        enquiry = await load_enquiry(uow, card.draft.enquiry_id)
        state = await sign_off_state(uow, desk.crisis, card.draft, enquiry)
        if state.needed:
            sign_off = CardSignOff(
                labels=state.labels,
                signed=tuple((s.signed_by, s.role.value) for s in state.signers),
                waiting_for=state.waiting_for(),
                statement_lead=state.statement_lead,
            )
    return dataclasses.replace(
        card,
        urgency=most_urgent(readings.values()),
        sign_off=sign_off,
        crisis=spikes[0].label if spikes else None,
        moderation=await _moderation(uow, desk, ids),
    )


async def _moderation(uow: UnitOfWork, desk: Desk, enquiry_ids: list[str]) -> CardModeration | None:
    """The first message that is hidden, or that may be hidden (spam, insult, personal data)."""
    for enquiry_id in enquiry_ids:
        visibility = await post_visibility(uow, enquiry_id)
        if visibility.hidden and visibility.last_done is not None:
            done = visibility.last_done
            return CardModeration(enquiry_id, done.clause, True, done.requested_by)
        enquiry = await load_enquiry(uow, enquiry_id)
        if offers_hide(desk, enquiry):
            clause = hide_clauses(desk.drafting.guidelines, enquiry.text) or ""
            return CardModeration(enquiry_id, clause)
    return None


def most_urgent(readings: Iterable[Mapping[str, object]]) -> CardUrgency | None:
    """The reading with the highest score, when it is urgent or negative; else None."""
    best = max(readings, key=lambda r: _number(r.get("score")), default=None)
    if best is None:
        return None
    raw = best.get("reasons")
    reasons = tuple(
        (str(reason.get("reason")), str(reason.get("cue") or ""))
        for reason in (raw if isinstance(raw, list) else [])
        if isinstance(reason, dict) and _number(reason.get("confidence")) >= SHOWN_FROM
    )
    sentiment = str(best.get("sentiment") or "neutral")
    if not reasons and sentiment != "negative":
        return None
    return CardUrgency(_number(best.get("score")), sentiment, reasons)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
