"""The real ReplyDesk app served by uvicorn on loopback, driven by signed Slack requests.

Shared by the tests/test_slack_*.py end-to-end tests: `served_app` builds the runtime with
`bot.app.build_runtime` (Slack pointed at the stand-in), serves its ASGI app on
127.0.0.1:0 inside the test's event loop, and posts interactions signed for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn

from bot.app import Runtime
from bot.faq.embedders import Embedder
from bot.models import Channel, InboundMessage
from bot.services import Receipt, take_in
from bot.settings import Settings
from bot.storage import Database
from bot.wiring import build_runtime
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.stand_ins import (
    JSONObject,
    SlackMessage,
    SlackStandIn,
    block_actions_body,
    sign_slack_request,
    view_submission_body,
)

BOT_TOKEN = "xoxb-test"
SIGNING_SECRET = "test-signing-secret"
REVIEW_CHANNEL = "C_REVIEW"
CUSTOMER_CHANNEL = "C_CUSTOMERS"
REVIEWER = "U_REVIEWER"
SECOND_REVIEWER = "U_SECOND"
OUTSIDER = "U_OUTSIDER"
QUESTION = "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?"


def slack_settings(data_dir: Path, stand_in: SlackStandIn, **overrides: object) -> Settings:
    """Settings of a ReplyDesk whose Slack is the stand-in."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "knowledge_dir": FIXTURE_KNOWLEDGE,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_review_channel": REVIEW_CHANNEL,
        "slack_reviewers": f"{REVIEWER},{SECOND_REVIEWER}",
        "slack_api_url": f"{stand_in.url}/api/",
        "delivery_max_attempts": 6,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class ServedApp:
    """A running ReplyDesk and helpers to talk to it like Slack does."""

    runtime: Runtime
    stand_in: SlackStandIn
    url: str
    http: httpx.AsyncClient

    async def post(
        self, body: bytes, headers: Mapping[str, str] | None = None, *, timestamp: int | None = None
    ) -> httpx.Response:
        """POST `body` to /slack/events, signed for real unless `headers` are given."""
        sent = (
            dict(headers)
            if headers is not None
            else sign_slack_request(SIGNING_SECRET, body, timestamp)
        )
        return await self.http.post(f"{self.url}/slack/events", content=body, headers=sent)

    async def click(
        self, action: str, value: str, user: str = REVIEWER, card: SlackMessage | None = None
    ) -> httpx.Response:
        """Click a button on the review card as `user`."""
        card = card or review_card(self.stand_in)
        body = block_actions_body(
            action, value, user_id=user, channel_id=card.channel, message_ts=card.ts
        )
        return await self.post(body)

    async def submit(
        self,
        form: str,
        metadata: str,
        values: Mapping[str, Mapping[str, str | JSONObject]],
        user: str = REVIEWER,
    ) -> httpx.Response:
        """Submit a modal as `user`."""
        return await self.post(view_submission_body(form, metadata, values, user_id=user))

    async def enquire(
        self, text: str = QUESTION, author: str = "U_CUSTOMER", ts: str = "1700000000.000001"
    ) -> Receipt:
        """A customer message forwarded from Slack, taken in directly through the services."""
        inbound = InboundMessage(
            channel=Channel.SLACK,
            external_id=f"{CUSTOMER_CHANNEL}:{ts}",
            text=text,
            author_id=author,
            author_name="Anna Adler",
            reply_target={"channel": CUSTOMER_CHANNEL, "thread_ts": ts},
        )
        receipt = await take_in(self.runtime.desk, inbound)
        # A publishing worker may have shown the card a moment before the draft; the card
        # follows the database shortly after.
        await eventually(lambda: self.card_is_current(receipt.conversation_id))
        return receipt

    def card_is_current(self, conversation_id: str) -> bool:
        """Whether the stand-in shows the conversation's card with a decision's buttons."""
        for message in self.stand_in.messages(REVIEW_CHANNEL):
            metadata = message.metadata or {}
            payload = metadata.get("event_payload")
            if isinstance(payload, dict) and payload.get("conversation_id") == conversation_id:
                return any(
                    isinstance(block, dict) and block.get("type") == "actions"
                    for block in message.blocks
                )
        return False

    async def count(self, table: sa.Table) -> int:
        """Rows in a table of the app's database."""
        async with self.runtime.desk.db.engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).one()[0])


