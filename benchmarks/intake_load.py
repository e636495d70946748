"""Benchmark: webhook intake under open-loop load, 1 and 3 replicas on one PostgreSQL database.

Real `replydesk serve` processes (the fault suite's harness, tests/fault/service.py) with the
generic webhook and Slack (stand-in) on, the offline drafter and the hashing embedder. For
each offered rate, signed generic-webhook enquiries are sent open-loop for `--duration`
seconds, spread round-robin over the replicas; each request's latency is counted from its
scheduled send time to the answer, so a client that falls behind does not hide queueing.

Per rate it prints: enquiries/s accepted (200s per second of sending), acknowledgement
latency p50/p95/p99/max, non-200 answers, lost (acknowledged but not in the database, or
never on a card) and the time for drafting to catch up (last 200 → every card posted), next
to the audit's baseline (1 process before issue 12: 20 enquiries/s with p95 ≤ 1 s; at 40/s
p95 1.7 s) and the issue's goal (p99 ≤ 50 ms at 200 enquiries/s accepted, no loss).

    .venv/bin/python benchmarks/intake_load.py [--quick] [--rates 20,40,100,200]
        [--replicas 1,3] [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _common import REPO_ROOT, console, percentile, table, temp_dir

sys.path.insert(0, str(REPO_ROOT))  # the harness and the stand-ins live in tests/

from tests.fault.databases import (  # noqa: E402
    Tables,
    fresh_postgres_database,
    postgres_unavailable,
)
from tests.fault.service import (  # noqa: E402
    REVIEW_CHANNEL,
    SLACK_BOT_TOKEN,
    ServiceProcess,
    free_port,
    platform_settings,
    service_env,
    start_all,
    stop_all,
)
from tests.fault.traffic import GENERIC_PATH, generic_enquiry, signed_generic  # noqa: E402
from tests.fault.workload import QUESTIONS, new_run_id  # noqa: E402
from tests.stand_ins import ReplyReceiver, SlackStandIn  # noqa: E402

# The audit's figures for one process before issue 12 (same offline drafter, SQLite).
AUDIT_P95_MS = {20: "≤ 1000", 40: "1700"}
GOAL = "p99 ≤ 50 ms at 200/s accepted, lost 0"
COLUMNS = ["replicas", "offered/s", "sent", "accepted/s", "p50 ms", "p95 ms", "p99 ms"]
COLUMNS += ["max ms", "non-200", "lost", "catch-up s", "cards/s", "audit p95 ms (1 proc)"]
CATCH_UP_LIMIT = 300.0


@dataclass
class Step:
    """One offered rate against one set of replicas."""

    replicas: str
    rate: int
    latencies: list[float] = field(default_factory=list)  # seconds, scheduled → answer
    statuses: list[int] = field(default_factory=list)  # 0: no answer
    sending: float = 0.0  # first scheduled send → last answer
    lost: int = 0
    catch_up: float = float("nan")

    def row(self) -> list[object]:
        accepted = sum(s == 200 for s in self.statuses)
        ms = [1000 * latency for latency in self.latencies]
        others = Counter(s for s in self.statuses if s != 200)
        carding = self.sending + self.catch_up
        return [
            self.replicas,
            self.rate,
            len(self.statuses),
            f"{accepted / self.sending:.1f}" if self.sending else "–",
            *(f"{percentile(ms, q):.0f}" for q in (50, 95, 99)),
            f"{max(ms, default=float('nan')):.0f}",
            ", ".join(f"{n}× {s or 'none'}" for s, n in sorted(others.items())) or "0",
            self.lost,
            f"{self.catch_up:.1f}",
            f"{accepted / carding:.1f}" if carding == carding else "–",
            AUDIT_P95_MS.get(self.rate, "–") if self.replicas == "1" else "–",
        ]


async def offer(
    client: httpx.AsyncClient, urls: list[str], reply_url: str, step: Step, duration: float
) -> str:
    """Send `step.rate` enquiries a second for `duration` seconds; return the marker prefix."""
    run = new_run_id()
    count = int(step.rate * duration)
    started = time.monotonic() + 0.2

    async def one(n: int) -> None:
        due = started + n / step.rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        text = f"{QUESTIONS[n % len(QUESTIONS)]} [{run}-{n:05d}]"
        body = generic_enquiry(f"load-{run}-{n}", text, reply_url, f"load-{run}-{n}")
        try:
            response = await client.post(
                f"{urls[n % len(urls)]}{GENERIC_PATH}", content=body, headers=signed_generic(body)
            )
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        step.latencies.append(time.monotonic() - due)
        step.statuses.append(status)

    await asyncio.gather(*(one(n) for n in range(count)))
    step.sending = time.monotonic() - started
    return run


def cards_showing(
    slack: SlackStandIn, pattern: re.Pattern[str], cache: dict[str, set[str]]
) -> set[str]:
    """Markers (of one run) on the top-level cards in the review channel."""
    found: set[str] = set()
    for message in slack.messages(REVIEW_CHANNEL):
        if message.thread_ts is None:
            key = f"{message.ts}/{message.edits}"
            if key not in cache:
                cache[key] = set(pattern.findall(json.dumps(message.blocks)))
            found |= cache[key]
    return found


async def catch_up(
    step: Step, run: str, tables: Tables, slack: SlackStandIn, acknowledged: int
) -> None:
    """Wait until every stored enquiry of `run` is on a card; count the lost ones."""
    pattern = re.compile(rf"\[{run}-(\d{{5}})\]")
    cache: dict[str, set[str]] = {}
    started = time.monotonic()
    stored: set[str] = set()
    while time.monotonic() - started < CATCH_UP_LIMIT:
        texts = await asyncio.to_thread(
            tables.column, "SELECT text FROM enquiries WHERE text LIKE :like", like=f"%[{run}-%"
        )
        stored = {m for text in texts for m in pattern.findall(str(text))}
        carded = await asyncio.to_thread(cards_showing, slack, pattern, cache)
        if len(stored) >= acknowledged and stored <= carded:
            step.catch_up = time.monotonic() - started
            step.lost = acknowledged - len(stored)
            return
        await asyncio.sleep(0.25)
    carded = await asyncio.to_thread(cards_showing, slack, pattern, cache)
    step.lost = max(acknowledged - len(stored), 0) + len(stored - carded)


def deployment(spec: str) -> list[str]:
    """Roles of the processes a spec names: "3" is three full replicas, "web+worker" two."""
    return ["all"] * int(spec) if spec.isdigit() else spec.split("+")


async def run_replicas(spec: str, rates: list[int], duration: float, root: Path) -> list[Step]:
    """Start the deployment `spec` on a fresh database and offer each rate in turn."""
    steps = []
    roles = deployment(spec)
    with (
        fresh_postgres_database("replydesk_bench") as url,
        SlackStandIn(token=SLACK_BOT_TOKEN) as slack,
        ReplyReceiver() as receiver,
    ):
        settings = platform_settings(slack_url=slack.url)
        replicas = [
            ServiceProcess(
                f"{role}-{i}",
                service_env(
                    url, root / f"{spec}-data-{i}", free_port(), REPLYDESK_ROLE=role, **settings
                ),
                root / f"{spec}-{role}-{i}.log",
            )
            for i, role in enumerate(roles)
        ]
        tables = Tables(url)
        try:
            failures = await asyncio.to_thread(start_all, replicas)
            if failures:
                raise RuntimeError(f"replicas did not start: {failures}")
            limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
            async with httpx.AsyncClient(timeout=30, limits=limits) as client:
                urls = [r.url for r, role in zip(replicas, roles, strict=True) if role != "worker"]
                warm = Step(spec, 5)
                await offer(client, urls, f"{receiver.url}/r", warm, 1.0)
                for rate in rates:
                    step = Step(spec, rate)
                    run = await offer(client, urls, f"{receiver.url}/r", step, duration)
                    acknowledged = sum(s == 200 for s in step.statuses)
                    await catch_up(step, run, tables, slack, acknowledged)
                    console.print(f"{spec}, {rate}/s: {step.row()}")
                    steps.append(step)
        finally:
            tables.dispose()
            await asyncio.to_thread(stop_all, replicas)
    return steps


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20/s and 200/s for 3 s each")
    parser.add_argument("--rates", default="20,40,100,200", help="offered enquiries/s")
    parser.add_argument(
        "--replicas",
        default="1,3,web+worker",
        help="deployments: a number of full replicas, or roles joined by + (web+worker)",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per rate")
    args = parser.parse_args()
    reason = postgres_unavailable()
    if reason is not None:
        console.print(f"[yellow]skipped: {reason}[/yellow]")
        return
    rates = [20, 200] if args.quick else [int(r) for r in args.rates.split(",")]
    duration = 3.0 if args.quick else args.duration
    steps: list[Step] = []
    with temp_dir("replydesk-intake-") as root:
        for spec in args.replicas.split(","):
            steps += await run_replicas(spec, rates, duration, root)
    table(
        f"Generic-webhook intake, open loop, {duration:.0f} s per rate (goal: {GOAL})",
        COLUMNS,
        [step.row() for step in steps],
    )


if __name__ == "__main__":
    asyncio.run(main())
