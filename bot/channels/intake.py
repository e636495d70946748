"""Hands inbound messages from every channel to the desk: store at once, draft in order.

Storing comes first and is what the platform's answer depends on: once `accept` returns, the
message is in the database, and a repeat of it is recognised by (channel, external id).
Drafting follows, one run at a time per conversation. Two drafting runs of one conversation
racing each other could let the older one (which saw fewer messages) replace the newer one,
leaving a current draft that misses a message of a burst. A run that is already waiting
will read every stored message when it starts, so later arrivals just rely on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.models import InboundMessage
from bot.services import Desk, Receipt, draft_conversation, receive_enquiry

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
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self._waiting: set[str] = set()

    async def accept(self, inbound: InboundMessage) -> Receipt:
        """Store the message once, then (if new) draft its conversation and publish the card.

        Raises:
            Exception: Whatever storing raised; nothing was stored then, and the platform
                should be told to deliver again. Drafting failures are logged instead:
                the reconciler finishes drafts that were left pending.
        """
        receipt = await receive_enquiry(self._desk, inbound)
        if receipt.is_new:
            log.info(
                "%s enquiry %s stored (external id %s)",
                inbound.channel.value,
                receipt.enquiry.id,
                inbound.external_id,
            )
            await self._draft(receipt.conversation_id)
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

    async def _draft(self, conversation_id: str) -> None:
        if conversation_id in self._waiting:
            return  # a run queued behind the current one will read this message too
        self._waiting.add(conversation_id)
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        self._users[conversation_id] = self._users.get(conversation_id, 0) + 1
        started = False
        try:
            async with lock:
                started = True
                self._waiting.discard(conversation_id)
                await draft_conversation(self._desk, conversation_id)
        except Exception as exc:  # the message is stored; the reconciler drafts it later
            # The type only: database errors quote the statement's parameters (customer text).
            log.error(  # noqa: TRY400 - a traceback would carry the exception text
                "drafting conversation %s failed (%s); left to the reconciler",
                conversation_id,
                type(exc).__name__,
            )
        finally:
            if not started:  # cancelled while queued: let the next arrival queue a run
                self._waiting.discard(conversation_id)
            self._users[conversation_id] -= 1
            if self._users[conversation_id] == 0:
                del self._users[conversation_id]
                del self._locks[conversation_id]
