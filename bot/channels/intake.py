"""Hands inbound messages from every channel to the desk: store now, work from the queues.

Storing is what the platform's answer depends on: once `accept_all` returns, the messages
are in the database (the inbox, one INSERT per delivery), and a repeat is recognised by
(channel, external id). Filing them into conversations, drafting, publishing and delivery
run from durable queues in the database (`bot.jobs`), so a platform is acknowledged in
milliseconds whatever the drafting load, and a crash after the acknowledgement loses
nothing: any replica picks the work up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.models import InboundMessage
from bot.observability.metrics import count_enquiries
from bot.services import Desk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    """How many messages of one platform delivery were new and how many were repeats."""

    new: int = 0
    repeated: int = 0


class Intake:
    """Receives inbound messages for the desk; one per running service."""

    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    async def accept_all(self, messages: Iterable[InboundMessage]) -> IntakeResult:
        """Store the messages of one platform delivery in the inbox; count new and repeated.

        One INSERT: once this returns, every message is in the database and a filing
        worker files it into its conversation.

        Raises:
            Exception: Whatever storing raised; nothing was stored then, and the platform
                should be told to deliver again.
        """
        batch = list(messages)
        if not batch:
            return IntakeResult()
        async with self._desk.db.unit_of_work() as uow:
            new_flags = await uow.inbox.add_all(batch, self._desk.clock())
            await uow.commit()
        count_enquiries(m.channel for m, is_new in zip(batch, new_flags, strict=True) if is_new)
        new = sum(new_flags)
        if new:
            self._desk.filing_wakeup.set()
        log.info(
            "%s delivery stored: %d new, %d repeated (%s)",
            batch[0].channel.value,
            new,
            len(batch) - new,
            ", ".join(m.external_id for m in batch[:5]) + (" …" if len(batch) > 5 else ""),
        )
        return IntakeResult(new, len(batch) - new)
