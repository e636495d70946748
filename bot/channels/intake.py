"""Hands inbound messages from every channel to the desk: store now, draft from the queue.

Storing is what the platform's answer depends on: once `accept` returns, the message is in
the database, its conversation is due for drafting, and a repeat of it is recognised by
(channel, external id). Drafting, publishing and delivery run from durable queues in the
database (`bot.jobs`), so a platform is acknowledged in milliseconds whatever the drafting
load, and a crash after the acknowledgement loses nothing: any replica picks the work up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.models import InboundMessage
from bot.services import Desk, Receipt, receive_enquiry

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

    async def accept(self, inbound: InboundMessage) -> Receipt:
        """Store the message once and queue its conversation for drafting.

        Raises:
            Exception: Whatever storing raised; nothing was stored then, and the platform
                should be told to deliver again.
        """
        receipt = await receive_enquiry(self._desk, inbound)
        if receipt.is_new:
            log.info(
                "%s enquiry %s stored (external id %s)",
                inbound.channel.value,
                receipt.enquiry.id,
                inbound.external_id,
            )
            self._desk.drafting_wakeup.set()
        else:
            log.info("%s delivery %s repeated", inbound.channel.value, inbound.external_id)
        return receipt

    async def accept_all(self, messages: Iterable[InboundMessage]) -> IntakeResult:
        """Accept the messages of one platform delivery in order; count new and repeated."""
        new = repeated = 0
        for inbound in messages:
            receipt = await self.accept(inbound)
            new += receipt.is_new
            repeated += not receipt.is_new
        return IntakeResult(new, repeated)
