"""The running service: the desk, its background jobs, and its HTTP app.

`replydesk serve` builds a `Runtime` with `bot.wiring.build_runtime` and runs its ASGI app
under uvicorn; the app's lifespan migrates the database and starts and stops the jobs.
Every role serves `/healthz` (the process answers), `/readyz` (the database, the knowledge
index and Slack answer; see `bot.observability.health`) and `/metrics` (Prometheus).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.limits import BodyLimit
from bot.jobs.delivery import DeliveryWorker
from bot.observability.health import (
    SLACK_CACHE_SECONDS,
    CachedCheck,
    Check,
    Readiness,
    database_check,
    knowledge_check,
    slack_check,
)
from bot.observability.queues import METRICS_CONTENT_TYPE, render_metrics
from bot.ports import BackgroundJob
from bot.services import Desk
from bot.slack.board import SlackReviewBoard


@dataclass
class Runtime:
    """A fully wired ReplyDesk: the desk, its workers and its HTTP app."""

    desk: Desk
    worker: DeliveryWorker
    routes: list[BaseRoute]
    background: list[BackgroundJob] = field(default_factory=list)
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # What /readyz checks; None: the desk's database, knowledge and (if configured) Slack.
    readiness: Readiness | None = None

    def asgi(self) -> Starlette:
        """The HTTP app; its lifespan starts and stops the background jobs.

        `BodyLimit` refuses bodies over 1 MB on every route, Bolt's /slack/events included.
        """
        readiness = self.readiness or desk_readiness(self.desk)

        async def ready(request: Request) -> Response:
            report = await readiness.check()
            return JSONResponse(
                {"ready": report.ready, "checks": report.checks},
                status_code=200 if report.ready else 503,
            )

        async def metrics(request: Request) -> Response:
            body = await render_metrics(self.desk.db.engine)
            return Response(body, headers={"Content-Type": METRICS_CONTENT_TYPE})

        return Starlette(
            routes=[
                Route("/healthz", _health),
                Route("/readyz", ready),
                Route("/metrics", metrics),
                *self.routes,
            ],
            middleware=[Middleware(BodyLimit)],
            lifespan=self._lifespan,
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        await self.desk.db.migrate()
        await self.worker.recover()
        tasks = [asyncio.create_task(job(stop)) for job in self.background]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for close in self.shutdown:
                await close()
            await self.desk.db.dispose()


def desk_readiness(desk: Desk) -> Readiness:
    """The checks `/readyz` runs for `desk`: database, knowledge index, and Slack if set up.

    The knowledge check asks the retriever drafting uses at that moment (a reload swaps
    it); Slack's `auth.test` goes through the board's client, at most every 30 s.
    """
    checks: dict[str, Check] = {
        "database": database_check(desk.db.engine),
        "knowledge": CachedCheck(knowledge_check(lambda: desk.drafting.retriever), 0.0),
    }
    if isinstance(desk.board, SlackReviewBoard):
        checks["slack"] = CachedCheck(slack_check(desk.board.client), SLACK_CACHE_SECONDS)
    return Readiness(checks)


async def _health(request: Request) -> Response:
    # Alive only: a dependency's outage must not get a healthy process restarted.
    return JSONResponse({"ok": True})
