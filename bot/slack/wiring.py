"""Builds the Slack side of the service from settings (stub until the Slack adapter lands)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.routing import BaseRoute

from bot.models import Channel
from bot.ports import BackgroundJob, CardRef, ReplySender, ReviewBoard
from bot.review import ReviewCard
from bot.services import Desk
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class SlackIntegration:
    """What Slack contributes: the review board, the `slack` reply sender, routes and jobs."""

    board: ReviewBoard
    senders: dict[Channel, ReplySender] = field(default_factory=dict)
    routes: Callable[[Desk], list[BaseRoute]] = lambda desk: []
    background: Callable[[Desk], list[BackgroundJob]] = lambda desk: []
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


class LoggingBoard:
    """The board when Slack is not configured: cards go to the log, nobody can approve."""

    async def publish(self, card: ReviewCard, existing: CardRef | None) -> CardRef:
        """Log the card's status."""
        log.info("card %s: %s", card.conversation_id, card.status.value)
        return existing or CardRef("log", card.conversation_id)

    async def post_in_thread(self, ref: CardRef, text: str) -> None:
        """Log that a thread message would be posted."""
        log.info("card %s: thread message", ref.ts)

    async def tell(self, ref: CardRef | None, user_id: str, text: str) -> None:
        """Log that a user would be told something."""
        log.info("would tell %s", user_id)


def build_slack(settings: Settings) -> SlackIntegration:
    """Create the Slack integration, or a logging board when no bot token is set."""
    return SlackIntegration(board=LoggingBoard())
