"""Ports to the outside systems the review loop talks to; adapters implement them.

- `ReviewBoard`: where people review drafts (Slack). It shows a `ReviewCard`.
- `ReplySender`: one per channel; sends an approved reply to the customer.
- `PostModerator`: one per platform that can hide a customer's public post (Meta, X).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Protocol

from bot.crisis.alert import SpikeAlert
from bot.models import Channel, Delivery
from bot.review import ReviewCard

# A long-running job of the service (a worker, a poller): runs until the event is set.
BackgroundJob = Callable[[asyncio.Event], Coroutine[object, object, None]]


@dataclass(frozen=True)
class CardRef:
    """Where a card was posted on the board (Slack channel and message ts)."""

    channel: str
    ts: str


class ReviewBoard(Protocol):
    """Shows review cards to people and talks to them."""

    async def publish(self, card: ReviewCard, existing: CardRef | None) -> CardRef:
        """Post `card`, or update it in place when it was posted before.

        Raises:
            TransientError: the board is unreachable now; publishing is retried later.
        """
        ...

    async def find_card(self, conversation_id: str) -> CardRef | None:
        """Look for a posted card of the conversation (one whose posting was not recorded).

        Raises:
            TransientError: the board is unreachable now.
        """
        ...

    async def post_in_thread(self, ref: CardRef, text: str) -> None:
        """Add a message to the card's thread (history, follow-ups, mentions)."""
        ...

    async def tell(self, ref: CardRef | None, user_id: str, text: str) -> None:
        """Show a message only `user_id` sees (an ephemeral message in Slack)."""
        ...

    async def post_alert(self, alert: SpikeAlert, existing: CardRef | None) -> CardRef:
        """Post the leads' alert about a spike, or update it in place.

        Raises:
            TransientError: the board is unreachable now; the alert is posted later.
        """
        ...


class ReplySender(Protocol):
    """Sends approved replies on one channel."""

    channel: Channel

    async def send(self, delivery: Delivery) -> str:
        """Send the reply and return the platform's id of the sent message.

        Raises:
            RateLimitedError: the platform asked us to wait; retried after `retry_after`.
            TransientError: the platform is unreachable; retried with backoff.
            OutcomeUnknownError: the request may or may not have gone through.
            PermanentError: the platform refused the reply; a person must look.
        """
        ...


class PostModerator(Protocol):
    """Hides or shows again a customer's public post on one channel."""

    channel: Channel

    async def set_hidden(self, reply_target: dict[str, str], hidden: bool) -> None:
        """Hide (`hidden=True`) or unhide the post the enquiry's `reply_target` names.

        Raises:
            TransientError: the platform is unreachable; the action may be retried.
            PermanentError: the platform refused (not hideable, no permission).
        """
        ...
