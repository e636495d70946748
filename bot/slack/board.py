"""The Slack review board: posts and updates review cards, thread messages and ephemerals.

The client comes with slack_sdk's retry handlers (rate limits, 500/503, connection resets);
what still fails is translated into our error tree: 429 and 5xx and network trouble are
`TransientError` (the reconciler publishes the card again later), everything else is a
`PermanentError`. Error messages name the method and Slack's error code, never a body.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.crisis.alert import SpikeAlert
from bot.errors import (
    BotError,
    PermanentError,
    RateLimitedError,
    TransientError,
    retry_after_seconds,
)
from bot.ports import CardRef
from bot.review import ReviewCard
from bot.slack.alert_blocks import alert_blocks, alert_text
from bot.slack.blocks import Block, build_review_blocks, fallback_text

log = logging.getLogger(__name__)

# Slack's logical errors (HTTP 200, ok: false) that mean "try again later".
_TRANSIENT_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
_DEFAULT_RETRY_AFTER = 1.0
# Cards carry this message metadata with their conversation id, so a card whose posting was
# not recorded (a crash right after chat.postMessage) is found instead of posted twice.
CARD_EVENT_TYPE = "replydesk_card"
# How many recent review-channel messages a lookup reads; cards are found within seconds.
_HISTORY_LIMIT = 200


def slack_error_code(exc: SlackApiError) -> str:
    """Slack's error code of a failed call (e.g. "channel_not_found")."""
    error = exc.response.get("error") if exc.response is not None else None
    return str(error or "unknown_error")


def map_slack_error(exc: Exception, method: str) -> BotError:
    """Map a slack_sdk or network failure of `method` to our error tree.

    Args:
        exc: What the client raised (after its own retry handlers gave up).
        method: The Web API method, for the message.

    Returns:
        `RateLimitedError` for 429, `TransientError` for 5xx and network failures,
        `PermanentError` otherwise.
    """
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code if exc.response is not None else 0
        code = slack_error_code(exc)
        if status == 429:
            return RateLimitedError(f"Slack {method}: rate limited", _retry_after(exc))
        if status >= 500 or code in _TRANSIENT_CODES:
            return TransientError(f"Slack {method}: {code} (HTTP {status})")
        return PermanentError(f"Slack {method}: {code}")
    if isinstance(exc, ClientError | TimeoutError | OSError):
        return TransientError(f"Slack {method}: {type(exc).__name__}")
    return PermanentError(f"Slack {method}: {type(exc).__name__}")


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers if exc.response is not None else {}
    wait = retry_after_seconds(headers)
    return _DEFAULT_RETRY_AFTER if wait is None else wait


class SlackReviewBoard:
    """Review cards in one Slack channel; implements `bot.ports.ReviewBoard`."""

    def __init__(
        self, client: AsyncWebClient, channel: str, alert_channel: str | None = None
    ) -> None:
        """Keep the client, the review channel id (C…) and where the leads' alerts go."""
        self.client = client
        self.channel = channel
        self.alert_channel = alert_channel or channel

    async def post_alert(self, alert: SpikeAlert, existing: CardRef | None) -> CardRef:
        """Post the leads' spike alert, or update it in place.

        Raises:
            TransientError: Slack is unreachable or rate limits us; the alert is retried.
            PermanentError: Slack refused it (e.g. the alert channel does not exist).
        """
        blocks, text = alert_blocks(alert), alert_text(alert)
        try:
            if existing is not None:
                await self.client.chat_update(
                    channel=existing.channel, ts=existing.ts, text=text, blocks=blocks
                )
                return existing
            response = await self.client.chat_postMessage(
                channel=self.alert_channel, text=text, blocks=blocks
            )
        except (SlackApiError, ClientError, TimeoutError, OSError) as exc:
            raise map_slack_error(exc, "chat.postMessage") from exc
        return CardRef(str(response["channel"]), str(response["ts"]))

    async def publish(self, card: ReviewCard, existing: CardRef | None) -> CardRef:
        """Post the card, or update it in place; a card deleted in Slack is posted again.

        Raises:
            TransientError: Slack is unreachable or rate limits us; publishing is retried.
            PermanentError: Slack refused the card (e.g. the channel does not exist).
        """
        blocks = build_review_blocks(card)
        text = fallback_text(card)
        if existing is not None:
            try:
                await self.client.chat_update(
                    channel=existing.channel, ts=existing.ts, text=text, blocks=blocks
                )
            except SlackApiError as exc:
                if slack_error_code(exc) != "message_not_found":
                    raise map_slack_error(exc, "chat.update") from exc
                log.warning("card %s was deleted in Slack; posting it again", card.conversation_id)
            except (ClientError, TimeoutError, OSError) as exc:
                raise map_slack_error(exc, "chat.update") from exc
            else:
                return existing
        return await self._post(text, blocks, card.conversation_id)

    async def find_card(self, conversation_id: str) -> CardRef | None:
        """Find a card posted for the conversation by its message metadata.

        Publishing records the card after posting it; a crash in between must not lead to
        a second card, so the next publisher looks in the review channel's recent history.

        Raises:
            TransientError: Slack is unreachable or rate limits us.
            PermanentError: Slack refused the lookup (e.g. missing channels:history scope).
        """
        try:
            response = await self.client.conversations_history(
                channel=self.channel, include_all_metadata=True, limit=_HISTORY_LIMIT
            )
        except (SlackApiError, ClientError, TimeoutError, OSError) as exc:
            raise map_slack_error(exc, "conversations.history") from exc
        messages = response.get("messages") or []
        for message in messages:
            metadata = message.get("metadata") if isinstance(message, dict) else None
            if not isinstance(metadata, dict) or metadata.get("event_type") != CARD_EVENT_TYPE:
                continue
            payload = metadata.get("event_payload")
            if isinstance(payload, dict) and payload.get("conversation_id") == conversation_id:
                return CardRef(self.channel, str(message.get("ts")))
        return None

    async def post_in_thread(self, ref: CardRef, text: str) -> None:
        """Add a message to the card's thread (replaced drafts, escalations)."""
        try:
            await self.client.chat_postMessage(channel=ref.channel, thread_ts=ref.ts, text=text)
        except (SlackApiError, ClientError, TimeoutError, OSError) as exc:
            raise map_slack_error(exc, "chat.postMessage") from exc

    async def tell(
        self,
        ref: CardRef | None,
        user_id: str,
        text: str,
        blocks: Sequence[Block] | None = None,
    ) -> None:
        """Show `user_id` an ephemeral message next to the card (or in the review channel)."""
        channel = ref.channel if ref is not None else self.channel
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=user_id, text=text, blocks=blocks
            )
        except (SlackApiError, ClientError, TimeoutError, OSError) as exc:
            raise map_slack_error(exc, "chat.postEphemeral") from exc

    async def _post(self, text: str, blocks: list[Block], conversation_id: str) -> CardRef:
        metadata = {
            "event_type": CARD_EVENT_TYPE,
            "event_payload": {"conversation_id": conversation_id},
        }
        try:
            response = await self.client.chat_postMessage(
                channel=self.channel, text=text, blocks=blocks, metadata=metadata
            )
        except (SlackApiError, ClientError, TimeoutError, OSError) as exc:
            raise map_slack_error(exc, "chat.postMessage") from exc
        return CardRef(str(response["channel"]), str(response["ts"]))
