"""Response-time reminders: a card that turns "at risk" gets one reminder in its thread.

Every worker replica runs `remind_due_cards` about every 30 s (`bot.jobs.reminders`). It
reads the undecided cards, works out on the caller's clock where each stands against its
channel's target (business hours and targets from the guidelines' front matter, see
`bot.faq.response_targets`), and claims each crossing in the database with one conditional
UPDATE (`CardStateRepository.claim_crossing`): of several replicas exactly one acts on it,
with no lock in any process.

- The first crossing (at risk, or overdue when nobody looked in time) posts one reminder
  in the card's thread and republishes the card, so its wait label turns.
- Crossing into overdue afterwards republishes the card only; there is no second reminder.

Between crossings the minutes on the label move whenever the card is republished for
another reason; nothing republishes a card just to count minutes (Slack rate limits).
A reminder is posted at most once: a replica dying between claim and post loses it (the
card's label still turns); a Slack outage gives the claim back and the next round retries.
"""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum

from bot.errors import TransientError
from bot.faq.response_targets import ResponseTargets, TargetState
from bot.review import duration_text
from bot.services.cards import card_ref
from bot.services.desk import Desk
from bot.storage.card_states import WaitingCard
from bot.wording import review_wording

log = logging.getLogger(__name__)

# Cards whose first message is older than this crossed every target long ago; not read.
LOOKBACK = dt.timedelta(days=30)


class Crossing(StrEnum):
    """What a card's wait asks for now."""

    NONE = "none"  # on track, or this crossing was handled already
    FIRST = "first"  # turned at risk (or overdue) and nobody was reminded: remind, republish
    OVERDUE = "overdue"  # turned overdue after the reminder: republish only


def crossing_of(card: WaitingCard, targets: ResponseTargets, now: dt.datetime) -> Crossing:
    """Which crossing of its target `card` has reached at `now` and nobody handled yet."""
    state = targets.state(card.channel, card.received_at, now)
    if state is TargetState.ON_TRACK:
        return Crossing.NONE
    if card.reminded_at is None:
        return Crossing.FIRST
    handled = targets.state(card.channel, card.received_at, card.reminded_at)
    if state is TargetState.OVERDUE and handled is not TargetState.OVERDUE:
        return Crossing.OVERDUE
    return Crossing.NONE


def reminder_text(card: WaitingCard, targets: ResponseTargets, now: dt.datetime) -> str:
    """The reminder posted in the card's thread: how long the customer has waited."""
    words = review_wording()
    state = targets.state(card.channel, card.received_at, now)
    template = (
        words.thread_reminder_overdue
        if state is TargetState.OVERDUE
        else words.thread_reminder_at_risk
    )
    target = targets.target_for(card.channel) or 0.0
    return template.format(
        age=duration_text(targets.age(card.received_at, now)), target=duration_text(target)
    )


async def remind_due_cards(desk: Desk) -> int:
    """Remind about and republish every card that crossed its target since the last round.

    Returns:
        How many crossings this call handled (others' claims not counted).
    """
    targets = desk.catalog.response_targets
    if not targets.any:
        return 0
    now = desk.clock()
    async with desk.db.unit_of_work() as uow:
        cards = await uow.card_states.waiting(now - LOOKBACK)
    handled = 0
    for card in cards:
        step = crossing_of(card, targets, now)
        if step is not Crossing.NONE and await _handle(desk, card, step, targets, now):
            handled += 1
    if handled:
        desk.publishing_wakeup.set()
    return handled


async def _handle(
    desk: Desk, card: WaitingCard, step: Crossing, targets: ResponseTargets, now: dt.datetime
) -> bool:
    ref = await card_ref(desk, card.conversation_id)
    if ref is None:
        return False  # the card is not in Slack yet; the next round finds it again
    async with desk.db.unit_of_work() as uow:
        claimed = await uow.card_states.claim_crossing(card.conversation_id, card.reminded_at, now)
        await uow.commit()
    if not claimed or step is not Crossing.FIRST:
        return claimed
    try:
        await desk.board.post_in_thread(ref, reminder_text(card, targets, now))
    except TransientError:
        log.warning("reminder for card %s not posted; trying again", card.conversation_id)
        async with desk.db.unit_of_work() as uow:
            await uow.card_states.release_reminder(card.conversation_id, now)
            await uow.commit()
        return False
    log.info("reminded about card %s (%s)", card.conversation_id, card.channel)
    return True
