"""Guards every signed inbound endpoint: body size, signature, timestamp, JSON, then storage.

Each endpoint runs the same checks in the same order, so nothing is parsed, let alone stored,
before the signature holds:

1. a body over 1 MB → 413 (`bot.channels.limits.BodyLimit` refuses it for the whole app,
   `read_body` again for a route served without it);
2. a missing or wrong signature → 401 (403 for Telegram's secret token, as Telegram does);
3. where the scheme signs a timestamp: outside ±5 minutes → 401;
4. not a JSON object → 400 with a short message.

After the signature, a platform resends whatever does not get a 2xx, so `guarded` answers
5xx only where a later attempt can succeed (the database is down or busy → 503); a delivery
we can never store gets 200 with ``"stored": false`` and a log line instead.

Unknown paths get Starlette's 404. Answers never echo what was sent, and logs name the
path and the reason, never the body or a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.errors import PermanentError, TransientError
from bot.models import InboundMessage
from bot.storage.errors import STORAGE_UNAVAILABLE, UNSTORABLE

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# Platforms resend a delivery within minutes; a signed request older than this is a replay.
TIMESTAMP_TOLERANCE_SECONDS = 300
# The database keeps external ids and names in this many characters.
MAX_FIELD_LENGTH = 255
# How `guarded` answers a failure after the signature held. The database down or overloaded
# passes: 503, and the platform delivers again. What we cannot store now we never can (a
# value the database refuses, a duplicate we did not expect): retrying would never end.
_TRANSIENT: tuple[type[Exception], ...] = (*STORAGE_UNAVAILABLE, TransientError)
_UNUSABLE: tuple[type[Exception], ...] = (
    *UNSTORABLE,
    ValueError,  # UnicodeError among them
    PermanentError,
)
RETRY_AFTER_SECONDS = 5

Endpoint = Callable[[Request], Awaitable[Response]]


class RejectedRequest(Exception):
    """An inbound request we refuse; `status` and `message` become the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the HTTP status next to the message the caller will see."""
        super().__init__(message)
        self.status = status
        self.message = message


def guarded(endpoint: Endpoint) -> Endpoint:
    """Wrap an endpoint so refusals and failures become JSON answers (see `_TRANSIENT`).

    A `RejectedRequest` → its 4xx; the database down or busy → 503 with Retry-After; input
    we cannot store → 200 ``{"ok": true, "stored": false}``; anything else → 500.

    Usage::

        Route("/webhooks/generic", guarded(handle), methods=["POST"])
    """

    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except RejectedRequest as exc:
            log.info("refused %s %s: %d %s", request.method, request.url.path, exc.status, exc)
            return JSONResponse({"ok": False, "error": exc.message}, status_code=exc.status)
        except Exception as exc:  # the edge: the answer decides whether the platform retries
            return _failure_answer(request, exc)

    return run


def _failure_answer(request: Request, exc: Exception) -> Response:
    # The type only: database errors quote the statement's parameters (customer text).
    where, name = f"{request.method} {request.url.path}", type(exc).__name__
    if isinstance(exc, _TRANSIENT):
        log.warning("deferred %s: %s, asked to retry in %ds", where, name, RETRY_AFTER_SECONDS)
        return JSONResponse(
            {"ok": False, "error": "temporarily unavailable, please retry"},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, _UNUSABLE):
        log.warning("not stored %s: %s", where, name)
        return JSONResponse(
            {"ok": True, "stored": False, "reason": "the delivery holds data we cannot store"}
        )
    log.error("failed %s: %s", where, name)
    return JSONResponse({"ok": False, "error": "not processed, please retry"}, status_code=500)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """Read the raw body, refusing more than `limit` bytes.

    Raises:
        RejectedRequest: 413 when the body is larger than `limit`.
    """
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise RejectedRequest(413, "request body larger than 1 MB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # the server discards the rest once we have answered
            raise RejectedRequest(413, "request body larger than 1 MB")
        chunks.append(chunk)
    return b"".join(chunks)


def hmac_sha256(secret: str, message: bytes) -> bytes:
    """The raw HMAC-SHA256 digest of `message` under `secret`."""
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def require_signature(expected: str, provided: str | None, status: int = 401) -> None:
    """Compare a signature header with the expected value in constant time.

    Args:
        expected: The value a genuine sender puts in the header.
        provided: The header as received, or None when it is missing.
        status: 401 normally; Telegram's convention for its secret token is 403.

    Raises:
        RejectedRequest: The header is missing or does not match.
    """
    # Compare bytes: compare_digest refuses non-ASCII str, and headers may hold anything.
    if not provided or not hmac.compare_digest(expected.encode(), provided.encode()):
        raise RejectedRequest(status, "missing or invalid signature")


def require_fresh(timestamp: str | None, now: float) -> None:
    """Refuse a signed timestamp more than 5 minutes from `now` (Unix seconds).

    Raises:
        RejectedRequest: 401 when the timestamp is missing, not a number or stale.
    """
    if not timestamp or not timestamp.isascii() or not timestamp.isdigit():
        raise RejectedRequest(401, "missing or invalid timestamp")
    if abs(now - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        raise RejectedRequest(401, "timestamp outside the 5-minute window")


def parse_json_object(body: bytes) -> dict[str, object]:
    """Decode a request body that must be a JSON object.

    Raises:
        RejectedRequest: 400 when the body is not JSON or not an object.
    """
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise RejectedRequest(400, "body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise RejectedRequest(400, "body must be a JSON object")
    return value


def member(value: Mapping[str, object], key: str) -> Mapping[str, object]:
    """The object under `key`, or an empty one when it is missing or not an object."""
    found = value.get(key)
    return found if isinstance(found, dict) else {}


def members(value: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    """The objects in the list under `key`; anything else in it is skipped."""
    found = value.get(key)
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def text_of(value: Mapping[str, object], key: str) -> str | None:
    """The string under `key`; platforms send some ids as numbers, so those count too."""
    found = value.get(key)
    if isinstance(found, bool):
        return None
    if isinstance(found, str):
        return found
    return str(found) if isinstance(found, int) else None


def storable_messages(path: str, messages: Iterable[InboundMessage]) -> list[InboundMessage]:
    """The messages whose ids the database can keep; the others are logged and skipped.

    For platforms that resend a refused delivery: a message with an empty id (after
    `bot.models.storable_text`) or one over `MAX_FIELD_LENGTH` can never be stored, and
    cutting the id could make it a repeat of another message.
    """
    usable: list[InboundMessage] = []
    for message in messages:
        if has_storable_ids(message):
            usable.append(message)
        else:
            log.warning(
                "skipped a message on %s: id empty or over %d chars", path, MAX_FIELD_LENGTH
            )
    return usable


def has_storable_ids(message: InboundMessage) -> bool:
    """Whether the external id (and the author id, if any) fit the database."""
    ids = [message.external_id] + ([message.author_id] if message.author_id is not None else [])
    return all(0 < len(value) <= MAX_FIELD_LENGTH for value in ids)


def accepted(new: int, repeated: int) -> JSONResponse:
    """The 200 answer to a processed delivery; repeats are acknowledged so retries stop."""
    return JSONResponse({"ok": True, "new": new, "repeated": repeated})
