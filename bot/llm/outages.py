"""What an unreachable or refusing language-model server means for ReplyDesk.

The openai client (under LangChain) already retries timeouts, 408/409/429 and 5xx with
backoff and honours Retry-After. What is still failing afterwards is mapped here onto our
error tree, so callers decide without knowing openai's exceptions:

    openai error                                   ReplyDesk error
    APITimeoutError, APIConnectionError            TransientError
    RateLimitError (429)                           RateLimitedError (Retry-After sent)
                                                   or TransientError (none sent)
    InternalServerError (5xx), 408, 409            TransientError
    anything else (400, 401, 403, 404, 422, ...)   PermanentError
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import replace

import openai

from bot.drafting import Drafter, DraftReply, DraftRequest
from bot.errors import BotError, PermanentError, RateLimitedError, TransientError
from bot.settings import LlmOutageMode

LLM_UNAVAILABLE = "llm_unavailable"
OFFLINE_FALLBACK = "offline-fallback"
_TOO_MANY_REQUESTS = 429
_SERVER_ERRORS = 500
_RETRYABLE_STATUS = frozenset({408, 409})


def map_openai_error(error: openai.APIError) -> BotError:
    """Translate an openai exception (after its own retries) into a ReplyDesk error.

    The message names the status only: server error texts may echo what we sent.
    """
    if isinstance(error, openai.APIConnectionError):  # includes APITimeoutError
        kind = "timed out" if isinstance(error, openai.APITimeoutError) else "is unreachable"
        return TransientError(f"the language model server {kind}")
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        message = f"the language model server answered HTTP {status}"
        if status == _TOO_MANY_REQUESTS:
            wait = retry_after_seconds(error.response.headers)
            return TransientError(message) if wait is None else RateLimitedError(message, wait)
        if status >= _SERVER_ERRORS or status in _RETRYABLE_STATUS:
            return TransientError(message)
        return PermanentError(f"{message}; check OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL")
    return PermanentError("the language model server's answer could not be used")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Read `retry-after-ms` or `Retry-After` (seconds or an HTTP date), as the client does."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value.strip() else None
        return None if parsed is None else max(parsed.timestamp() - time.time(), 0.0)


async def draft_with_fallback(
    drafter: Drafter, fallback: Drafter, request: DraftRequest, outage_mode: LlmOutageMode
) -> DraftReply:
    """Draft with `drafter`; while its server is down, follow `outage_mode`.

    Args:
        drafter: the language-model drafter.
        fallback: the offline drafter.
        request: the prepared request.
        outage_mode: `delay` re-raises so the enquiry waits ("drafting delayed");
            `offline_draft` returns the offline draft flagged `llm_unavailable`.

    Raises:
        TransientError: the server is unreachable and `outage_mode` is `delay`.
        PermanentError: the server refused the request (key, model, bad request).
    """
    try:
        return await drafter.draft(request)
    except TransientError:
        if outage_mode is LlmOutageMode.DELAY:
            raise
    reply = await fallback.draft(request)
    return replace(reply, flags=(*reply.flags, LLM_UNAVAILABLE), drafter=OFFLINE_FALLBACK)


class OutageAwareDrafter:
    """A language-model drafter that follows LLM_OUTAGE_MODE while its server is down."""

    def __init__(self, drafter: Drafter, fallback: Drafter, outage_mode: LlmOutageMode) -> None:
        self._drafter = drafter
        self._fallback = fallback
        self._outage_mode = outage_mode

    async def draft(self, request: DraftRequest) -> DraftReply:
        """Draft with the model, or as `draft_with_fallback` says during an outage."""
        return await draft_with_fallback(self._drafter, self._fallback, request, self._outage_mode)
