"""ReplyDesk's App Home: opening it publishes the view each person's roles call for.

Against the Slack stand-in over real HTTP: the `app_home_opened` event is signed for real,
the view arrives through `views.publish`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.faq.embedders import UseEmbedder
from bot.faq.response_targets import BusinessHours, ResponseTargets
from bot.models import Channel, DraftAction
from bot.slack.home import HomeFacts, HomeRoles, build_home_view
from bot.slack.home_leads import duration
from bot.storage.review_queue import WaitingCard
from tests.slack.harness import (
    OUTSIDER,
    REVIEWER,
    ServedApp,
    eventually,
    served_app,
    slack_settings,
)
from tests.stand_ins import JSONObject, SlackStandIn, event_callback_body

LEAD = "U_LEAD"
EDITOR = "U_EDITOR"
NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)  # a Monday, 10:30 in Berlin


@pytest.fixture
async def app(
    slack: SlackStandIn, tmp_path: Path, use_embedder: UseEmbedder
) -> AsyncIterator[ServedApp]:
    settings = slack_settings(
        tmp_path, slack, slack_leads=LEAD, slack_knowledge_editors=f"{EDITOR},{LEAD}"
    )
    async with served_app(settings, slack, use_embedder) as served:
        yield served


async def open_home(app: ServedApp, user: str) -> JSONObject:
    event: JSONObject = {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"}
    response = await app.post(event_callback_body(event, f"Ev{user}"))
    assert response.status_code == 200
    await eventually(lambda: app.stand_in.home(user) is not None)
    view = app.stand_in.home(user)
    assert view is not None
    return view


def blocks_of(view: JSONObject) -> list[JSONObject]:
    blocks = view.get("blocks")
    assert isinstance(blocks, list)
    return [block for block in blocks if isinstance(block, dict)]


def text_of(view: JSONObject) -> str:
    parts = []
    for block in blocks_of(view):
        assert isinstance(block, dict)
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text", "")))
        elements = block.get("elements")
        for element in elements if isinstance(elements, list) else []:
            if isinstance(element, dict):
                parts.append(str(element.get("text", "")))
    return "\n".join(parts)


class TestOpeningTheHome:
    async def test_a_reviewer_sees_the_card_waiting_with_its_age(self, app: ServedApp) -> None:
        await app.enquire()

        text = text_of(await open_home(app, REVIEWER))

        assert "Waiting for review" in text
        assert "Slack" in text and "waiting 0 min" in text and "open card" in text
        assert "Knowledge" not in text

    async def test_an_editor_sees_the_knowledge_to_look_after_not_the_cards(
        self, app: ServedApp
    ) -> None:
        text = text_of(await open_home(app, EDITOR))

        assert "Knowledge" in text and "Never cited" in text
        assert "Waiting for review" not in text

    async def test_a_lead_who_edits_knowledge_sees_both(self, app: ServedApp) -> None:
        text = text_of(await open_home(app, LEAD))

        assert "Waiting for review" in text and "Knowledge" in text

    async def test_someone_without_a_role_gets_only_the_header(self, app: ServedApp) -> None:
        view = await open_home(app, OUTSIDER)

        assert [block["type"] for block in blocks_of(view)] == ["header"]


class TestTheView:
    targets = ResponseTargets(
        hours=BusinessHours("Europe/Berlin", frozenset(range(5)), dt.time(8), dt.time(18)),
        per_channel={"x": 3600.0, "telegram": 4 * 3600.0},
    )

    def card(
        self, channel: Channel, received: dt.datetime, owner: str | None = None
    ) -> WaitingCard:
        return WaitingCard(
            f"c-{channel.value}", channel, received, DraftAction.REVIEW, owner, "C_REVIEW", "1.2"
        )

    def test_ages_count_business_hours_and_turn_at_risk_then_overdue(self) -> None:
        friday_evening = dt.datetime(2026, 12, 4, 16, 50, tzinfo=dt.UTC)  # 17:50 Berlin
        facts = HomeFacts(
            now=NOW,
            targets=self.targets,
            waiting=[
                self.card(Channel.X, friday_evening),  # 10 + 150 business minutes: overdue
                self.card(Channel.TELEGRAM, NOW - dt.timedelta(hours=2)),  # 2 h of 4: on track
            ],
        )

        text = text_of(build_home_view(REVIEWER, HomeRoles(reviewer=True), facts))

        assert "overdue: 2 h 40 min of 1 h 00 min" in text
        assert "2 h 00 min of 4 h 00 min" in text
        assert text.index("overdue") < text.index("of 4 h")  # oldest first

    def test_cards_escalated_to_the_person_are_listed_apart(self) -> None:
        facts = HomeFacts(
            now=NOW,
            targets=ResponseTargets(),
            waiting=[self.card(Channel.X, NOW, owner=REVIEWER), self.card(Channel.TELEGRAM, NOW)],
        )

        text = text_of(build_home_view(REVIEWER, HomeRoles(reviewer=True), facts))

        escalated = text[text.index("Escalated to you") :]
        assert "X" in escalated and "Telegram" not in escalated

    def test_durations_read_naturally(self) -> None:
        assert [duration(s) for s in (59, 600, 3 * 3600 + 300, 50 * 3600)] == [
            "0 min",
            "10 min",
            "3 h 05 min",
            "2 d 2 h",
        ]
