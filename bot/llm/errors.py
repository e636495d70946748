"""What an unreachable or refusing language-model server means, in ReplyDesk's error tree.

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

import openai

from bot.errors import (
    BotError,
    PermanentError,
    RateLimitedError,
    TransientError,
    retry_after_seconds,
)

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
