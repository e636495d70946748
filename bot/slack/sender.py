"""The `slack` reply channel: posts an approved reply in the forwarded message's thread.

An enquiry forwarded from Slack (message shortcut or mention) keeps the channel and the
message ts in `reply_target`; the reply goes into that message's thread. A request that
timed out or lost its connection after it was written may have posted the reply, so it is
reported as "outcome unknown" for a person to check, never retried blindly.
"""

from __future__ import annotations

from aiohttp import ClientConnectionError, ClientConnectorError, ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import OutcomeUnknownError, PermanentError
from bot.models import Channel, Delivery
from bot.slack.blocks import escape
from bot.slack.board import map_slack_error
from bot.wording import review_wording


class SlackReplySender:
    """Sends replies on the `slack` channel; implements `bot.ports.ReplySender`."""

    channel = Channel.SLACK

    def __init__(self, client: AsyncWebClient) -> None:
        """Keep the bot's client (it needs chat:write, and chat:write.public outside members)."""
        self._client = client

    async def send(self, delivery: Delivery) -> str:
        """Post the reply in the thread and return the new message's ts.

        Raises:
            RateLimitedError: Slack asked us to wait (after the client's own retry).
            TransientError: Slack is down or unreachable; nothing was posted.
            OutcomeUnknownError: The request went out but no answer came back.
            PermanentError: Slack refused (e.g. the bot cannot post in that channel).
        """
        channel = delivery.reply_target.get("channel")
        thread_ts = delivery.reply_target.get("thread_ts")
        if not channel:
            # The message becomes the delivery's error, which the card shows to staff.
            raise PermanentError(review_wording().delivery_no_slack_channel)
        try:
            response = await self._client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=escape(delivery.text)
            )
        except SlackApiError as exc:
            raise map_slack_error(exc, "chat.postMessage") from exc
        except ClientConnectorError as exc:  # never connected: certainly not posted
            raise map_slack_error(exc, "chat.postMessage") from exc
        except (TimeoutError, ClientConnectionError) as exc:
            raise OutcomeUnknownError(
                "Slack did not confirm the reply; it may or may not have been posted"
            ) from exc
        except ClientError as exc:
            raise map_slack_error(exc, "chat.postMessage") from exc
        return str(response["ts"])
