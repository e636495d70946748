"""The generic signed webhook: any system can post enquiries and receive the approved replies.

Scheme (both directions): ``X-ReplyDesk-Timestamp: <unix seconds>`` and
``X-ReplyDesk-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}." + raw body)>``.
Signing the timestamp with the body lets us refuse replays older than 5 minutes.

Inbound ``POST /webhooks/generic``::

    {"id": "t-1", "channel": "shop-form", "author": {"id": "c-9", "name": "Anna"},
     "text": "Where is my parcel?", "reply_url": "https://partner.example/replies"}

`id` deduplicates (one enquiry per id, however often it arrives); `channel` is the
sender's own label, kept for staff (the enquiry's channel is always ``webhook``); an
optional `language` ("de", "en") is a hint. The approved reply is POSTed to `reply_url`,
signed the same way: ``{"delivery_id", "in_reply_to", "text"}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels.intake import Intake
from bot.channels.outbound import encode_json, json_member, post_json
from bot.channels.webhooks import (
    MAX_FIELD_LENGTH,
    RejectedRequest,
    accepted,
    guarded,
    has_storable_ids,
    hmac_sha256,
    member,
    parse_json_object,
    read_body,
    require_fresh,
    require_signature,
    text_of,
)
from bot.errors import PermanentError
from bot.models import Channel, Delivery, InboundMessage

PATH = "/webhooks/generic"
SIGNATURE_HEADER = "X-ReplyDesk-Signature"
TIMESTAMP_HEADER = "X-ReplyDesk-Timestamp"
_MAX_LABEL_LENGTH = 32


def signature_for(secret: str, body: bytes, timestamp: str) -> str:
    """The ``sha256=<hex>`` signature of `body` sent at `timestamp`."""
    return "sha256=" + hmac_sha256(secret, f"{timestamp}.".encode() + body).hex()


def signed_headers(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Headers that sign `body` for the other side (reply POSTs, tests, partners)."""
    return {
        SIGNATURE_HEADER: signature_for(secret, body, str(timestamp)),
        TIMESTAMP_HEADER: str(timestamp),
        "Content-Type": "application/json",
    }


def parse_generic(payload: Mapping[str, object]) -> InboundMessage:
    """Turn a signed generic payload into an inbound message.

    Fields are checked as `InboundMessage` cleaned them (`bot.models.storable_text`), so an
    id or a text of control characters only counts as missing.

    Raises:
        RejectedRequest: 400 naming the first field that is missing or unusable.
    """
    text, reply_url = payload.get("text"), payload.get("reply_url")
    author = member(payload, "author")
    name, label, language = author.get("name"), payload.get("channel"), payload.get("language")
    inbound = InboundMessage(
        channel=Channel.WEBHOOK,
        external_id=text_of(payload, "id") or "",
        text=text if isinstance(text, str) else "",
        author_id=text_of(author, "id"),
        author_name=name if isinstance(name, str) and name.strip() else None,
        language_hint=language[:_MAX_LABEL_LENGTH] if isinstance(language, str) else None,
        reply_target={
            "reply_url": reply_url if isinstance(reply_url, str) else "",
            "id": text_of(payload, "id") or "",
            "source_channel": label[:_MAX_LABEL_LENGTH] if isinstance(label, str) else "",
        },
    )
    if not 0 < len(inbound.external_id) <= MAX_FIELD_LENGTH:
        raise RejectedRequest(400, "field 'id' must be a non-empty string (at most 255 chars)")
    if not inbound.text.strip():
        raise RejectedRequest(400, "field 'text' must be a non-empty string")
    if not _is_http_url(inbound.reply_target["reply_url"]):
        raise RejectedRequest(400, "field 'reply_url' must be an http(s) URL")
    if not has_storable_ids(inbound):
        raise RejectedRequest(400, "field 'author.id' must be a non-empty string (at most 255)")
    return inbound


class GenericWebhook:
    """``POST /webhooks/generic``: checks the signature and timestamp, then takes the enquiry in.

    Args:
        intake: Where accepted messages go.
        secret: The shared webhook secret.
        now: Unix time for the replay window (the wall clock, not the desk's clock).
    """

    def __init__(
        self, intake: Intake, secret: SecretStr, now: Callable[[], float] = time.time
    ) -> None:
        self._intake = intake
        self._secret = secret
        self._now = now

    def routes(self) -> list[BaseRoute]:
        """The inbound route."""
        return [Route(PATH, guarded(self._receive), methods=["POST"])]

    async def _receive(self, request: Request) -> Response:
        body = await read_body(request)
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        expected = signature_for(self._secret.get_secret_value(), body, timestamp)
        require_signature(expected, request.headers.get(SIGNATURE_HEADER))
        require_fresh(timestamp, self._now())
        inbound = parse_generic(parse_json_object(body))
        result = await self._intake.accept_all([inbound])
        return accepted(result.new, result.repeated)


class GenericSender:
    """Posts approved replies to the enquiry's `reply_url`, signed with the shared secret.

    The delivery id travels in the body and as ``Idempotency-Key``, so a receiver can drop a
    reply it already has if a person decides to send one again.
    """

    channel = Channel.WEBHOOK

    def __init__(
        self, client: httpx.AsyncClient, secret: SecretStr, now: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._secret = secret
        self._now = now

    async def send(self, delivery: Delivery) -> str:
        """POST the reply; return the receiver's id for it, or the delivery id.

        Raises:
            PermanentError: The enquiry has no usable reply_url, or the receiver refused.
            RateLimitedError, TransientError, OutcomeUnknownError: see `outbound.post_json`.
        """
        url = delivery.reply_target.get("reply_url", "")
        if not _is_http_url(url):
            raise PermanentError("the enquiry has no usable reply_url")
        body = encode_json(
            {
                "delivery_id": delivery.id,
                "in_reply_to": delivery.reply_target.get("id"),
                "text": delivery.text,
            }
        )
        headers = signed_headers(self._secret.get_secret_value(), body, int(self._now()))
        headers["Idempotency-Key"] = delivery.id
        response = await post_json(self._client, url, body, headers, "webhook receiver")
        return json_member(response, "id") or delivery.id


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
