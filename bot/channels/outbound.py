"""Posts a reply to a platform's HTTP API and sorts its failures into the outbox's error tree.

The delivery worker retries; this module only says what kind of failure it was:

- the request never left (connection refused, DNS, connect or pool timeout) → TransientError;
- 429 → RateLimitedError, waiting as long as Retry-After (or X's x-rate-limit-reset) says;
- 5xx or 408 → TransientError: the platform says it did not do it;
- no answer after the request was written (read or write timeout, dropped connection) →
  OutcomeUnknownError: the platform may have posted the reply, and none of these APIs takes
  an idempotency key, so sending again could answer the customer twice;
- any other status outside 2xx → PermanentError.

Nothing here retries by itself: the outbox already does, and retrying twice multiplies waits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import httpx

from bot.errors import (
    BotError,
    OutcomeUnknownError,
    PermanentError,
    RateLimitedError,
    TransientError,
    retry_after_seconds,
)

# Reads a platform's error answer; returns the outbox error it means, or None for "go by status".
ErrorReader = Callable[[httpx.Response], BotError | None]

# When a 429 names no wait, this is how long we leave the platform alone.
DEFAULT_RETRY_AFTER_SECONDS = 30.0
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
_CANNOT_SEND = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    platform: str,
    read_error: ErrorReader | None = None,
) -> httpx.Response:
    """POST `body` (JSON bytes) and return a 2xx answer.

    Args:
        client: The sender's HTTP client.
        url: Full URL; never logged, as reply URLs may carry tokens.
        body: The exact bytes to send (signatures are computed over them).
        headers: Authorization, signature and content headers.
        platform: Name used in error messages shown to staff, e.g. "X".
        read_error: Platform-specific reading of an error answer (Graph's error codes).

    Raises:
        RateLimitedError: 429, with the platform's wait.
        TransientError: Not sent, or the platform answered 5xx / 408.
        OutcomeUnknownError: Sent, but no answer came back.
        PermanentError: Any other refusal.
    """
    try:
        response = await client.post(url, content=body, headers=dict(headers))
    except _CANNOT_SEND as exc:
        raise PermanentError(f"{platform}: the reply address is unusable") from exc
    except _NOT_SENT as exc:
        raise TransientError(f"{platform} unreachable ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise OutcomeUnknownError(
            f"{platform} did not answer ({type(exc).__name__}); the reply may have been posted"
        ) from exc
    error = map_http_error(response, platform, read_error=read_error)
    if error is not None:
        raise error
    return response


def map_http_error(
    response: httpx.Response, platform: str, *, read_error: ErrorReader | None = None
) -> BotError | None:
    """The outbox error a non-2xx answer means (None for 2xx).

    Args:
        response: the platform's answer.
        platform: name used in error messages shown to staff.
        read_error: platform-specific reading of an error answer, asked first (not for 429).
    """
    status = response.status_code
    if status < 300:
        return None
    if status != 429 and read_error is not None:
        specific = read_error(response)
        if specific is not None:
            return specific
    if status == 429:
        return RateLimitedError(f"{platform} rate limit", rate_limit_wait(response))
    if status >= 500 or status == 408:
        return TransientError(f"{platform} answered HTTP {status}")
    return PermanentError(f"{platform} refused the reply: HTTP {status}")


def rate_limit_wait(response: httpx.Response, now: float | None = None) -> float:
    """How long a 429 asks us to wait; at least a second, 30 s when it does not say."""
    wait = retry_after_seconds(response.headers, now)
    return DEFAULT_RETRY_AFTER_SECONDS if wait is None else max(wait, 1.0)


def json_member(response: httpx.Response, *path: str) -> str | None:
    """The string at `path` in a JSON answer (e.g. "data", "id"), or None."""
    try:
        value: object = response.json()
    except (ValueError, UnicodeDecodeError):
        return None
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return None
    return str(value) if isinstance(value, str | int) else None


def encode_json(payload: Mapping[str, object]) -> bytes:
    """The compact UTF-8 JSON bytes we post; non-ASCII text is sent as is, not escaped."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