async def count_rows(settings: Settings, table: sa.Table) -> int:
    """Rows in a table of a stopped app's database."""
    db = Database(settings.resolved_database_url())
    try:
        async with db.engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).one()[0])
    finally:
        await db.dispose()


async def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait until `check()` holds (an AssertionError in it means "not yet").

    The app works after its ack, so what a request causes shows up a little later.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except AssertionError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def review_card(stand_in: SlackStandIn) -> SlackMessage:
    """The (first) review card posted in the review channel."""
    cards = [m for m in stand_in.messages(REVIEW_CHANNEL) if m.thread_ts is None]
    assert cards, "no review card was posted"
    return cards[0]


def card_text(message: SlackMessage) -> str:
    """All text a reviewer reads on a card (sections, context, header)."""
    parts: list[str] = []
    for block in message.blocks:
        assert isinstance(block, dict)
        for key in ("text",):
            text = block.get(key)
            if isinstance(text, dict):
                parts.append(str(text.get("text", "")))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") in ("mrkdwn", "plain_text"):
                parts.append(str(element.get("text", "")))
    return "\n".join(parts)


def card_buttons(message: SlackMessage) -> list[str]:
    """Action ids of the card's buttons."""
    found = []
    for block in message.blocks:
        assert isinstance(block, dict)
        if block.get("type") == "actions":
            found += [str(e["action_id"]) for e in block["elements"]]
    return found


def draft_id_on(message: SlackMessage) -> str:
    """The draft id the card's Approve/Edit/... buttons carry."""
    for block in message.blocks:
        assert isinstance(block, dict)
        if block.get("type") == "actions":
            return str(block["elements"][0]["value"])
    raise AssertionError("the card has no buttons")


def thread_replies(stand_in: SlackStandIn, channel: str, ts: str) -> list[SlackMessage]:
    """Messages posted in the thread of (channel, ts)."""
    return [m for m in stand_in.messages(channel) if m.thread_ts == ts]


@contextlib.asynccontextmanager
async def served_app(
    settings: Settings,
    stand_in: SlackStandIn,
    embedder: Embedder,
    *,
    deliver: bool = True,
    reconcile_seconds: float | None = None,
    before_serving: Callable[[Runtime], Awaitable[object]] | None = None,
) -> AsyncIterator[ServedApp]:
    """Build ReplyDesk from `settings` and serve it on 127.0.0.1:0 until the block ends.

    Args:
        settings: Settings from `slack_settings`.
        stand_in: The Slack stand-in the settings point at.
        embedder: The session's embedder, so the model loads once.
        deliver: False builds the app without its delivery worker (a "crashed" worker).
        reconcile_seconds: How often the queue workers look for work nobody woke them for
            (cards whose backoff ran out, work queued before a restart); 60 s if None.
        before_serving: Work on the migrated database before the server and its
            background jobs start (e.g. taking in an enquiry).
    """
    runtime = await build_runtime(
        settings, embedder=embedder, reconcile_seconds=reconcile_seconds or 60.0
    )
    if not deliver:
        runtime.background = [
            job for job in runtime.background if getattr(job, "__name__", "") != "delivering"
        ]
    if before_serving is not None:
        await runtime.desk.db.migrate()
        await before_serving(runtime)
    config = uvicorn.Config(
        runtime.asgi(), host="127.0.0.1", port=0, lifespan="on", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or task.done(), seconds=30)
        if task.done():
            task.result()
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(timeout=10) as http:
            yield ServedApp(runtime, stand_in, f"http://127.0.0.1:{port}", http)
    finally:
        server.should_exit = True
        await task
        await runtime.desk.db.dispose()
