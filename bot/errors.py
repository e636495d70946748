"""ReplyDesk's exception tree.

    BotError
    ├── TransientError          worth retrying later (outage, rate limit, timeout)
    │   └── RateLimitedError    the other side asked us to wait `retry_after` seconds
    ├── OutcomeUnknownError     a send may or may not have happened: never resend blindly
    └── PermanentError          retrying will not help; park it and tell a person
        ├── KnowledgeError      a knowledge file is broken (names the file)
        ├── InputError          a caller sent something we cannot use
        ├── DuplicateError      this delivery or decision was already recorded
        ├── ConflictError       someone changed it since it was read: reload, then retry
        └── NotFoundError       the id names nothing we know

Messages are safe to show to staff; they never carry customer text or secrets.
`retry_after_seconds` reads a rate-limited answer's wait for every adapter.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping


class BotError(Exception):
    """Root of every error ReplyDesk raises on purpose."""


class TransientError(BotError):
    """A failure that may pass: retry with backoff."""


class RateLimitedError(TransientError):
    """The other side asked us to wait before the next call."""

    def __init__(self, message: str, retry_after: float) -> None:
        """Keep how long to wait, in seconds."""
        super().__init__(message)
        self.retry_after = retry_after


class OutcomeUnknownError(BotError):
    """A send whose result we cannot know (a timeout after the request went out)."""


class PermanentError(BotError):
    """A failure that retrying will not fix."""


class KnowledgeError(PermanentError):
    """A knowledge file could not be used; the message names the file and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        """Keep the file and the problem apart so reports can group them."""
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class InputError(PermanentError):
    """Input from a user or caller that cannot be used as it is."""


class DuplicateError(PermanentError):
    """The same thing was recorded before; the first record wins."""


class ConflictError(PermanentError):
    """What the caller based its change on is outdated; nothing was changed.

    Raised when a knowledge file changed since the editor loaded it, or another editor
    saved a version of the same entry at the same moment. Load it again and redo the change.
    """


class NotFoundError(PermanentError):
    """No record has that id."""


# A wait longer than this is treated as this: a bad header must not park work for days.
MAX_RETRY_AFTER_SECONDS = 3600.0


def retry_after_seconds(
    headers: Mapping[str, str | list[str]], now: float | None = None
) -> float | None:
    """How long a rate-limited answer asks us to wait, from its headers; None if it says not.

    Reads, in this order: `retry-after-ms` (OpenAI), `Retry-After` in seconds or as an HTTP
    date, and X's `x-rate-limit-reset` (epoch seconds). Header names are matched in any
    case; a malformed value counts as absent. The wait is clamped to 0..1 hour.

    Args:
        headers: the answer's headers (httpx, slack_sdk or a plain mapping).
        now: the current epoch time, for dates; the clock's when omitted.
    """
    values = {name.lower(): _first(value) for name, value in headers.items()}
    current = time.time() if now is None else now
    wait = _number(values.get("retry-after-ms"))
    if wait is not None:
        wait /= 1000
    if wait is None:
        raw = values.get("retry-after", "")
        wait = _number(raw)
        if wait is None and raw:
            wait = _seconds_until(raw, current)
    if wait is None:
        reset = _number(values.get("x-rate-limit-reset"))
        wait = None if reset is None else reset - current
    return None if wait is None else min(max(wait, 0.0), MAX_RETRY_AFTER_SECONDS)


def _first(value: str | list[str]) -> str:
    return (value[0] if value else "") if isinstance(value, list) else value


def _number(value: str | None) -> float | None:
    try:
        number = float(value.strip()) if value else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _seconds_until(http_date: str, now: float) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp() - now
