"""kill -9 during 300 mixed enquiries and approvals: nothing lost, duplicated or sent unasked.

One service process, on a SQLite file and on PostgreSQL: 200 enquiries (a third by Telegram
polling, the rest by signed generic webhook) and Approve clicks on every second card (100),
while the process is SIGKILLed 5 times and started again on the same port. The kills are
aimed at the moments that matter (see tests/fault/tripwires.py): a card being posted,
Telegram updates being confirmed, right after an approval's 200, a reply reaching the
customer, right after an enquiry's 200.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import httpx

from tests.fault.databases import Tables
from tests.fault.invariants import judge, settle
from tests.fault.service import ServiceProcess, free_port, platform_settings, service_env
from tests.fault.tripwires import (
    AimedKill,
    TrippingReceiver,
    TrippingSlack,
    TrippingTelegram,
    always,
    confirms_updates,
    is_card_post,
    is_reply,
    kill_at,
)
from tests.fault.workload import Workload

ENQUIRIES = 200
APPROVE_EVERY = 2  # 100 approvals: 300 operations
TELEGRAM_EVERY = 3
PACE = 0.12  # seconds between enquiries: the traffic spans the kills
SETTLE_SECONDS = 30.0


class TestCrashes:
    async def test_nothing_is_lost_or_sent_twice_when_the_service_is_killed(
        self,
        database_url: str,
        tmp_path: Path,
        slack: TrippingSlack,
        telegram: TrippingTelegram,
        receiver: TrippingReceiver,
    ) -> None:
        settings = platform_settings(slack_url=slack.url, telegram_url=telegram.url)
        env = service_env(database_url, tmp_path / "data", free_port(), **settings)
        service = ServiceProcess("crashing", env, tmp_path / "service.log")
        tables = Tables(database_url)
        workload = Workload(
            ENQUIRIES,
            f"{receiver.url}/replies",
            approve_every=APPROVE_EVERY,
            telegram_every=TELEGRAM_EVERY,
        )
        kills = [
            AimedKill("an enquiry just acknowledged", workload.acknowledged_enquiry, always),
            AimedKill("a card being posted to Slack", slack.tripwire, is_card_post),
            AimedKill(
                "Telegram updates being confirmed", telegram.tripwire, confirms_updates(telegram)
            ),
            AimedKill("an approval just acknowledged", workload.acknowledged_click, always),
            AimedKill("a reply reaching the customer", receiver.tripwire, is_reply),
        ]
        started = time.monotonic()
        await asyncio.to_thread(service.start)
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                urls = [service.url]
                sent = asyncio.Event()
                killer = asyncio.create_task(kill_at([service], kills, random.Random(12)))
                approver = asyncio.create_task(
                    workload.approve(client, urls, slack, sent, started + 150)
                )
                await workload.send(client, urls, telegram, PACE)
                hits = await killer
                sent.set()  # the approver may stop once no new card comes
                await approver
                seen, took = await settle(
                    workload, tables, slack, receiver, telegram, SETTLE_SECONDS
                )
        finally:
            await asyncio.to_thread(service.stop)
            tables.dispose()
        verdict = judge(workload, seen)
        verdict.figures |= {
            "kills": hits,
            "settled after s": round(took, 1),
            "test seconds": round(time.monotonic() - started, 1),
        }
        print(verdict.report())  # shown with -s
        assert verdict.clean, verdict.report() + "\n--- log tail ---\n" + service.log_tail()
        approved = sum(a.acknowledged for a in workload.approvals.values())
        assert approved >= 0.9 * ENQUIRIES / APPROVE_EVERY, verdict.report()
        assert service.kills == len(kills)
