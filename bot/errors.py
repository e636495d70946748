"""ReplyDesk's exception tree.

    BotError
    ├── TransientError          worth retrying later (outage, rate limit, timeout)
    │   └── RateLimitedError    the other side asked us to wait `retry_after` seconds
    ├── OutcomeUnknownError     a send may or may not have happened: never resend blindly
    └── PermanentError          retrying will not help; park it and tell a person
        ├── KnowledgeError      a knowledge file is broken (names the file)
        ├── InputError          a caller sent something we cannot use
        ├── DuplicateError      this delivery or decision was already recorded
        └── NotFoundError       the id names nothing we know

Messages are safe to show to staff; they never carry customer text or secrets.
"""

from __future__ import annotations


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


class NotFoundError(PermanentError):
    """No record has that id."""
