"""Meta webhooks: Facebook page comments, Messenger and Instagram messages and comments.

``GET /webhooks/meta`` answers Meta's subscription check (``hub.mode=subscribe``, the verify
token, echo ``hub.challenge``). ``POST /webhooks/meta`` must carry
``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``. Meta signs no
timestamp, so a replayed body is stopped by deduplication (message mid, comment id), not by
a time window.

Which events become enquiries (everything else is acknowledged and ignored, so Meta does
not disable the subscription):

- ``object: page``, ``entry[].messaging[]`` with a ``message`` → Messenger message;
- ``object: instagram``, ``entry[].messaging[]`` with a ``message`` → Instagram message;
- ``object: page``, ``changes[]`` field ``feed``, item ``comment``, verb ``add`` → page comment;
- ``object: instagram``, ``changes[]`` field ``comments`` → Instagram comment.

Our own echoes and comments (sender = the page or account) are skipped.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.intake import Intake
from bot.channels.webhooks import (
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
from bot.models import Channel, EnquiryKind, InboundMessage

PATH = "/webhooks/meta"
SIGNATURE_HEADER = "X-Hub-Signature-256"
_OBJECTS = {"page": Channel.FACEBOOK, "instagram": Channel.INSTAGRAM}
# Attachment types a person should see named on the card; the rest are "other".
_ATTACHMENT_KINDS = {
    "image": (EnquiryKind.PHOTO, "[photo]"),
    "audio": (EnquiryKind.VOICE, "[voice message]"),
    "sticker": (EnquiryKind.STICKER, "[sticker]"),
}


def parse_meta(payload: Mapping[str, object]) -> list[InboundMessage]:
    """The enquiries in one signed Meta delivery, in order; unknown events are skipped."""
    channel = _OBJECTS.get(text_of(payload, "object") or "")
    if channel is None:
        return []
    return list(_enquiries(channel, payload))


def _enquiries(channel: Channel, payload: Mapping[str, object]) -> Iterator[InboundMessage]:
    for entry in members(payload, "entry"):
        account_id = text_of(entry, "id") or ""
        for event in members(entry, "messaging"):
            message = _from_messaging(channel, account_id, event)
            if message is not None:
                yield message
        for change in members(entry, "changes"):
            comment = _from_change(channel, account_id, change)
            if comment is not None:
                yield comment


def _from_messaging(
    channel: Channel, account_id: str, event: Mapping[str, object]
) -> InboundMessage | None:
    sender = text_of(member(event, "sender"), "id")
    message = member(event, "message")
    mid = text_of(message, "mid")
    if not sender or not mid or message.get("is_echo") is True or sender == account_id:
        return None
    text = text_of(message, "text")
    kind, shown = (EnquiryKind.TEXT, text) if text and text.strip() else _attachment(message)
    return InboundMessage(
        channel=channel,
        external_id=mid,
        text=shown,
        author_id=sender,
        kind=kind,
        reply_target={
            "kind": "message",
            "account_id": account_id,
            "recipient_id": sender,
            "message_id": mid,
        },
    )


def _attachment(message: Mapping[str, object]) -> tuple[EnquiryKind, str]:
    attachments = members(message, "attachments")
    if not attachments:
        return EnquiryKind.OTHER, "[message without text]"
    first = attachments[0]
    if text_of(member(first, "payload"), "sticker_id"):
        return EnquiryKind.STICKER, "[sticker]"
    kind = (text_of(first, "type") or "").lower()
    if kind in _ATTACHMENT_KINDS:
        return _ATTACHMENT_KINDS[kind]
    label = "".join(char for char in kind if char.isalnum() or char == "_")[:32] or "unknown"
    return EnquiryKind.OTHER, f"[{label} attachment]"


def _from_change(
    channel: Channel, account_id: str, change: Mapping[str, object]
) -> InboundMessage | None:
    field, value = text_of(change, "field"), member(change, "value")
    author = member(value, "from")
    author_id = text_of(author, "id")
    if channel is Channel.FACEBOOK:
        if field != "feed" or value.get("item") != "comment" or value.get("verb") != "add":
            return None
        comment_id, text = text_of(value, "comment_id"), text_of(value, "message")
        parent, name = text_of(value, "post_id"), text_of(author, "name")
    else:
        if field != "comments":
            return None
        comment_id, text = text_of(value, "id"), text_of(value, "text")
        parent, name = text_of(member(value, "media"), "id"), text_of(author, "username")
    if not comment_id or not author_id or author_id == account_id:
        return None
    kind, shown = EnquiryKind.TEXT, text or ""
    if not shown.strip():
        has_photo = bool(value.get("photo"))
        kind = EnquiryKind.PHOTO if has_photo else EnquiryKind.OTHER
        shown = "[photo]" if has_photo else "[comment without text]"
    return InboundMessage(
        channel=channel,
        external_id=comment_id,
        text=shown,
        author_id=author_id,
        author_name=name or None,
        kind=kind,
        reply_target={
            "kind": "comment",
            "account_id": account_id,
            "comment_id": comment_id,
            "parent_id": parent or "",
            # Public by default; "private" answers by a private reply (see MetaSender).
            "reply_mode": "public",
        },
    )


class MetaWebhook:
    """Meta's verification GET and signed event POSTs on ``/webhooks/meta``.

    Args:
        intake: Where accepted messages go.
        app_secret: Signs event POSTs.
        verify_token: What Meta must send to verify the subscription; None refuses all.
    """

    def __init__(
        self, intake: Intake, app_secret: SecretStr, verify_token: SecretStr | None
    ) -> None:
        self._intake = intake
        self._app_secret = app_secret
        self._verify_token = verify_token

    def routes(self) -> list[BaseRoute]:
        """The verification and event routes."""
        return [
            Route(PATH, self._verify, methods=["GET"]),
            Route(PATH, guarded(self._receive), methods=["POST"]),
        ]

    async def _verify(self, request: Request) -> Response:
        query = request.query_params
        token = query.get("hub.verify_token", "")
        challenge = query.get("hub.challenge", "")
        expected = self._verify_token.get_secret_value() if self._verify_token else ""
        if (
            expected
            and query.get("hub.mode") == "subscribe"
            and challenge
            and hmac.compare_digest(expected.encode(), token.encode())
        ):
            return PlainTextResponse(challenge)
        return JSONResponse({"ok": False, "error": "verification failed"}, status_code=403)

    async def _receive(self, request: Request) -> Response:
        body = await read_body(request)
        digest = hmac_sha256(self._app_secret.get_secret_value(), body).hex()
        require_signature(f"sha256={digest}", request.headers.get(SIGNATURE_HEADER))
        payload = parse_json_object(body)
        result = await self._intake.accept_all(storable_messages(PATH, parse_meta(payload)))
        return accepted(result.new, result.repeated)
