"""Generic receiver for webhook reply_urls, plus ReplyDesk's webhook signing."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from .base import RecordedCall, StandIn
from .wire import Reply

SIGNATURE_HEADER = "X-ReplyDesk-Signature"
TIMESTAMP_HEADER = "X-ReplyDesk-Timestamp"


def _digest(secret: str, body: bytes, timestamp: int | str) -> str:
    # The signed base string is the timestamp, a dot, then the raw body.
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign_generic_body(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Headers for ReplyDesk's generic webhook.

    Args:
        secret: Shared webhook secret.
        body: The exact bytes that will be posted.
        timestamp: Unix seconds, also sent in ``X-ReplyDesk-Timestamp``.

    Returns:
        ``X-ReplyDesk-Signature: sha256=<hex>``, the timestamp and Content-Type.
    """
    return {
        SIGNATURE_HEADER: f"sha256={_digest(secret, body, timestamp)}",
        TIMESTAMP_HEADER: str(timestamp),
        "Content-Type": "application/json",
    }


def verify_generic_signature(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether `headers` carry a valid ReplyDesk signature for `body`.

    Lets tests check that replies our app posts to a reply_url are signed.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not timestamp:
        return False
    return hmac.compare_digest(signature, f"sha256={_digest(secret, body, timestamp)}")


class ReplyReceiver(StandIn):
    """Records POSTs on any path and answers ``200 {"ok": true}``.

    `api_method` is the request path (e.g. ``/replies/42``); script failures
    for every path with ``fail("*", ...)``. Other HTTP verbs get 405.
    """

    def signed_correctly(self, call: RecordedCall, secret: str) -> bool:
        """Whether a recorded call carries a valid ReplyDesk signature."""
        return verify_generic_signature(secret, call.headers, call.body)

    def _api_method(self, http_method: str, path: str) -> str:
        return path

    def _error_reply(self, api_method: str, status: int, headers: dict[str, str]) -> Reply:
        return Reply(
            status=status,
            payload={"ok": False, "error": f"scripted failure {status}"},
            headers=headers,
        )

    def _handle(self, call: RecordedCall) -> Reply:
        if call.method != "POST":
            return Reply(
                status=405,
                payload={"ok": False, "error": "method_not_allowed"},
                headers={"Allow": "POST"},
            )
        return Reply(payload={"ok": True})
