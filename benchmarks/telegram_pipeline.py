"""Benchmark: 1,000 Telegram enquiries to approved, delivered replies, beside a baseline.

Pipeline: the Telegram stand-in serves getUpdates → PTB long polling → intake (store, draft,
card) → approvals (signed Slack interactions to /slack/events when the Slack adapter is
wired; `--approvals direct` calls services.approve_draft) → delivery worker → sendMessage
at the stand-in. Baseline, same run: the same enquiries through services.take_in directly,
approved with approve_draft, delivered to a recording sender; cards go to the same board.

Prints throughput per stage, receipt→card latency (p50/p95), and "lost" and "duplicates"
computed by comparing the stand-in's sendMessage log with the approved drafts.

    .venv/bin/python benchmarks/telegram_pipeline.py [--enquiries 1000] [--approvals auto]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from _common import REPO_ROOT, SAMPLE_ENQUIRIES, benchmark_settings, percentile, table, temp_dir

sys.path.insert(0, str(REPO_ROOT))  # the stand-ins live in tests/

from bot.app import Runtime  # noqa: E402
from bot.crisis.alert import SpikeAlert  # noqa: E402
from bot.faq.embedders import Embedder, UseEmbedder  # noqa: E402
from bot.jobs.delivery import DeliveryWorker  # noqa: E402
from bot.models import Channel, Delivery, DeliveryState, InboundMessage  # noqa: E402
from bot.ports import CardRef, ReviewBoard  # noqa: E402
from bot.review import ReviewCard, current_draft  # noqa: E402
from bot.services import approve_draft, take_in  # noqa: E402
from bot.wiring import build_runtime  # noqa: E402
from tests import stand_ins  # noqa: E402
from tests.fakes.ports import RecordingSender  # noqa: E402
from tests.stand_ins import SlackStandIn, TelegramStandIn  # noqa: E402

# Stand-in credentials, not secrets.
TOKEN = "123:ABC"  # noqa: S105
SLACK_TOKEN = "xoxb-bench"  # noqa: S105
SIGNING_SECRET = "bench-signing-secret"  # noqa: S105
REVIEWER = "U_REVIEWER"
FALLBACK = "Danke für deine Nachricht, wir kümmern uns darum."
DONE = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.OUTCOME_UNKNOWN)
COLUMNS = ["run", "intake/s", "receipt→card p50 ms", "p95 ms", "push→card p95 s"]
COLUMNS += ["approve+deliver/s", "total s", "sent", "approved w/o Slack", "lost", "duplicates"]


@dataclass
class Result:
    """One run's figures (rates per second, times in seconds)."""

    name: str
    intake: float  # enquiries per second, first receipt to last card
    latencies: list[float]  # receipt (stored) → first card
    deliver: float  # approved replies per second, last card to last delivery
    total: float
    sent: int
    direct: int  # approvals not clicked in Slack (drafts without text get a written reply)
    lost: int
    duplicates: int
    push_p95: float = float("nan")  # pushed to Telegram → card, queueing included

    def row(self) -> list[object]:
        p50, p95 = (1000 * percentile(self.latencies, q) for q in (50, 95))
        figures = (self.intake, p50, p95, self.push_p95, self.deliver, self.total)
        counts = (self.sent, self.direct, self.lost, self.duplicates)
        return [self.name, *(f"{f:.1f}" for f in figures), *counts]


class TimingBoard:
    """Wraps the real board and notes when each conversation's card first went up."""

    def __init__(self, inner: ReviewBoard) -> None:
        self.inner = inner
        self.first_card: dict[str, float] = {}

    async def publish(self, card: ReviewCard, existing: CardRef | None) -> CardRef:
        ref = await self.inner.publish(card, existing)
        self.first_card.setdefault(card.conversation_id, time.time())
        return ref

    async def find_card(self, conversation_id: str) -> CardRef | None:
        return await self.inner.find_card(conversation_id)

    async def post_in_thread(self, ref: CardRef, text: str) -> None:
        await self.inner.post_in_thread(ref, text)

    async def tell(self, ref: CardRef | None, user_id: str, text: str) -> None:
        await self.inner.tell(ref, user_id, text)

    async def post_alert(self, alert: SpikeAlert, existing: CardRef | None) -> CardRef:
        return await self.inner.post_alert(alert, existing)


