"""Wiring of the running service: settings -> adapters -> desk -> HTTP app and workers.

`replydesk serve` builds a `Runtime` and runs its ASGI app under uvicorn. Everything that
talks to the outside is created here and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.wiring import build_channels
from bot.drafting import DraftingContext
from bot.embeddings import Embedder, embedder_for
from bot.knowledge_index import open_knowledge
from bot.knowledge_watch import watch_knowledge
from bot.language import detect_language
from bot.llm import build_drafter
from bot.outbox import DeliveryWorker
from bot.ports import BackgroundJob
from bot.reconciler import reconcile_forever
from bot.review import KnowledgeCatalog
from bot.services import Desk
from bot.settings import Settings
from bot.slack.wiring import build_slack
from bot.storage import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """A fully wired ReplyDesk: the desk, its workers and its HTTP app."""

    settings: Settings
    desk: Desk
    worker: DeliveryWorker
    routes: list[BaseRoute]
    background: list[BackgroundJob] = field(default_factory=list)
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def asgi(self) -> Starlette:
        """The HTTP app; its lifespan starts and stops the background jobs."""
        return Starlette(routes=[Route("/healthz", _health), *self.routes], lifespan=self._lifespan)

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


async def build_runtime(
    settings: Settings, *, embedder: Embedder | None = None, reconcile_seconds: float = 5.0
) -> Runtime:
    """Open the knowledge, the database, Slack and the channels, and wire them together."""
    model = embedder
    if model is None:
        model = await asyncio.to_thread(embedder_for, settings)
    opened = await asyncio.to_thread(open_knowledge, settings, None, embedder=model)
    # Load the language models now, not while the first customer waits for a card.
    await asyncio.to_thread(detect_language, "Guten Tag, how are you?")
    db = Database(settings.resolved_database_url())
    drafting = DraftingContext(
        retriever=opened.retriever,
        guidelines=opened.knowledge.guidelines,
        drafter=build_drafter(settings),
        answer_threshold=settings.answer_threshold,
    )
    slack = build_slack(settings)
    desk = Desk(
        db=db,
        drafting=drafting,
        catalog=KnowledgeCatalog(opened.knowledge),
        board=slack.board,
        conversation_window=dt.timedelta(seconds=settings.conversation_window_seconds),
    )
    channels = build_channels(settings, desk)
    senders = {**channels.senders, **slack.senders}
    worker = DeliveryWorker(desk, senders, max_attempts=settings.delivery_max_attempts)
    routes = [*slack.routes(desk), *channels.routes]

    async def reconcile(stop: asyncio.Event) -> None:
        await reconcile_forever(desk, stop, reconcile_seconds)

    async def watch(stop: asyncio.Event) -> None:
        await watch_knowledge(desk, settings, model, stop)

    return Runtime(
        settings=settings,
        desk=desk,
        worker=worker,
        routes=routes,
        background=[
            worker.run_forever,
            reconcile,
            watch,
            *slack.background(desk),
            *channels.background,
        ],
        shutdown=[*slack.shutdown, *channels.shutdown],
    )
