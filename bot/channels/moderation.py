"""Hides and shows again customers' public posts on Meta (Graph API) and X (hide replies).

Which post is meant comes from the enquiry's `reply_target` (set by `bot.channels.meta`
and `bot.channels.x`):

- Facebook comment (``kind`` ``comment``): ``POST {graph}/{comment id}`` with
  ``{"is_hidden": true|false}``; Graph answers ``{"success": true}``;
- Instagram comment (``kind`` ``comment``): ``POST {graph}/{comment id}`` with
  ``{"hide": true|false}``; same answer;
- X post (``kind`` ``tweet``): ``PUT {api}/2/tweets/{tweet id}/hidden`` with
  ``{"hidden": true|false}``; X answers ``{"data": {"hidden": true|false}}``. X hides only
  replies in conversations the account started; other posts are refused (403).

Messenger and Instagram messages and X DMs cannot be hidden; Telegram, the generic webhook
and Slack have no moderator at all.

Errors map as for replies (`bot.channels.outbound`) with one difference: hiding twice does
no harm, so a request that got no answer is a `TransientError` that a person may retry,
not an "outcome unknown".
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from pydantic import SecretStr

from bot.channels.meta_sender import map_graph_error
from bot.channels.outbound import ErrorReader, encode_json, map_http_error
from bot.errors import PermanentError, TransientError
from bot.models import Channel

# The reply_target kinds that name a public post (the others are private messages).
_META_COMMENT = "comment"
_X_POST = "tweet"
_CANNOT_SEND = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


class MetaModerator:
    """Hides comments on one Meta channel (construct one for Facebook, one for Instagram).

    Args:
        channel: `Channel.FACEBOOK` or `Channel.INSTAGRAM`.
        client: Shared HTTP client.
        graph_url: Base URL including the version, e.g. ``https://graph.facebook.com/v21.0``.
        page_token: The page access token (needs ``pages_manage_engagement`` on Facebook,
            ``instagram_manage_comments`` on Instagram).
    """

    def __init__(
        self, channel: Channel, client: httpx.AsyncClient, graph_url: str, page_token: SecretStr
    ) -> None:
        if channel not in (Channel.FACEBOOK, Channel.INSTAGRAM):
            raise ValueError(f"{channel.value} is no Meta channel")
        self.channel: Channel = channel
        self._client = client
        self._graph_url = graph_url.rstrip("/")
        self._token = page_token

    async def set_hidden(self, reply_target: dict[str, str], hidden: bool) -> None:
        """Hide (`hidden=True`) or unhide the comment `reply_target` names.

        Raises:
            PermanentError: The target is no comment, or Graph refused (e.g. no permission).
            TransientError: Graph is unreachable, throttles or says to retry.
        """
        comment = _segment(reply_target.get("comment_id"))
        if reply_target.get("kind") != _META_COMMENT or not comment:
            raise PermanentError("only comments can be hidden on Facebook and Instagram")
        field = "is_hidden" if self.channel is Channel.FACEBOOK else "hide"
        response = await _call(
            self._client,
            "POST",
            f"{self._graph_url}/{comment}",
            encode_json({field: hidden}),
            self._token,
            "Graph API",
            map_graph_error,
        )
        if _json(response).get("success") is not True:
            raise PermanentError("Graph API did not confirm the change")


class XModerator:
    """Hides replies on X with a user-context bearer token.

    Args:
        client: Shared HTTP client.
        api_url: Base URL, e.g. ``https://api.x.com``.
        bearer_token: OAuth 2.0 user token with the ``tweet.moderate.write`` scope.
    """

    channel = Channel.X

    def __init__(self, client: httpx.AsyncClient, api_url: str, bearer_token: SecretStr) -> None:
        self._client = client
        self._api_url = api_url.rstrip("/")
        self._token = bearer_token

    async def set_hidden(self, reply_target: dict[str, str], hidden: bool) -> None:
        """Hide (`hidden=True`) or unhide the reply `reply_target` names.

        Raises:
            PermanentError: The target is no post, or X refused (e.g. not our conversation).
            TransientError: X is unreachable, throttles or answers 5xx.
        """
        post = _segment(reply_target.get("tweet_id"))
        if reply_target.get("kind") != _X_POST or not post:
            raise PermanentError("only posts can be hidden on X, not direct messages")
        response = await _call(
            self._client,
            "PUT",
            f"{self._api_url}/2/tweets/{post}/hidden",
            encode_json({"hidden": hidden}),
            self._token,
            "X",
        )
        data = _json(response).get("data")
        if not isinstance(data, dict) or data.get("hidden") is not hidden:
            raise PermanentError("X did not confirm the change")


async def _call(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    body: bytes,
    token: SecretStr,
    platform: str,
    read_error: ErrorReader | None = None,
) -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {token.get_secret_value()}",
        "Content-Type": "application/json",
    }
    try:
        response = await client.request(method, url, content=body, headers=headers)
    except _CANNOT_SEND as exc:
        raise PermanentError(f"{platform}: the post's address is unusable") from exc
    except httpx.TransportError as exc:
        # Hiding an already hidden post changes nothing, so trying again is always safe.
        raise TransientError(f"{platform} unreachable ({type(exc).__name__})") from exc
    error = map_http_error(response, platform, read_error=read_error)
    if type(error) is PermanentError and read_error is None:
        # The generic message speaks of a reply; say what was refused.
        raise PermanentError(f"{platform} refused to change the post: HTTP {response.status_code}")
    if error is not None:
        raise error
    return response


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body: object = response.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _segment(value: str | None) -> str:
    # Ids come from webhooks; quoting keeps a strange one from changing the path.
    return quote(value, safe="") if value else ""