def customers(n: int) -> list[tuple[int, str, str]]:
    """(customer id, first name, text) for n customers, cycling the sample enquiries."""
    rows = [json.loads(line) for line in SAMPLE_ENQUIRIES.read_text().splitlines() if line]
    names = [(row["author_name"] or "Kim").split()[0] for row in rows]
    return [(100_000 + i, names[i % len(rows)], rows[i % len(rows)]["text"]) for i in range(n)]


async def build(
    root: Path, slack: SlackStandIn | None, embedder: Embedder, **extra: object
) -> tuple[Runtime, TimingBoard]:
    """A runtime on the sample knowledge whose board is timed; Slack when `slack` is given."""
    if slack is not None:
        extra |= {
            "slack_bot_token": SLACK_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_review_channel": "C_REVIEW",
            "slack_reviewers": REVIEWER,
            "slack_api_url": f"{slack.url}/api/",
        }
    settings = benchmark_settings(root, knowledge_dir=REPO_ROOT / "knowledge", **extra)
    runtime = await build_runtime(settings, embedder=embedder)
    board = TimingBoard(runtime.desk.board)
    runtime.desk.board = board
    return runtime, board


async def until(check: Callable[[], bool], label: str, limit: float = 1800) -> None:
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {label}")
        await asyncio.sleep(0.05)


async def approve_all(runtime: Runtime, url: str | None) -> tuple[dict[str, str], int]:
    """Approve every current draft; return {draft id: text} and how many went direct."""
    desk = runtime.desk
    async with desk.db.unit_of_work() as uow:
        stored = await uow.enquiries.list_recent(limit=100_000)
        targets = []
        for conversation in sorted({e.conversation_id for e in stored if e.conversation_id}):
            draft = await current_draft(uow, conversation)
            state = await uow.card_states.get(conversation)
            card = await uow.cards.get(state.root_enquiry_id) if state else None
            if draft is not None:
                ref = CardRef(card.channel, card.ts) if card else None
                targets.append((draft.id, draft.text.strip(), ref))
    approved: dict[str, str] = {}
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(draft_id: str, text: str, ref: CardRef | None) -> bool:
            async with gate:
                if url and text and ref:  # a reviewer clicks Approve on the card
                    body = stand_ins.block_actions_body(
                        "draft.approve", draft_id, REVIEWER, ref.channel, ref.ts
                    )
                    headers = stand_ins.sign_slack_request(SIGNING_SECRET, body)
                    answer = await http.post(f"{url}/slack/events", content=body, headers=headers)
                    answer.raise_for_status()
                    approved[draft_id] = text
                    return False
                # No draft text (escalations, spam): approved with a written reply.
                await approve_draft(desk, draft_id, REVIEWER, text or FALLBACK)
                approved[draft_id] = text or FALLBACK
                return True

        direct = await asyncio.gather(*(one(*target) for target in targets))
    return approved, sum(direct)


async def deliveries(runtime: Runtime) -> list[Delivery]:
    async with runtime.desk.db.unit_of_work() as uow:
        return [row for state in DeliveryState for row in await uow.deliveries.list_by_state(state)]


async def settled(runtime: Runtime, count: int, limit: float = 1800) -> list[Delivery]:
    """Wait until `count` replies were sent (or failed, or went unknown); return the rows."""
    deadline = time.monotonic() + limit
    while True:
        rows = await deliveries(runtime)
        if len(rows) >= count and all(r.state in DONE for r in rows):
            return rows
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for deliveries")
        await asyncio.sleep(0.2)


async def receipt_to_card(runtime: Runtime, board: TimingBoard) -> list[float]:
    async with runtime.desk.db.unit_of_work() as uow:
        stored = await uow.enquiries.list_recent(limit=100_000)
    times = board.first_card
    return [
        times[e.conversation_id] - e.received_at.timestamp()
        for e in stored
        if e.conversation_id in times
    ]


def compare(
    telegram: TelegramStandIn, rows: list[Delivery], approved: dict[str, str]
) -> tuple[int, int]:
    """Lost and duplicate replies: the stand-in's sendMessage log against the approvals."""
    expected = {
        (int(r.reply_target["chat_id"]), int(r.reply_target["message_id"])): r.text
        for r in rows
        if r.draft_id in approved
    }
    seen: Counter[tuple[int, int]] = Counter()
    wrong_text = 0
    for message in telegram.sent_messages():
        chat, reply = message["chat"], message.get("reply_to_message")
        assert isinstance(chat, dict)
        assert reply is None or isinstance(reply, dict)
        key = (int(chat["id"]), int(reply["message_id"]) if reply else -1)
        seen[key] += 1
        wrong_text += key in expected and expected[key] != message["text"]
    never_queued = len(approved) - len(expected)
    lost = never_queued + wrong_text + sum(1 for key in expected if seen[key] == 0)
    extra = sum(c - 1 for c in seen.values() if c > 1)
    extra += sum(c for key, c in seen.items() if key not in expected)
    return lost, extra


