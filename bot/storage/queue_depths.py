"""How much work waits in each database queue: the figures behind `replydesk_queue_depth`.

One count per queue, each on an indexed column: unfiled deliveries in the inbox,
conversations due for a draft (or being drafted), cards behind Slack, and approved replies
not yet sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models import DeliveryState
from bot.storage.card_states import DraftingState
from bot.storage.tables import card_states, deliveries, inbox

_QUEUES = {
    "inbox": sa.select(sa.func.count()).select_from(inbox).where(inbox.c.filed_at.is_(None)),
    "drafting": sa.select(sa.func.count())
    .select_from(card_states)
    .where(card_states.c.drafting.in_([DraftingState.PENDING.value, DraftingState.DELAYED.value])),
    "publishing": sa.select(sa.func.count())
    .select_from(card_states)
    .where(card_states.c.needs_publish.is_(True)),
    "deliveries": sa.select(sa.func.count())
    .select_from(deliveries)
    .where(deliveries.c.state == DeliveryState.QUEUED.value),
}
QUEUES = tuple(_QUEUES)


async def queue_depths(engine: AsyncEngine) -> dict[str, int]:
    """Count the rows waiting in each queue, in one connection.

    Raises:
        Exception: Whatever the database raised.
    """
    async with engine.connect() as conn:
        return {name: (await conn.execute(query)).scalar_one() for name, query in _QUEUES.items()}
