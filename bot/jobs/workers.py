"""Catches up on work an outage interrupted: drafts still due and cards Slack has not shown.

Every change is first written to the database; this loop makes the outside world follow.
It is what turns "Slack was down" or "the model was down" into "it arrived later, once".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from bot.services import Desk, draft_conversation, publish_card
from bot.storage import DraftingState

log = logging.getLogger(__name__)


# A conversation pending for less than this is being drafted by the request that received
# it; the reconciler only takes over drafts that stalled (a crash, an outage).
PENDING_GRACE = dt.timedelta(seconds=30)


async def reconcile_once(desk: Desk, pending_grace: dt.timedelta = PENDING_GRACE) -> int:
    """Draft every stalled or delayed conversation, publish every card that is behind.

    Returns:
        How many conversations and cards were handled.
    """
    async with desk.db.unit_of_work() as uow:
        stalled = desk.clock() - pending_grace
        due = [
            *await uow.card_states.with_drafting(DraftingState.PENDING, unchanged_since=stalled),
            *await uow.card_states.with_drafting(DraftingState.DELAYED),
        ]
    for state in due:
        await draft_conversation(desk, state.conversation_id, only_if_due=True)
    async with desk.db.unit_of_work() as uow:
        behind = await uow.card_states.to_publish()
    for state in behind:
        await publish_card(desk, state.conversation_id)
    return len(due) + len(behind)


async def reconcile_forever(desk: Desk, stop: asyncio.Event, interval_seconds: float = 5.0) -> None:
    """Reconcile every `interval_seconds` until `stop` is set."""
    while not stop.is_set():
        try:
            await reconcile_once(desk)
        except Exception:  # an outage must not end the loop that recovers from outages
            log.exception("reconciliation failed; retrying")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            continue
