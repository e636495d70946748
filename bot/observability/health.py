"""Readiness: can this replica do its work? The database, the knowledge index, Slack.

`/healthz` only says the process answers; `/readyz` runs a `Readiness` of named checks.
A check is an async callable that returns when all is well and raises otherwise
(`CheckFailed` carries the one-line reason). Every check runs concurrently and is bounded
by a timeout, so a hanging dependency makes the report say so instead of hanging it.
Reasons name the failure (an exception's class, Slack's error code), never an exception's
text: database errors can carry host names and data.

Usage::

    readiness = Readiness({
        "database": database_check(db.engine),
        "knowledge": CachedCheck(knowledge_check(lambda: desk.drafting.retriever), 0.0),
        "slack": CachedCheck(slack_check(client), SLACK_CACHE_SECONDS),
    })
    report = await readiness.check()  # report.ready, report.checks
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.faq.retrieval import Searcher
from bot.models import Language

log = logging.getLogger(__name__)

# What a passing check reports.
OK = "ok"
# Each check gets this long; a readiness probe (Kubernetes: 1 s by default) should allow more.
CHECK_TIMEOUT_SECONDS = 2.0
# Slack is asked at most this often; /readyz is probed every few seconds by each replica.
SLACK_CACHE_SECONDS = 30.0
# A short question the knowledge check searches for: any answer, even none, means it works.
_PROBE_QUESTION = "Wie lange dauert der Versand?"

Check = Callable[[], Awaitable[None]]


class CheckFailed(Exception):
    """A check's failure, with the one short line `/readyz` shows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReadinessReport:
    """Every check's outcome: "ok" or the reason it failed."""

    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        """Whether every check passed."""
        return all(outcome == OK for outcome in self.checks.values())


class Readiness:
    """Named checks, run concurrently, each bounded by `timeout` seconds."""

    def __init__(self, checks: Mapping[str, Check], timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
        self._checks = dict(checks)
        self._timeout = timeout
        self._last: dict[str, str] = {}

    @property
    def names(self) -> list[str]:
        """The checks' names, in the order the report lists them."""
        return list(self._checks)

    async def check(self) -> ReadinessReport:
        """Run every check; a failure or a timeout becomes that check's reason."""
        names = self.names
        outcomes = await asyncio.gather(*(self._run(self._checks[name]) for name in names))
        report = ReadinessReport(dict(zip(names, outcomes, strict=True)))
        for name, outcome in report.checks.items():
            if self._last.get(name, OK) != outcome:  # log changes, not every probe
                level = logging.INFO if outcome == OK else logging.WARNING
                log.log(level, "readiness check %s: %s", name, outcome)
        self._last = report.checks
        return report

    async def _run(self, check: Check) -> str:
        try:
            await asyncio.wait_for(check(), self._timeout)
        except TimeoutError:
            return f"no answer within {self._timeout:g} s"
        except CheckFailed as failed:
            return failed.reason
        except Exception as exc:  # the edge: any failure is a reason, never a 500
            return f"failed ({type(exc).__name__})"
        return OK


class CachedCheck:
    """Runs a check at most once per `ttl_seconds`; callers meanwhile share its outcome.

    One run at a time: a caller that times out leaves the run going, and the next caller
    waits for the same run instead of starting another (a hung dependency sees one call,
    not one per probe). A finished run's outcome, passed or failed, is reused until
    `ttl_seconds` have gone by; with 0 only the in-flight run is shared.
    """

    def __init__(
        self,
        check: Check,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self._ttl = ttl_seconds
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._finished_at = 0.0

    async def __call__(self) -> None:
        """Wait for the current run's outcome, starting a run when none is fresh."""
        task = self._task
        if task is None or (task.done() and self._clock() - self._finished_at >= self._ttl):
            task = self._task = asyncio.create_task(self._run())
            task.add_done_callback(_retrieve)
        await asyncio.shield(task)

    async def _run(self) -> None:
        try:
            await self._check()
        finally:
            self._finished_at = self._clock()


def _retrieve(task: asyncio.Task[None]) -> None:
    # Callers that timed out never read the outcome; asyncio would log it as lost.
    if not task.cancelled():
        task.exception()


def database_check(engine: AsyncEngine) -> Check:
    """`SELECT 1` on a pooled connection, outside any transaction.

    The dialect's own ping: on SQLite it takes no write lock (our transactions begin with
    BEGIN IMMEDIATE), on PostgreSQL it runs in autocommit.
    """

    async def check() -> None:
        try:
            async with engine.connect() as conn:
                await conn.run_sync(_ping)
        except DBAPIError as exc:
            raise CheckFailed(f"unreachable ({type(exc.orig).__name__})") from exc
        except OSError as exc:
            raise CheckFailed(f"unreachable ({type(exc).__name__})") from exc

    return check


def _ping(conn: Connection) -> None:
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is None:
        raise CheckFailed("no connection")
    conn.dialect.do_ping(dbapi_connection)


def knowledge_check(retriever: Callable[[], Searcher]) -> Check:
    """The current retriever answers a search (a Chroma server, the embedding models).

    Args:
        retriever: Returns the retriever drafting uses now; a knowledge reload swaps it.
    """

    async def check() -> None:
        searcher = retriever()
        # Embedding and searching are CPU work (or a Chroma call): off the event loop.
        await asyncio.to_thread(searcher.search, _PROBE_QUESTION, Language.DE, 1)

    return check


def slack_check(client: AsyncWebClient) -> Check:
    """Slack accepts the bot token (`auth.test`)."""

    async def check() -> None:
        try:
            await client.auth_test()
        except SlackApiError as exc:
            code = exc.response.get("error") if exc.response is not None else None
            raise CheckFailed(f"auth.test failed: {code or 'unknown error'}") from exc

    return check
