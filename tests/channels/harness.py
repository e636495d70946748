"""The real ReplyDesk app served by uvicorn on loopback, for the customer-channel tests.

`serve_app` builds the runtime with `bot.app.build_runtime` from settings that point every
channel at its stand-in, serves the ASGI app on 127.0.0.1:0 inside the test's event loop,
and offers helpers that read the app's database (enquiries, drafts, cards, deliveries).
Approvals go through `bot.services.approve_draft`, as the Slack handlers do, so these tests
pass whether or not Slack is configured (without a Slack token, cards go to the log board).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import sqlalchemy as sa
import uvicorn

from bot.app import Runtime
from bot.faq.embedders import Embedder
from bot.models import Delivery, Draft, Enquiry, utc_now
from bot.review import current_draft
from bot.services import ActionResult, approve_draft
from bot.settings import Settings
from bot.wiring import build_runtime
from tests.conftest import FIXTURE_KNOWLEDGE

TELEGRAM_TOKEN = "123:ABC"
WEBHOOK_SECRET = "generic-webhook-secret"
TELEGRAM_SECRET = "telegram-secret_token-1"
META_APP_SECRET = "meta-app-secret"
META_VERIFY_TOKEN = "meta-verify-token"
META_PAGE_TOKEN = "meta-page-token"
X_CONSUMER_SECRET = "x-consumer-secret"
X_BEARER = "x-bearer-token"
REVIEWER = "U_REVIEWER"
T = TypeVar("T")
FALLBACK_REPLY = "Danke für deine Nachricht, wir kümmern uns darum."


def channel_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings with the fixture knowledge and every inbound secret set; senders via overrides."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "knowledge_dir": FIXTURE_KNOWLEDGE,
        "webhook_secret": WEBHOOK_SECRET,
        "meta_app_secret": META_APP_SECRET,
        "meta_verify_token": META_VERIFY_TOKEN,
        "x_consumer_secret": X_CONSUMER_SECRET,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


class ManualClock:
    """The desk's clock, real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return utc_now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


@dataclass
class LiveApp:
    """A running ReplyDesk and helpers to look into its database."""

    runtime: Runtime
    url: str
    http: httpx.AsyncClient

    async def filed(self) -> None:
        """Wait until the filing workers have filed every delivery the app acknowledged."""

        async def inbox_empty() -> bool:
            async with self.runtime.desk.db.unit_of_work() as uow:
                return await uow.inbox.unfiled() == 0

        await eventually(inbox_empty)

    async def count(self, table: sa.Table) -> int:
        """Rows in a table of the app's database, once the inbox is filed."""
        await self.filed()
        async with self.runtime.desk.db.engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).one()[0])

    async def enquiries(self) -> list[Enquiry]:
        """Every stored enquiry, oldest first, once the inbox is filed."""
        await self.filed()
        async with self.runtime.desk.db.unit_of_work() as uow:
            return list(reversed(await uow.enquiries.list_recent(limit=10_000)))

    async def conversation_ids(self) -> list[str]:
        """Every conversation with at least one enquiry, in order of the first message."""
        seen: dict[str, None] = {}
        for enquiry in await self.enquiries():
            if enquiry.conversation_id is not None:
                seen.setdefault(enquiry.conversation_id)
        return list(seen)

    async def current_draft(self, conversation_id: str) -> Draft | None:
        """The conversation's draft that nothing replaced yet."""
        async with self.runtime.desk.db.unit_of_work() as uow:
            return await current_draft(uow, conversation_id)

    async def delivery_of(self, draft_id: str) -> Delivery | None:
        """The outbox row of an approved draft."""
        async with self.runtime.desk.db.unit_of_work() as uow:
            return await uow.deliveries.for_draft(draft_id)

    async def approve(self, conversation_id: str, text: str | None = None) -> Draft:
        """Approve the conversation's current draft as the reviewer would.

        Drafts that escalate have no text; they are approved with `text` or a stock reply.
        """
        draft = await eventually_value(lambda: self.current_draft(conversation_id))
        final = text if text is not None else (None if draft.text.strip() else FALLBACK_REPLY)
        result: ActionResult = await approve_draft(self.runtime.desk, draft.id, REVIEWER, final)
        assert result.outcome.value == "done", result
        return draft


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Wait up to `within` seconds until the async `check()` holds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def eventually_value(get: Callable[[], Awaitable[T | None]], within: float = 10.0) -> T:
    """Wait up to `within` seconds until the async `get()` returns something; return it."""
    deadline = time.monotonic() + within
    while (value := await get()) is None:
        if time.monotonic() > deadline:
            raise AssertionError("value did not appear in time")
        await asyncio.sleep(0.02)
    return value


@contextlib.asynccontextmanager
async def serve_app(
    settings: Settings,
    embedder: Embedder,
    *,
    deliver: bool = True,
    clock: ManualClock | None = None,
    reconcile_seconds: float = 60.0,
) -> AsyncIterator[LiveApp]:
    """Build ReplyDesk from `settings` and serve it on 127.0.0.1:0 until the block ends.

    Args:
        settings: Usually from `channel_settings`.
        embedder: The session's embedder, so the model loads once.
        deliver: False leaves out the background delivery worker; the test drives
            `runtime.worker` itself.
        clock: A clock for the desk, to move retry times forward.
        reconcile_seconds: How often the reconciler runs; long by default so tests see
            only what the channel itself did.
    """
    runtime = await build_runtime(settings, embedder=embedder, reconcile_seconds=reconcile_seconds)
    if clock is not None:
        runtime.desk.clock = clock
    if not deliver:
        runtime.background = [
            job for job in runtime.background if getattr(job, "__name__", "") != "delivering"
        ]
    config = uvicorn.Config(
        runtime.asgi(), host="127.0.0.1", port=0, lifespan="on", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _started(server, task), within=60)
        if task.done():
            task.result()
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(timeout=10) as http:
            yield LiveApp(runtime, f"http://127.0.0.1:{port}", http)
    finally:
        server.should_exit = True
        await task
        await runtime.desk.db.dispose()


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> bool:
    return server.started or task.done()
