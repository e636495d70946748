"""The comms lead's report and the App Home on PostgreSQL with 10,000 enquiries over 90 days.

Times `period_report` for 90 and 7 days beside today's all-time `build_report` (the
baseline), the per-enquiry CSV export of 90 days, and what opening the App Home costs: the
waiting cards read and rendered (reviewers, leads), the cited entries read (editors).
Seeds a uniquely named scratch database, dropped afterwards, so `test` stays clean.

    .venv/bin/python benchmarks/lead_report.py [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import io
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SEED, percentile, table  # noqa: E402

from bot.faq.response_targets import BusinessHours, ResponseTargets
from bot.slack.home import HomeFacts, HomeRoles, build_home_view
from bot.storage import Database
from bot.storage.report_period import period_report
from bot.storage.reports import build_report, write_enquiry_csv
from bot.storage.review_queue import cited_entry_ids, waiting_for_review
from bot.storage.tables import (
    card_states,
    conversations,
    decisions,
    deliveries,
    drafts,
    enquiries,
)

ENQUIRIES = 10_000
DAYS = 90
NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=dt.UTC)
TARGETS = ResponseTargets(
    hours=BusinessHours("Europe/Berlin", frozenset(range(5)), dt.time(9), dt.time(17)),
    per_channel={"facebook": 3600.0, "instagram": 3600.0, "telegram": 4 * 3600.0},
)
CHANNELS = ("telegram", "facebook", "instagram", "x")
POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def _postgres_unavailable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"no PostgreSQL server answers at 127.0.0.1:5432 ({exc})"
    return None


@contextlib.contextmanager
def _scratch_database() -> Iterator[str]:
    """A uniquely named empty database, dropped afterwards."""
    name = f"replydesk_bench_lead_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows() -> dict[str, list[dict[str, object]]]:
    """Conversations of one to three messages; most decided, most approvals sent."""
    rng = random.Random(SEED)
    rows: dict[str, list[dict[str, object]]] = {
        "conversations": [],
        "enquiries": [],
        "drafts": [],
        "decisions": [],
        "deliveries": [],
        "card_states": [],
    }
    made = 0
    while made < ENQUIRIES:
        conversation = f"c{made}"
        channel = rng.choice(CHANNELS)
        start = NOW - dt.timedelta(seconds=rng.uniform(0, DAYS * 86400))
        messages = min(rng.choice((1, 1, 1, 2, 3)), ENQUIRIES - made)
        rows["conversations"].append(
            {
                "id": conversation,
                "channel": channel,
                "author_id": conversation,
                "opened_at": start,
                "last_message_at": start,
            }
        )
        received = start
        for number in range(messages):
            enquiry = f"e{made}"
            received = start + dt.timedelta(minutes=3 * number)
            rows["enquiries"].append(
                {
                    "id": enquiry,
                    "channel": channel,
                    "external_id": enquiry,
                    "text": "Wann habt ihr geöffnet?",
                    "author_id": conversation,
                    "author_name": "Kundin",
                    "language_hint": "de",
                    "kind": "text",
                    "conversation_id": conversation,
                    "reply_target": {},
                    "received_at": received,
                }
            )
            made += 1
        draft = f"d{made}"
        created = received + dt.timedelta(seconds=rng.uniform(5, 60))
        escalate = rng.random() < 0.1
        rows["drafts"].append(
            {
                "id": draft,
                "enquiry_id": enquiry,
                "revision": 1,
                "text": "Ab 9 Uhr.",
                "language": "de",
                "action": "escalate" if escalate else "review",
                "confidence": rng.random(),
                "citations": [] if escalate else ["opening-hours"],
                "guideline_clauses": [],
                "flags": ["no_matching_entry"] if escalate else [],
                "cited_hashes": {},
                "drafter": "openai:gpt-4o-mini",
                "prompt_tokens": 800,
                "completion_tokens": 60,
                "superseded": False,
                "created_at": created,
                "private_followup": None,
            }
        )
        rows["card_states"].append(
            {
                "conversation_id": conversation,
                "root_enquiry_id": f"e{made - messages}",
                "owner": None,
                "drafting": "done",
                "needs_publish": False,
                "updated_at": created,
            }
        )
        decided = created + dt.timedelta(seconds=rng.expovariate(1 / 5400))
        if decided > NOW or rng.random() < 0.05:
            continue  # still waiting
        kind = rng.choices(("approved", "edited", "rejected"), (70, 20, 10))[0]
        rows["decisions"].append(
            {
                "id": f"x{made}",
                "draft_id": draft,
                "kind": kind,
                "decided_by": "U1",
                "final_text": "Ab 9 Uhr.",
                "reason": "wrong tone" if kind == "rejected" else None,
                "decided_at": decided,
            }
        )
        if kind != "rejected":
            sent = decided + dt.timedelta(seconds=rng.uniform(1, 30))
            rows["deliveries"].append(
                {
                    "id": f"y{made}",
                    "draft_id": draft,
                    "channel": channel,
                    "text": "Ab 9 Uhr.",
                    "reply_target": {},
                    "state": "sent",
                    "attempts": 1,
                    "next_attempt_at": decided,
                    "created_at": decided,
                    "updated_at": sent,
                }
            )
    return rows


async def _seed(db: Database) -> None:
    rows = _rows()
    async with db.engine.begin() as conn:
        for name, target in (
            ("conversations", conversations),
            ("enquiries", enquiries),
            ("drafts", drafts),
            ("card_states", card_states),
            ("decisions", decisions),
            ("deliveries", deliveries),
        ):
            await conn.execute(sa.insert(target), rows[name])
        await conn.execute(sa.text("ANALYZE"))


async def _time(
    db: Database, runs: int, work: Callable[[AsyncConnection], Awaitable[object]]
) -> list[float]:
    samples = []
    async with db.engine.connect() as conn:
        await work(conn)  # warm up
        for _ in range(runs):
            started = time.perf_counter()
            await work(conn)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


async def _home_view(conn: AsyncConnection) -> dict[str, object]:
    waiting = await waiting_for_review(conn, limit=500)
    facts = HomeFacts(now=NOW, targets=TARGETS, waiting=waiting)
    return build_home_view("U_REVIEWER", HomeRoles(reviewer=True), facts)


async def _lead_home(conn: AsyncConnection) -> dict[str, object]:
    waiting = await waiting_for_review(conn, limit=500)
    report = await period_report(conn, NOW - dt.timedelta(days=30), NOW, TARGETS, NOW)
    facts = HomeFacts(now=NOW, targets=TARGETS, waiting=waiting, report=report, period_days=30)
    return build_home_view("U_LEAD", HomeRoles(reviewer=True, lead=True), facts)


async def _measure(url: str, runs: int) -> list[list[object]]:
    db = Database(url)
    try:
        await db.migrate()
        await _seed(db)
        since_90 = NOW - dt.timedelta(days=DAYS)
        since_7 = NOW - dt.timedelta(days=7)
        async with db.engine.connect() as conn:
            in_90 = (await period_report(conn, since_90, NOW, TARGETS, NOW)).enquiries
            in_7 = (await period_report(conn, since_7, NOW, TARGETS, NOW)).enquiries
            in_30 = (
                await period_report(conn, NOW - dt.timedelta(days=30), NOW, TARGETS, NOW)
            ).enquiries
        cases = (
            ("baseline: build_report, all time", ENQUIRIES, lambda conn: build_report(conn)),
            (
                "period_report, 90 days",
                in_90,
                lambda conn: period_report(conn, since_90, NOW, TARGETS, NOW),
            ),
            (
                "period_report, 7 days",
                in_7,
                lambda conn: period_report(conn, since_7, NOW, TARGETS, NOW),
            ),
            (
                "write_enquiry_csv, 90 days",
                in_90,
                lambda conn: write_enquiry_csv(conn, since_90, NOW, TARGETS, io.StringIO(), NOW),
            ),
            ("App Home: waiting cards, read and rendered", ENQUIRIES, _home_view),
            ("App Home: a lead's home, 30-day report", in_30, _lead_home),
            ("App Home: entries ever cited (editors)", ENQUIRIES, cited_entry_ids),
        )
        results = []
        for name, count, work in cases:
            samples = await _time(db, runs, work)
            results.append([name, count, statistics.median(samples), percentile(samples, 95)])
        return results
    finally:
        await db.dispose()


def main() -> None:
    """Seed a scratch database, time the report, print the table, drop the database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    reason = _postgres_unavailable()
    if reason is not None:
        print(f"skipped: {reason}")  # noqa: T201
        return
    with _scratch_database() as url:
        rows = asyncio.run(_measure(url, args.runs))
    table(
        f"Comms lead's report on PostgreSQL, {ENQUIRIES:,} enquiries over {DAYS} days"
        f" ({args.runs} runs after one warm-up)",
        ("query", "enquiries", "median ms", "p95 ms"),
        rows,
    )


if __name__ == "__main__":
    main()