async def run_pipeline(n: int, embedder: Embedder, use_slack: bool) -> Result:
    with (
        temp_dir() as root,
        TelegramStandIn(token=TOKEN) as telegram,
        SlackStandIn(token=SLACK_TOKEN) as slack,
    ):
        telegram_settings = {"telegram_bot_token": TOKEN, "telegram_api_url": telegram.url}
        runtime, board = await build(
            root, slack if use_slack else None, embedder, **telegram_settings
        )
        has_slack = any(getattr(r, "path", "") == "/slack/events" for r in runtime.routes)
        server = uvicorn.Server(
            uvicorn.Config(runtime.asgi(), host="127.0.0.1", port=0, log_level="warning")
        )
        task = asyncio.create_task(server.serve())
        await until(lambda: server.started, "the server")
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        pushed = time.time()
        for i, (user, name, text) in enumerate(customers(n)):
            update = stand_ins.make_text_update(10_000 + i, text, user, user, name, "de", i + 1)
            telegram.push_update(update)
        await until(lambda: len(board.first_card) >= n, "cards")
        carded = time.time()
        approved, direct = await approve_all(runtime, url if has_slack else None)
        rows = await settled(runtime, len(approved))
        done = time.time()
        latencies = await receipt_to_card(runtime, board)
        server.should_exit = True
        await task
        lost, duplicates = compare(telegram, rows, approved)
    name = "Telegram polling → Slack" if has_slack else "Telegram polling"
    sent = sum(r.state is DeliveryState.SENT for r in rows)
    push_p95 = percentile([t - pushed for t in board.first_card.values()], 95)
    rates = (n / (carded - pushed), latencies, len(approved) / (done - carded), done - pushed)
    return Result(name, *rates, sent, direct, lost, duplicates, push_p95)


async def run_baseline(n: int, embedder: Embedder, use_slack: bool) -> Result:
    with temp_dir() as root, SlackStandIn(token=SLACK_TOKEN) as slack:
        runtime, board = await build(root, slack if use_slack else None, embedder)
        await runtime.desk.db.migrate()
        started = time.time()
        for i, (user, name, text) in enumerate(customers(n)):
            target = {"chat_id": str(user), "message_id": str(i + 1)}
            inbound = InboundMessage(
                Channel.TELEGRAM, str(10_000 + i), text, str(user), name, "de", reply_target=target
            )
            await take_in(runtime.desk, inbound)
        carded = time.time()
        approved, direct = await approve_all(runtime, None)
        sender = RecordingSender(Channel.TELEGRAM)
        await DeliveryWorker(runtime.desk, {Channel.TELEGRAM: sender}).run_until_idle()
        done = time.time()
        latencies = await receipt_to_card(runtime, board)
        await runtime.desk.db.dispose()
    sends = Counter(d.draft_id for d in sender.sent)
    lost = sum(1 for d in approved if sends[d] == 0)
    duplicates = sum(c - 1 for c in sends.values() if c > 1)
    rates = (n / (carded - started), latencies, len(approved) / (done - carded), done - started)
    return Result("baseline: take_in directly", *rates, len(sender.sent), direct, lost, duplicates)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enquiries", type=int, default=1000)
    parser.add_argument("--approvals", choices=["slack", "direct"], default="slack")
    args = parser.parse_args()
    embedder = UseEmbedder()
    embedder.embed_query("warm-up")
    use_slack = args.approvals == "slack"  # falls back to direct if Slack is not wired
    results = [
        await run_baseline(args.enquiries, embedder, use_slack),
        await run_pipeline(args.enquiries, embedder, use_slack),
    ]
    table(f"{args.enquiries} enquiries to delivered replies", COLUMNS, [r.row() for r in results])
    for r in results:
        print(f"{r.name}: lost: {r.lost}, duplicates: {r.duplicates}")


if __name__ == "__main__":
    asyncio.run(main())
