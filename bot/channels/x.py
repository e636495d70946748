"""X (Account Activity) webhooks: mentions and direct messages become enquiries.

``GET /webhooks/x?crc_token=…`` answers X's challenge-response check with
``{"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))}``.
``POST /webhooks/x`` must carry ``x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256
(consumer secret, raw body)>``. X signs no timestamp; replays are stopped by deduplication
on the post id or DM event id.

From ``tweet_create_events`` only posts that mention or reply to the subscribed account
count; its own posts and retweets are skipped. From ``direct_message_events`` only
``message_create`` events sent by someone else count.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.intake import Intake
from bot.channels.webhooks import (
    RejectedRequest,
    accepted,
    guarded,
    hmac_sha256,
    member,
    members,
    parse_json_object,
    read_body,
    require_signature,
    storable_messages,
    text_of,
)
from bot.models import Channel, InboundMessage

PATH = "/webhooks/x"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
_LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")
# X's "lang" for posts without language ("und") or without words ("zxx") is no hint.
_NO_LANGUAGE = frozenset({"und", "zxx", "qme", "qht", "art"})
_MAX_CRC_TOKEN = 1024


def crc_response_token(consumer_secret: str, crc_token: str) -> str:
    """The ``sha256=<base64>`` answer to X's CRC check."""
    return "sha256=" + base64.b64encode(hmac_sha256(consumer_secret, crc_token.encode())).decode()


def parse_x(payload: Mapping[str, object]) -> list[InboundMessage]:
    """The enquiries in one signed X delivery, in order; everything else is skipped."""
    own = text_of(payload, "for_user_id")
    return [*_mentions(payload, own), *_direct_messages(payload, own)]


def _mentions(payload: Mapping[str, object], own: str | None) -> Iterator[InboundMessage]:
    for post in members(payload, "tweet_create_events"):
        post_id = text_of(post, "id_str") or text_of(post, "id")
        user = member(post, "user")
        user_id = text_of(user, "id_str") or text_of(user, "id")
        if not post_id or not user_id or user_id == own or "retweeted_status" in post:
            continue
        if own is not None and not _addresses(post, own):
            continue
        full = text_of(member(post, "extended_tweet"), "full_text") or text_of(post, "text")
        text = _LEADING_MENTIONS.sub("", full or "").strip() or (full or "")
        if not text.strip():
            continue
        name = text_of(user, "name") or text_of(user, "screen_name")
        lang = text_of(post, "lang")
        yield InboundMessage(
            channel=Channel.X,
            external_id=post_id,
            text=text,
            author_id=user_id,
            author_name=name or None,
            language_hint=lang[:8] if lang and lang not in _NO_LANGUAGE else None,
            reply_target={"kind": "tweet", "tweet_id": post_id},
        )


def _addresses(post: Mapping[str, object], own: str) -> bool:
    """Whether a post mentions or replies to the subscribed account."""
    if text_of(post, "in_reply_to_user_id_str") == own:
        return True
    mentions = members(member(post, "entities"), "user_mentions")
    return any(text_of(m, "id_str") == own or text_of(m, "id") == own for m in mentions)


def _direct_messages(payload: Mapping[str, object], own: str | None) -> Iterator[InboundMessage]:
    users = member(payload, "users")
    for event in members(payload, "direct_message_events"):
        event_id = text_of(event, "id")
        create = member(event, "message_create")
        sender = text_of(create, "sender_id")
        text = text_of(member(create, "message_data"), "text")
        if event.get("type") != "message_create" or not event_id or not sender or sender == own:
            continue
        if not text or not text.strip():
            continue
        name = text_of(member(users, sender), "name")
        yield InboundMessage(
            channel=Channel.X,
            external_id=event_id,
            text=text,
            author_id=sender,
            author_name=name or None,
            reply_target={"kind": "dm", "participant_id": sender},
        )


class XWebhook:
    """X's CRC GET and signed event POSTs on ``/webhooks/x``.

    Args:
        intake: Where accepted messages go.
        consumer_secret: The app's consumer secret; it signs both the CRC and the events.
    """

    def __init__(self, intake: Intake, consumer_secret: SecretStr) -> None:
        self._intake = intake
        self._secret = consumer_secret

    def routes(self) -> list[BaseRoute]:
        """The CRC and event routes."""
        return [
            Route(PATH, guarded(self._crc), methods=["GET"]),
            Route(PATH, guarded(self._receive), methods=["POST"]),
        ]

    async def _crc(self, request: Request) -> Response:
        token = request.query_params.get("crc_token", "")
        if not token or len(token) > _MAX_CRC_TOKEN:
            raise RejectedRequest(400, "missing crc_token")
        answer = crc_response_token(self._secret.get_secret_value(), token)
        return JSONResponse({"response_token": answer})

    async def _receive(self, request: Request) -> Response:
        body = await read_body(request)
        digest = base64.b64encode(hmac_sha256(self._secret.get_secret_value(), body)).decode()
        require_signature(f"sha256={digest}", request.headers.get(SIGNATURE_HEADER))
        payload = parse_json_object(body)
        result = await self._intake.accept_all(storable_messages(PATH, parse_x(payload)))
        return accepted(result.new, result.repeated)
