"""Fake X API v2 (posts, DMs, hiding replies) plus X webhook signing helpers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import time
import unicodedata

from .base import RecordedCall, StandIn
from .wire import JSONObject, Reply

OWN_USER_ID = "1500000000000000001"
MAX_WEIGHTED_LENGTH = 280
_URL_WEIGHT = 23
# twitter-text v3: these code point ranges weigh 1, everything else 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_URL = re.compile(r"https?://\S+")
_DM_PATH = re.compile(r"^/2/dm_conversations/with/(?P<participant>[^/]+)/messages$")
_HIDE_PATH = re.compile(r"^/2/tweets/(?P<tweet_id>[^/]+)/hidden$")
_TITLES = {
    400: "Invalid Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


def sign_x_body(consumer_secret: str, body: bytes) -> dict[str, str]:
    """Headers of an X webhook POST: ``x-twitter-webhooks-signature: sha256=<base64>``."""
    digest = hmac.new(consumer_secret.encode(), body, hashlib.sha256).digest()
    return {
        "x-twitter-webhooks-signature": f"sha256={base64.b64encode(digest).decode()}",
        "Content-Type": "application/json",
    }


def x_crc_response(consumer_secret: str, crc_token: str) -> dict[str, str]:
    """The body X expects back from a CRC check, to compare with our app's answer."""
    digest = hmac.new(consumer_secret.encode(), crc_token.encode(), hashlib.sha256).digest()
    return {"response_token": f"sha256={base64.b64encode(digest).decode()}"}


def weighted_length(text: str) -> int:
    """Approximate X's post length: URLs count 23, CJK and emoji count 2."""
    text = unicodedata.normalize("NFC", text)
    total = _URL_WEIGHT * len(_URL.findall(text))
    for char in _URL.sub("", text):
        point = ord(char)
        total += 1 if any(low <= point <= high for low, high in _LIGHT_RANGES) else 2
    return total


class XError(Exception):
    """Raised inside handlers to answer with X's problem JSON."""

    def __init__(self, status: int, detail: str, extra: JSONObject | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.body: JSONObject = {
            "title": _TITLES.get(status, "Internal Server Error"),
            "detail": detail,
            "type": "about:blank",
            "status": status,
            **(extra or {}),
        }


class XStandIn(StandIn):
    """X API v2 fake: ``POST /2/tweets`` (``tweets``), DMs (``dm_messages``), hide replies.

    Like X, it needs an Authorization header, rejects posts over 280 weighted
    characters (400) and, unless `allow_duplicates`, repeats of an earlier text
    (403) - which is what a retried reply runs into. ``PUT /2/tweets/{id}/hidden``
    (``hide_replies``) with ``{"hidden": true|false}`` answers ``{"data": {"hidden": …}}``;
    posts passed to `not_in_own_conversation` are refused (403), as X hides only replies
    in conversations the account started.

    Args:
        allow_duplicates: Accept a text that was already posted.
    """

    def __init__(self, allow_duplicates: bool = False) -> None:
        super().__init__()
        self.allow_duplicates = allow_duplicates
        self._ids = itertools.count(1)
        self._tweets: list[JSONObject] = []
        self._dms: list[JSONObject] = []
        self._hidden: dict[str, bool] = {}
        self._foreign: set[str] = set()

    def tweets(self) -> list[JSONObject]:
        """Accepted posts: ``{"id", "text", "in_reply_to_tweet_id"}``."""
        with self._lock:
            return list(self._tweets)

    def direct_messages(self) -> list[JSONObject]:
        """Accepted DMs: ``{"participant_id", "text", "dm_event_id"}``."""
        with self._lock:
            return list(self._dms)

    def is_hidden(self, tweet_id: str) -> bool:
        """Whether the reply is hidden now (never touched: visible)."""
        with self._lock:
            return self._hidden.get(tweet_id, False)

    def not_in_own_conversation(self, *tweet_ids: str) -> None:
        """Make hiding these posts fail like X does outside the account's conversations."""
        with self._lock:
            self._foreign.update(tweet_ids)

    def reset(self) -> None:
        """Forget calls, scripts, posts, DMs and hidden replies."""
        super().reset()
        with self._lock:
            self._tweets.clear()
            self._dms.clear()
            self._hidden.clear()
            self._foreign.clear()

    def _api_method(self, http_method: str, path: str) -> str:
        if path.rstrip("/") == "/2/tweets":
            return "tweets"
        if _HIDE_PATH.match(path):
            return "hide_replies"
        return "dm_messages" if _DM_PATH.match(path) else path

    def _error_reply(self, api_method: str, status: int, headers: dict[str, str]) -> Reply:
        if status == 429:  # X announces the window end rather than a Retry-After
            reset = str(int(time.time()) + int(headers.get("Retry-After", "1")))
            headers = {
                "x-rate-limit-limit": "100",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": reset,
                **headers,
            }
        return Reply(
            status=status,
            payload=XError(status, _TITLES.get(status, "Error")).body,
            headers=headers,
        )

    def _handle(self, call: RecordedCall) -> Reply:
        try:
            if not call.headers.get("authorization"):
                raise XError(401, "Unauthorized")
            if call.method == "POST" and call.api_method == "tweets":
                payload = self._post(call.params)
            elif call.method == "POST" and call.api_method == "dm_messages":
                match = _DM_PATH.match(call.path)
                payload = self._dm(call.params, match["participant"] if match else "")
            elif call.method == "PUT" and call.api_method == "hide_replies":
                match = _HIDE_PATH.match(call.path)
                payload = self._hide(call.params, match["tweet_id"] if match else "")
                return Reply(status=200, payload={"data": payload})
            else:
                return Reply(status=404, payload=XError(404, "Not Found").body)
        except XError as exc:
            return Reply(status=exc.status, payload=exc.body)
        return Reply(status=201, payload={"data": payload})

    def _post(self, params: JSONObject) -> JSONObject:
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise XError(400, "One or more parameters to your request was invalid.")
        if weighted_length(text) > MAX_WEIGHTED_LENGTH:
            problem = {"parameters": {"text": [text]}, "message": "Post text is too long."}
            raise XError(
                400, "One or more parameters to your request was invalid.", {"errors": [problem]}
            )
        reply = params.get("reply")
        in_reply_to = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        with self._lock:
            if not self.allow_duplicates and any(t["text"] == text for t in self._tweets):
                raise XError(403, "You are not allowed to create a Tweet with duplicate content.")
            tweet_id = str(1_800_000_000_000_000_000 + next(self._ids))
            self._tweets.append({"id": tweet_id, "text": text, "in_reply_to_tweet_id": in_reply_to})
        return {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}

    def _hide(self, params: JSONObject, tweet_id: str) -> JSONObject:
        hidden = params.get("hidden")
        if not isinstance(hidden, bool):
            raise XError(400, "One or more parameters to your request was invalid.")
        with self._lock:
            if tweet_id in self._foreign:
                raise XError(
                    403, "You cannot hide or unhide replies to a conversation you do not own."
                )
            self._hidden[tweet_id] = hidden
        return {"hidden": hidden}

    def _dm(self, params: JSONObject, participant_id: str) -> JSONObject:
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise XError(400, "One or more parameters to your request was invalid.")
        with self._lock:
            event_id = str(1_900_000_000_000_000_000 + next(self._ids))
            self._dms.append(
                {"participant_id": participant_id, "text": text, "dm_event_id": event_id}
            )
        low, high = sorted((OWN_USER_ID, participant_id), key=lambda i: (len(i), i))
        return {"dm_conversation_id": f"{low}-{high}", "dm_event_id": event_id}
