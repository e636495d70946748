"""Checks Slack once at start-up: is the bot token accepted, can it read the review channel?

A wrong token or channel otherwise shows only later, as cards that never appear. The check
uses `auth.test` and `conversations.history` (a scope the board needs anyway to find its
cards), so it asks for no extra permission.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import PermanentError, TransientError

# Answers that mean the token itself is wrong: no retry will fix them.
_TOKEN_REFUSED = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "not_allowed_token_type",
}
_CHANNEL_ADVICE = {
    "channel_not_found": "does not exist or is private without the app in it",
    "not_in_channel": "does not have the app as a member: invite it with /invite",
    "missing_scope": "cannot be read: add channels:history and groups:history to the app",
}


@dataclass(frozen=True)
class SlackIdentity:
    """Who the bot is in which workspace, for the start-up log."""

    team: str
    user: str
    user_id: str


async def check_slack(client: AsyncWebClient, review_channel: str) -> SlackIdentity:
    """Check the token and the review channel.

    Raises:
        PermanentError: Slack refused the token, or the channel cannot be read; the message
            names the setting to fix.
        TransientError: Slack did not answer.
    """
    try:
        auth = await client.auth_test()
        identity = SlackIdentity(
            team=str(auth.get("team") or ""),
            user=str(auth.get("user") or ""),
            user_id=str(auth.get("user_id") or ""),
        )
        await client.conversations_history(channel=review_channel, limit=1)
    except SlackApiError as error:
        raise _refusal(error, review_channel) from None
    except (ClientError, TimeoutError, OSError) as error:
        raise TransientError(f"Slack did not answer: {error or type(error).__name__}") from None
    return identity


def _refusal(error: SlackApiError, review_channel: str) -> PermanentError | TransientError:
    code = str(error.response.get("error") or "unknown_error")
    if code in _TOKEN_REFUSED:
        return PermanentError(
            f"Slack refused SLACK_BOT_TOKEN ({code}): copy the Bot User OAuth Token "
            "(xoxb-…) from the app's OAuth & Permissions page"
        )
    if code in _CHANNEL_ADVICE:
        return PermanentError(
            f"SLACK_REVIEW_CHANNEL={review_channel} {_CHANNEL_ADVICE[code]} ({code})"
        )
    if code in {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}:
        return TransientError(f"Slack is not answering normally ({code})")
    return PermanentError(f"Slack refused the start-up check ({code})")
