"""Enquiry received -> review card posted in Slack: latency (p50/p95) and sustained rate.

Every enquiry goes through the real path: `services.take_in` (store on SQLite, retrieve,
offline drafter, card state) and `SlackReviewBoard.publish` with the app's own Slack client
(retry handlers included) against the Slack stand-in on loopback. An enquiry's latency ends
when `take_in` returns, i.e. after the stand-in recorded chat.postMessage *and* the card's
ts was saved, so it is an upper bound of "until the card is posted".

Measured in the same run:
- slack, sequential: 1,000 enquiries one after another -> p50/p95 latency;
- slack, concurrent: 1,000 enquiries, 4 and 16 at a time -> sustained enquiries/s;
- baseline, bare chat.postMessage: the Slack round trip alone, same client and stand-in;
- baseline, LoggingBoard: take_in with no Slack at all (storage + drafting only).

Usage (from the repo root):
    .venv/bin/python benchmarks/slack_review.py [--enquiries 1000] [--concurrency 4 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import (
    SAMPLE_ENQUIRIES,
    SAMPLE_KNOWLEDGE,
    benchmark_settings,
    console,
    percentile,
    table,
    temp_dir,
)  # noqa: E402, I001

from bot.drafting.offline import OfflineDrafter  # noqa: E402
from bot.drafting.pipeline import DraftingContext  # noqa: E402
from bot.models import (
    Channel,  # noqa: E402
    InboundMessage,
)
from bot.ports import ReviewBoard  # noqa: E402
from bot.review import KnowledgeCatalog  # noqa: E402
from bot.services import Desk, take_in  # noqa: E402
from bot.slack.board import SlackReviewBoard  # noqa: E402
from bot.slack.log_board import LoggingBoard  # noqa: E402
from bot.slack.wiring import build_slack_client  # noqa: E402
from bot.storage import Database  # noqa: E402
from bot.wiring import (
    embedder_for_model,  # noqa: E402
    open_knowledge,  # noqa: E402
)
from tests.stand_ins import SlackStandIn  # noqa: E402

TOKEN = "xoxb-bench"  # noqa: S105 - the stand-in's token, not a secret
P95_TARGET_MS = 30.0
RATE_TARGET = 100.0


def load_texts() -> list[tuple[str, str, str | None]]:
    rows = [json.loads(line) for line in SAMPLE_ENQUIRIES.read_text(encoding="utf-8").splitlines()]
    return [(row["channel"], row["text"], row.get("author_name")) for row in rows if row["text"]]


def inbound(run: str, index: int, texts: Sequence[tuple[str, str, str | None]]) -> InboundMessage:
    channel, text, author = texts[index % len(texts)]
    # A distinct author per enquiry: each one opens its own conversation and card.
    return InboundMessage(
        channel=Channel(channel),
        external_id=f"{run}-{index}",
        text=text,
        author_id=f"{run}-author-{index}",
        author_name=author,
    )


def intake(
    desk: Desk, run: str, texts: Sequence[tuple[str, str, str | None]]
) -> Callable[[int], Awaitable[object]]:
    """`take_in` of enquiry `i` of `run` on `desk`, as a function of `i`."""

    def one(index: int) -> Awaitable[object]:
        return take_in(desk, inbound(run, index, texts))

    return one


async def timed(
    count: int, concurrency: int, one: Callable[[int], Awaitable[object]]
) -> tuple[list[float], float]:
    """Run `one(i)` for i < count with `concurrency` in flight; latencies and wall time."""
    latencies: list[float] = []
    queue = iter(range(count))

    async def worker() -> None:
        for index in queue:
            started = time.perf_counter()
            await one(index)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def main(count: int, concurrency: Sequence[int]) -> None:
    logging.basicConfig(level=logging.WARNING)
    texts = load_texts()
    with temp_dir() as root, SlackStandIn(token=TOKEN) as slack:
        settings = benchmark_settings(
            root, slack_bot_token=TOKEN, slack_api_url=f"{slack.url}/api/"
        )
        console.print("indexing the sample knowledge …")
        opened = await asyncio.to_thread(
            open_knowledge,
            settings,
            SAMPLE_KNOWLEDGE,
            embedder=embedder_for_model(settings.embedding_model),
        )
        drafting = DraftingContext(
            retriever=opened.retriever,
            guidelines=opened.knowledge.guidelines,
            drafter=OfflineDrafter(),
            answer_threshold=settings.answer_threshold,
        )
        catalog = KnowledgeCatalog(opened.knowledge)
        client = build_slack_client(settings)
        databases: list[Database] = []

        async def fresh_desk(board: ReviewBoard) -> Desk:
            """A desk on its own new SQLite file, so every run starts from the same size."""
            db = Database(f"sqlite+aiosqlite:///{root / f'run{len(databases)}.sqlite3'}")
            await db.migrate()
            databases.append(db)
            desk = Desk(db=db, drafting=drafting, catalog=catalog, board=board)
            for index in range(20):  # warm-up: model, connections, SQLite pages
                await take_in(desk, inbound("warm", index, texts))
            return desk

        rows = []
        board = SlackReviewBoard(client, "C_REVIEW")
        desk = await fresh_desk(LoggingBoard())
        lat, wall = await timed(count, 1, intake(desk, "log", texts))
        rows.append(("baseline: take_in, LoggingBoard", lat, wall))
        lat, wall = await timed(
            count, 1, lambda i: client.chat_postMessage(channel="C_BASE", text=f"baseline {i}")
        )
        rows.append(("baseline: bare chat.postMessage", lat, wall))
        desk = await fresh_desk(board)
        posts_before = slack.count("chat.postMessage")
        lat, wall = await timed(count, 1, intake(desk, "seq", texts))
        rows.append(("slack, sequential", lat, wall))
        tenth = max(count // 10, 1)
        growth = (percentile(lat[:tenth], 50), percentile(lat[-tenth:], 50))
        for level in concurrency:
            desk = await fresh_desk(board)
            lat, wall = await timed(count, level, intake(desk, "conc", texts))
            rows.append((f"slack, {level} concurrent", lat, wall))
        cards = slack.count("chat.postMessage") - posts_before - 20 * len(concurrency)
        for db in databases:
            await db.dispose()

    table(
        f"Enquiry received -> card posted ({count} enquiries, SQLite, stand-in Slack on loopback)",
        ["run", "p50 ms", "p95 ms", "enquiries/s", "target"],
        [
            (
                name,
                percentile(lat, 50) * 1000,
                percentile(lat, 95) * 1000,
                len(lat) / wall,
                _target(name),
            )
            for name, lat, wall in rows
        ],
    )
    console.print(
        f"sequential slack run: p50 {growth[0] * 1000:.1f} ms over the first tenth, "
        f"{growth[1] * 1000:.1f} ms over the last tenth of the enquiries"
    )
    expected = (1 + len(concurrency)) * count
    console.print(f"cards posted at the stand-in by the slack runs: {cards} (expected {expected})")
    console.print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")


def _target(name: str) -> str:
    if name == "slack, sequential":
        return f"p95 <= {P95_TARGET_MS:.0f} ms"
    if name.startswith("slack,"):
        return f">= {RATE_TARGET:.0f} enquiries/s"
    return "baseline"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enquiries", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16])
    args = parser.parse_args()
    asyncio.run(main(args.enquiries, args.concurrency))
