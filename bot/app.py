"""The running service: the desk, its background jobs, and its HTTP app.

`replydesk serve` builds a `Runtime` with `bot.wiring.build_runtime` and runs its ASGI app
under uvicorn; the app's lifespan migrates the database and starts and stops the jobs.
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
from bot.ports import BackgroundJob
from bot.services import Desk


@dataclass
class Runtime:
    """A fully wired ReplyDesk: the desk, its workers and its HTTP app."""

    desk: Desk
    worker: DeliveryWorker
    routes: list[BaseRoute]
    background: list[BackgroundJob] = field(default_factory=list)
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def asgi(self) -> Starlette:
        """The HTTP app; its lifespan starts and stops the background jobs.

        `BodyLimit` refuses bodies over 1 MB on every route, Bolt's /slack/events included.
        """
        return Starlette(
            routes=[Route("/healthz", _health), *self.routes],
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


async def _health(request: Request) -> Response:
    return JSONResponse({"ok": True})
