"""Three replicas on one PostgreSQL database act as one service.

The replicas start at the same moment on a fresh, empty database (each runs the migrations
at start-up; none may crash), then share one Slack, one reply receiver and the traffic:
enquiries and clicks go to the replicas in turn (a double click to two replicas at once),
one customer's two simultaneous messages arrive on two different replicas, and replicas are
SIGKILLed one at a time while the work is in flight (aimed: after an enquiry's 200, while
posting a card, as a reply reaches the customer).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.fault.conftest import require_postgres
from tests.fault.databases import Tables, fresh_postgres_database
from tests.fault.invariants import judge, settle
from tests.fault.service import (
    SLACK_BOT_TOKEN,
    ServiceProcess,
    free_port,
    platform_settings,
    service_env,
    start_all,
    stop_all,
)
from tests.fault.traffic import GENERIC_PATH, deliver, generic_enquiry
from tests.fault.tripwires import (
    AimedKill,
    TrippingReceiver,
    TrippingSlack,
    always,
    is_card_post_by,
    is_reply,
    kill_at,
)
from tests.fault.workload import Workload

REPLICAS = 3
ENQUIRIES = 200
APPROVE_EVERY = 2
PACE = 0.1  # the traffic spans the kills
PAIRS = 10
SETTLE_SECONDS = 30.0


@dataclass
class Cluster:
    """Replicas sharing a database and the stand-ins; `start_failures` from the first start."""

    database_url: str
    replicas: list[ServiceProcess]
    slack: TrippingSlack
    receiver: TrippingReceiver
    start_failures: dict[str, str]

    @property
    def urls(self) -> list[str]:
        return [replica.url for replica in self.replicas]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three replicas started at the same moment on a fresh database.

    A replica that fails its first start is started again (the database is migrated by
    then), so the other tests still run; the first test reports the failure.
    """
    require_postgres()
    root = tmp_path_factory.mktemp("replicas")
    with (
        fresh_postgres_database() as url,
        TrippingSlack(token=SLACK_BOT_TOKEN) as slack,
        TrippingReceiver() as receiver,
    ):
        replicas = [
            ServiceProcess(
                f"replica-{i}",
                service_env(
                    url,
                    root / f"data-{i}",
                    free_port(),
                    # Each replica calls Slack under its own prefix, so a tripwire knows who.
                    **platform_settings(slack_url=f"{slack.url}/replica-{i}"),
                ),
                root / f"replica-{i}.log",
            )
            for i in range(REPLICAS)
        ]
        try:
            failures = start_all(replicas)
            for replica in replicas:
                if replica.name in failures:
                    replica.start()
            yield Cluster(url, replicas, slack, receiver, failures)
        finally:
            stop_all(replicas)


class TestReplicas:
    def test_replicas_started_together_on_a_fresh_database_all_serve(
        self, cluster: Cluster
    ) -> None:
        assert not cluster.start_failures, "\n\n".join(cluster.start_failures.values())

    async def test_one_customers_simultaneous_messages_on_two_replicas_make_one_card(
        self, cluster: Cluster
    ) -> None:
        workload = Workload(2 * PAIRS, f"{cluster.receiver.url}/replies", approve_every=10**6)
        for enquiry in workload.enquiries:
            enquiry.author_id = f"pair-{workload.run}-{enquiry.number // 2}"
        async with httpx.AsyncClient(timeout=10) as client:
            for url in cluster.urls:  # open the connections first: the pairs start together
                await client.get(f"{url}/healthz")

            async def send(number: int) -> None:
                enquiry = workload.enquiries[number]
                body = generic_enquiry(
                    enquiry.external_id, enquiry.text, workload.reply_url, enquiry.author_id
                )
                # The two messages of pair p go to replicas p and p+1.
                replica = cluster.urls[(number // 2 + number % 2) % REPLICAS]
                enquiry.answer = await deliver(client, [replica], GENERIC_PATH, body)

            await asyncio.gather(*(send(n) for n in range(2 * PAIRS)))
        tables = Tables(cluster.database_url)
        try:
            seen, _ = await settle(
                workload, tables, cluster.slack, cluster.receiver, None, SETTLE_SECONDS
            )
        finally:
            tables.dispose()
        split, doubled = [], []
        posts = workload.card_posts(cluster.slack)
        for pair in range(PAIRS):
            numbers = {2 * pair, 2 * pair + 1}
            conversations = set().union(*(seen.conversations.get(n, set()) for n in numbers))
            if len(conversations) != 1:
                split.append(f"pair {pair}: {len(conversations)} conversations")
            cards = [post for post in posts if post & numbers]
            if len(cards) != 1:
                doubled.append(f"pair {pair}: {len(cards)} cards")
        assert all(e.acknowledged for e in workload.enquiries)
        assert not split and not doubled, f"{split} {doubled}"

    async def test_three_replicas_act_as_one(self, cluster: Cluster) -> None:
        slack, receiver = cluster.slack, cluster.receiver
        workload = Workload(ENQUIRIES, f"{receiver.url}/replies", approve_every=APPROVE_EVERY)
        zero, one, two = cluster.replicas
        # (replica, moment): each replica is killed alone while the others go on; the reply
        # may be sent by any replica, so that kill hits the sender about one time in three.
        reply = AimedKill("replica-2 as a reply reaches the customer", receiver.tripwire, is_reply)
        stored = AimedKill(
            "replica-1 after an enquiry's 200", workload.acknowledged_enquiry, always
        )
        posting = AimedKill(
            "replica-0 posting a card", slack.tripwire, is_card_post_by("replica-0")
        )
        kills = [(two, reply), (one, stored), (zero, posting)]
        rng = random.Random(3)
        started = time.monotonic()
        tables = Tables(cluster.database_url)
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                sent = asyncio.Event()

                async def crash() -> list[str]:
                    hits = []
                    for replica, kill in kills:
                        hits += await kill_at([replica], [kill], rng)
                    return hits

                killer = asyncio.create_task(crash())
                approver = asyncio.create_task(
                    workload.approve(client, cluster.urls, slack, sent, started + 150)
                )
                await workload.send(client, cluster.urls, None, PACE)
                hits = await killer
                sent.set()  # the approver may stop once no new card comes
                await approver
                seen, took = await settle(workload, tables, slack, receiver, None, SETTLE_SECONDS)
        finally:
            tables.dispose()
        verdict = judge(workload, seen)
        verdict.figures |= {
            "kills": hits,
            "settled after s": round(took, 1),
            "test seconds": round(time.monotonic() - started, 1),
        }
        print(verdict.report())
        tails = "\n".join(f"--- {r.name} ---\n{r.log_tail(15)}" for r in cluster.replicas)
        assert verdict.clean, verdict.report() + "\n" + tails
        approved = sum(a.acknowledged for a in workload.approvals.values())
        assert approved >= 0.9 * ENQUIRIES / APPROVE_EVERY, verdict.report()
