"""Sends approved replies to Facebook and Instagram through the Graph API.

Where the reply goes is decided by the enquiry's `reply_target` (set by `bot.channels.meta`):

- a message (Messenger or Instagram DM): ``POST /{page id | me}/messages`` with
  ``{"recipient": {"id"}, "messaging_type": "RESPONSE", "message": {"text"}}``;
- a comment with ``reply_mode`` ``public`` (the default): a public reply under it,
  ``POST /{comment id}/comments`` on Facebook, ``POST /{comment id}/replies`` on Instagram;
- a comment with ``reply_mode`` ``private``: a private reply, i.e. a direct message tied to
  the comment, ``POST /{page id | me}/messages`` with ``{"recipient": {"comment_id"}}``.

The page token travels in the Authorization header, so it never appears in a URL or a log.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from pydantic import SecretStr

from bot.channels.outbound import encode_json, json_member, post_json
from bot.errors import BotError, PermanentError, RateLimitedError, TransientError
from bot.models import Channel, Delivery

# Graph error codes for throttling (app, user, page, custom), which come with HTTP 400/403.
_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
# "Unknown" and "service temporarily unavailable": Meta's own advice is to retry.
_TRANSIENT_CODES = frozenset({1, 2})
# Meta names no wait for throttling; its limits are counted per hour.
_RATE_LIMIT_WAIT_SECONDS = 300.0


class MetaSender:
    """Replies on one Meta channel (construct one for Facebook and one for Instagram).

    Args:
        channel: `Channel.FACEBOOK` or `Channel.INSTAGRAM`.
        client: Shared HTTP client.
        graph_url: Base URL including the version, e.g. ``https://graph.facebook.com/v21.0``.
        page_token: The page access token.
    """

    def __init__(
        self, channel: Channel, client: httpx.AsyncClient, graph_url: str, page_token: SecretStr
    ) -> None:
        self.channel = channel
        self._client = client
        self._graph_url = graph_url.rstrip("/")
        self._token = page_token

    async def send(self, delivery: Delivery) -> str:
        """Send the reply where its target says; return the Graph id of what was posted.

        Raises:
            PermanentError: The target is incomplete, or Graph refused the reply.
            RateLimitedError, TransientError, OutcomeUnknownError: as `outbound.post_json`
                and Graph's error codes say.
        """
        path, payload = self._request(delivery)
        headers = {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            "Content-Type": "application/json",
        }
        body = encode_json(payload)
        response = await post_json(
            self._client, f"{self._graph_url}{path}", body, headers, "Graph API", map_graph_error
        )
        # A 2xx means it was posted: never turn that into a failure someone might retry.
        return json_member(response, "message_id") or json_member(response, "id") or ""

    def _request(self, delivery: Delivery) -> tuple[str, dict[str, object]]:
        target = delivery.reply_target
        sender = _segment(target.get("account_id")) if self.channel is Channel.FACEBOOK else ""
        messages = f"/{sender or 'me'}/messages"
        text = delivery.text
        if target.get("kind") == "message":
            recipient = target.get("recipient_id")
            if not recipient:
                raise PermanentError("the enquiry has no Meta recipient id")
            return messages, {
                "recipient": {"id": recipient},
                "messaging_type": "RESPONSE",
                "message": {"text": text},
            }
        comment = _segment(target.get("comment_id"))
        if target.get("kind") != "comment" or not comment:
            raise PermanentError("the enquiry has no Meta message or comment to answer")
        mode = target.get("reply_mode", "public")
        if mode == "private":
            return messages, {"recipient": {"comment_id": comment}, "message": {"text": text}}
        if mode != "public":
            raise PermanentError(f"unknown reply mode {mode[:20]!r}")
        edge = "comments" if self.channel is Channel.FACEBOOK else "replies"
        return f"/{comment}/{edge}", {"message": text}


def _segment(value: str | None) -> str:
    # Ids come from webhooks; quoting keeps a strange one from changing the path.
    return quote(value, safe="") if value else ""


def map_graph_error(response: httpx.Response) -> BotError | None:
    """The outbox error a Graph error answer means, or None to go by the HTTP status.

    Graph reports throttling with HTTP 400/403 and an error code, and marks some failures
    as transient; the status alone would park those replies as refused.
    """
    try:
        body: object = response.json()
    except (ValueError, UnicodeDecodeError):
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    subcode = error.get("error_subcode")
    label = f"#{code}" + (f"/{subcode}" if subcode else "")
    if code in _RATE_LIMIT_CODES:
        return RateLimitedError(f"Graph API rate limit ({label})", _RATE_LIMIT_WAIT_SECONDS)
    if code in _TRANSIENT_CODES or error.get("is_transient") is True:
        return TransientError(f"Graph API temporary error ({label})")
    if response.status_code >= 500:
        return None  # a server error is worth retrying whatever the code says
    message = error.get("message")
    detail = message[:200] if isinstance(message, str) else "refused"
    return PermanentError(f"Graph API refused the reply ({label}): {detail}")
