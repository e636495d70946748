"""The review board when Slack is not configured: each card goes to the log as text.

Nobody can approve from the log; it shows what a reviewer would read on the card (the same
blocks as in Slack, flattened to lines), so an operator trying ReplyDesk without Slack sees
the drafts, not only their status.
"""

from __future__ import annotations

import logging

from bot.crisis.alert import SpikeAlert
from bot.ports import CardRef
from bot.review import ReviewCard
from bot.slack.alert_blocks import alert_blocks
from bot.slack.blocks import Block, build_review_blocks

log = logging.getLogger("bot.review.card")


class LoggingBoard:
    """Cards go to the log as the text a reviewer would read; nobody can approve."""

    async def publish(self, card: ReviewCard, existing: CardRef | None) -> CardRef:
        """Log the card as text."""
        log.info("card %s\n%s", card.conversation_id, card_as_text(card))
        return existing or CardRef("log", card.conversation_id)

    async def find_card(self, conversation_id: str) -> CardRef | None:
        """The logged card's reference (it is the conversation's id)."""
        return CardRef("log", conversation_id)

    async def post_in_thread(self, ref: CardRef, text: str) -> None:
        """Log the thread message."""
        log.info("card %s: in the thread: %s", ref.ts, text)

    async def tell(self, ref: CardRef | None, user_id: str, text: str) -> None:
        """Log what a user would be told."""
        log.info("would tell %s: %s", user_id, text)

    async def post_alert(self, alert: SpikeAlert, existing: CardRef | None) -> CardRef:
        """Log the leads' spike alert as text."""
        lines = [line for block in alert_blocks(alert) for line in _lines(block)]
        log.warning("spike alert %s\n%s", alert.spike_id, "\n".join(lines))
        return existing or CardRef("log", alert.spike_id)


def card_as_text(card: ReviewCard) -> str:
    """The review card's blocks as plain lines, buttons in brackets."""
    return "\n".join(line for block in build_review_blocks(card) for line in _lines(block))


def _lines(block: Block) -> list[str]:
    kind = block.get("type")
    if kind == "divider":
        return ["----"]
    elements = block.get("elements")
    parts = elements if isinstance(elements, list) else []
    if kind == "actions":
        labels = [_text(element.get("text")) for element in parts if isinstance(element, dict)]
        return ["  ".join(f"[{label}]" for label in labels if label)]
    if kind == "context":
        return [" ".join(_text(element) for element in parts)]
    lines = [_text(block.get("text"))]
    accessory = block.get("accessory")
    if isinstance(accessory, dict) and accessory.get("type") == "button":
        lines.append(f"[{_text(accessory.get('text'))}]")
    return [line for line in lines if line]


def _text(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return str(value) if isinstance(value, str) else ""
