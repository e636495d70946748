"""Sends approved replies to X: a reply post under the customer's post, or a direct message.

- post: ``POST {api}/2/tweets`` with ``{"text", "reply": {"in_reply_to_tweet_id"}}``;
- DM: ``POST {api}/2/dm_conversations/with/{participant id}/messages`` with ``{"text"}``.

A post may weigh at most 280: approval already refuses replies longer than the guidelines'
280 characters for X, and this sender refuses what X itself would count as longer (links
count 23, CJK and emoji 2), so the card says "failed: too long" instead of X's 400.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from bot.channels.outbound import encode_json, json_member, post_json
from bot.errors import PermanentError
from bot.models import Channel, Delivery

MAX_POST_WEIGHT = 280
_URL_WEIGHT = 23
_URL = re.compile(r"https?://\S+")
# twitter-text v3: code points in these ranges weigh 1, all others 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def post_weight(text: str) -> int:
    """X's weighted length of a post (twitter-text v3, close enough for a guard)."""
    normalized = unicodedata.normalize("NFC", text)
    total = _URL_WEIGHT * len(_URL.findall(normalized))
    for char in _URL.sub("", normalized):
        point = ord(char)
        total += 1 if any(low <= point <= high for low, high in _LIGHT_RANGES) else 2
    return total


class XSender:
    """Replies on X with a user-context bearer token.

    Args:
        client: Shared HTTP client.
        api_url: Base URL, e.g. ``https://api.x.com``.
        bearer_token: OAuth 2.0 user token allowed to post and send DMs.
    """

    channel = Channel.X

    def __init__(self, client: httpx.AsyncClient, api_url: str, bearer_token: SecretStr) -> None:
        self._client = client
        self._api_url = api_url.rstrip("/")
        self._token = bearer_token

    async def send(self, delivery: Delivery) -> str:
        """Post the reply or send the DM; return the post id or DM event id.

        Raises:
            PermanentError: Too long for X, no target, or X refused (e.g. a duplicate post).
            RateLimitedError, TransientError, OutcomeUnknownError: see `outbound.post_json`.
        """
        target = delivery.reply_target
        text = delivery.text
        if target.get("kind") == "dm" and target.get("participant_id"):
            participant = quote(target["participant_id"], safe="")
            path = f"/2/dm_conversations/with/{participant}/messages"
            payload: dict[str, object] = {"text": text}
            answer = ("data", "dm_event_id")
        elif target.get("kind") == "tweet" and target.get("tweet_id"):
            weight = post_weight(text)
            if weight > MAX_POST_WEIGHT:
                raise PermanentError(f"the reply weighs {weight} on X; at most 280 are allowed")
            path = "/2/tweets"
            payload = {"text": text, "reply": {"in_reply_to_tweet_id": target["tweet_id"]}}
            answer = ("data", "id")
        else:
            raise PermanentError("the enquiry has no X post or DM to answer")
        headers = {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            "Content-Type": "application/json",
        }
        response = await post_json(
            self._client, f"{self._api_url}{path}", encode_json(payload), headers, "X"
        )
        # A 2xx means it was posted: never turn that into a failure someone might retry.
        return json_member(response, *answer) or ""
