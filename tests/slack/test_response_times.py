"""Response-time targets over real HTTP: the card shows its wait and one reminder is posted.

The app runs against the Slack stand-in on SQLite and on PostgreSQL (where a server
answers), with a test clock the test moves forward. Two reminder jobs run at once, as two
replicas would: the database lets exactly one of them remind.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import Runtime
from bot.faq.embedders import UseEmbedder
from bot.jobs.reminders import remind_forever
from bot.services.response_times import remind_due_cards
from bot.slack.blocks import Action
from tests.conftest import FIXTURE_KNOWLEDGE
from tests.fault.databases import fresh_postgres_database, postgres_unavailable
from tests.services.harness import Clock
from tests.slack.harness import (
    REVIEW_CHANNEL,
    ServedApp,
    card_text,
    draft_id_on,
    eventually,
    review_card,
    served_app,
    slack_settings,
    thread_replies,
)
from tests.stand_ins import SlackStandIn

# No business hours given: every minute counts, so the test does not depend on the weekday.
TARGETS = "response_times:\n  targets: {slack: 60m, telegram: 4h}\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'replydesk.sqlite3'}"
        return
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    with fresh_postgres_database("replydesk_targets") as url:
        yield url


@pytest.fixture
def knowledge_with_targets(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, folder)
    for path in (folder / "guidelines").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("---\n")
        path.write_text("---\n" + TARGETS + text.removeprefix("---\n"), encoding="utf-8")
    return folder


@pytest.fixture
async def app(
    slack: SlackStandIn,
    tmp_path: Path,
    use_embedder: UseEmbedder,
    database_url: str,
    knowledge_with_targets: Path,
) -> AsyncIterator[ServedApp]:
    settings = slack_settings(
        tmp_path, slack, database_url=database_url, knowledge_dir=knowledge_with_targets
    )

    async def on_test_clock(runtime: Runtime) -> None:
        runtime.desk.clock = Clock()
        # The test runs the reminder jobs itself, two at once, on a short interval.
        runtime.background = [
            job for job in runtime.background if getattr(job, "__name__", "") != "reminding"
        ]

    async with served_app(settings, slack, use_embedder, before_serving=on_test_clock) as served:
        yield served


def reminders(slack: SlackStandIn) -> list[str]:
    card = review_card(slack)
    return [m.text for m in thread_replies(slack, REVIEW_CHANNEL, card.ts) if "waited" in m.text]


class TestResponseTimeTargets:
    async def test_a_card_crosses_at_risk_on_a_test_clock_and_gets_exactly_one_reminder(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        desk = app.runtime.desk
        clock = desk.clock
        assert isinstance(clock, Clock)
        await app.enquire()
        assert ":stopwatch: 0 min of 60 min" in card_text(review_card(slack))

        clock.now += dt.timedelta(minutes=50)
        # Two replicas' rounds at the same moment: both read the card as not reminded yet.
        handled = await asyncio.gather(remind_due_cards(desk), remind_due_cards(desk))
        await eventually(lambda: "*At risk:* 50 min of 60 min" in card_text(review_card(slack)))
        at_risk = reminders(slack)
        # Then two reminder jobs keep running, as on two replicas, while the card turns overdue.
        stop = asyncio.Event()
        replicas = [asyncio.create_task(remind_forever(desk, stop, 0.02)) for _ in range(2)]
        try:
            await asyncio.sleep(0.3)  # many rounds of both jobs while the card is at risk
            clock.now += dt.timedelta(minutes=20)
            await eventually(lambda: "*Overdue:* 70 min of 60 min" in card_text(review_card(slack)))
            await asyncio.sleep(0.3)
        finally:
            stop.set()
            await asyncio.gather(*replicas)

        assert sorted(handled) == [0, 1]
        assert len(at_risk) == 1
        assert "at risk" in at_risk[0] and "50 min of 60 min" in at_risk[0]
        assert reminders(slack) == at_risk  # overdue republishes the card, reminds no more

    async def test_a_decided_card_shows_no_wait_and_is_not_reminded_about(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        clock = app.runtime.desk.clock
        assert isinstance(clock, Clock)
        await app.enquire()

        await app.click(Action.APPROVE, draft_id_on(review_card(slack)))
        await eventually(lambda: "Sent (message id" in card_text(review_card(slack)))
        clock.now += dt.timedelta(hours=2)

        assert await remind_due_cards(app.runtime.desk) == 0
        assert reminders(slack) == []
        assert " of 60 min" not in card_text(review_card(slack))
