"""Long polling that confirms a batch of Telegram updates only after it is stored.

Telegram counts an update as delivered once a getUpdates call carries an offset above its
id. The poller stores each batch first and only then moves the offset past it, so after a
crash (even ``kill -9``) Telegram serves the batch again; if storing fails, the offset stays
and the same batch is fetched again after a backoff. RetryAfter waits as long as Telegram
asks; NetworkError, TimedOut and Conflict (another getUpdates consumer, e.g. a second
replica) back off from 1 s to 30 s and poll again; InvalidToken ends polling. A lasting
problem is logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from bot.channels.telegram_api import retry_after_seconds

log = logging.getLogger(__name__)

_FIRST_RETRY_SECONDS = 1.0
_MAX_RETRY_SECONDS = 30.0
_CONFLICT = "another getUpdates consumer (a second replica?) is polling this bot; "
T = TypeVar("T")

# Stores a batch; returns only once every customer message of it is in the database.
StoreBatch = Callable[[Sequence[Update]], Awaitable[None]]


class UpdatePoller:
    """Fetch, store, confirm: getUpdates driven with PTB's `Bot`, one batch at a time."""

    def __init__(
        self, bot: Bot, store: StoreBatch, poll_timeout: dt.timedelta, allowed: list[str]
    ) -> None:
        """Keep the initialised bot, the batch store and the long-poll settings."""
        self._bot = bot
        self._store = store
        self._poll_timeout = poll_timeout
        self._allowed = allowed

    async def run_until(self, stop: asyncio.Event) -> None:
        """Fetch, store, then confirm (by the next call's offset), until `stop`.

        Raises:
            InvalidToken: Telegram no longer accepts the token.
        """
        offset: int | None = None  # None: from the oldest update not yet confirmed
        delay = _FIRST_RETRY_SECONDS
        trouble: str | None = None  # the Telegram problem last logged: a lasting one logs once
        while not stop.is_set():
            fetch = self._bot.get_updates(
                offset=offset, timeout=self._poll_timeout, allowed_updates=self._allowed
            )
            try:
                updates = await _unless_stopped(stop, fetch)
            except InvalidToken:
                raise
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                trouble = _report(trouble, exc, "flood control; polling again in %.0f s", wait)
                await _pause(stop, wait)
                continue
            except TelegramError as exc:  # Conflict, NetworkError, TimedOut, server errors, …
                why = _CONFLICT if isinstance(exc, Conflict) else ""
                trouble = _report(trouble, exc, why + "polling again in %.0f s", delay)
                await _pause(stop, delay)
                delay = min(delay * 2, _MAX_RETRY_SECONDS)
                continue
            if updates is None:
                return  # stopped
            if trouble is not None:
                log.info("telegram: polling works again")
                trouble = None
            if not updates:
                continue
            first, last = min(u.update_id for u in updates), max(u.update_id for u in updates)
            try:
                await self._store(updates)
            except Exception as exc:  # the edge: whatever storing raised, fetch the batch again
                # The type only: database errors quote the statement's parameters (customer text).
                log.error(  # noqa: TRY400 - a traceback would carry the exception text
                    "telegram: storing updates %d-%d failed (%s); fetching them again in %.0f s",
                    first,
                    last,
                    type(exc).__name__,
                    delay,
                )
                await _pause(stop, delay)
                delay = min(delay * 2, _MAX_RETRY_SECONDS)
                continue
            delay = _FIRST_RETRY_SECONDS
            offset = last + 1  # the next getUpdates confirms the stored batch


async def _unless_stopped(stop: asyncio.Event, work: Awaitable[T]) -> T | None:
    """The result of `work`, or None as soon as `stop` is set (`work` is cancelled then)."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:  # also when this task is cancelled: leave nothing running behind
        stopping.cancel()
        if not task.done():
            task.cancel()
    if task in done:
        return task.result()
    await asyncio.wait({task})
    if not task.cancelled():
        task.exception()  # finished as it was cancelled; its outcome no longer matters
    return None


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less when `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _report(trouble: str | None, exc: TelegramError, then: str, seconds: float) -> str:
    """Log a polling problem once (repeats of the same kind go to debug); return its kind."""
    kind = type(exc).__name__
    # The type only: PTB's messages may hold the token.
    level = logging.DEBUG if kind == trouble else logging.WARNING
    log.log(level, "telegram polling: %s; " + then, kind, seconds)
    return kind
