"""Only signed requests from reviewers change anything, and each decision happens once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.faq.embedders import UseEmbedder
from bot.slack.blocks import Action, Field, Form
from bot.storage import tables
from tests.slack.harness import (
    CUSTOMER_CHANNEL,
    OUTSIDER,
    QUESTION,
    REVIEWER,
    SECOND_REVIEWER,
    SIGNING_SECRET,
    ServedApp,
    card_text,
    count_rows,
    draft_id_on,
    eventually,
    review_card,
    served_app,
    slack_settings,
    thread_replies,
)
from tests.stand_ins import (
    BOT_USER_ID,
    JSONObject,
    SlackStandIn,
    block_actions_body,
    event_callback_body,
    sign_slack_request,
)

ENQUIRY_TS = "1700000000.000001"


@pytest.fixture
async def app(
    slack: SlackStandIn, tmp_path: Path, use_embedder: UseEmbedder
) -> AsyncIterator[ServedApp]:
    async with served_app(slack_settings(tmp_path, slack), slack, use_embedder) as served:
        await served.enquire()
        yield served


def ephemerals(slack: SlackStandIn) -> list[tuple[str, str]]:
    return [
        (str(c.params["user"]), str(c.params["text"])) for c in slack.calls("chat.postEphemeral")
    ]


def customer_replies(slack: SlackStandIn) -> list[str]:
    return [m.text for m in thread_replies(slack, CUSTOMER_CHANNEL, ENQUIRY_TS)]


def approve_body(slack: SlackStandIn, user: str = REVIEWER) -> bytes:
    card = review_card(slack)
    return block_actions_body(Action.APPROVE, draft_id_on(card), user_id=user, message_ts=card.ts)


class TestSlackSafety:
    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param(lambda body: {**sign_slack_request("forged-secret", body)}, id="forged"),
            pytest.param(
                lambda body: sign_slack_request(SIGNING_SECRET, body, int(time.time()) - 301),
                id="stale",
            ),
            pytest.param(
                lambda body: {"Content-Type": "application/x-www-form-urlencoded"}, id="missing"
            ),
        ],
    )
    async def test_unsigned_forged_or_stale_requests_get_401_and_change_nothing(
        self, app: ServedApp, slack: SlackStandIn, headers: object
    ) -> None:
        body = approve_body(slack)
        calls_before = len(slack.calls())
        assert callable(headers)

        response = await app.post(body, headers=headers(body))
        await asyncio.sleep(0.3)  # give a (wrongly) accepted click time to act

        assert response.status_code == 401
        assert len(slack.calls()) == calls_before
        assert await app.count(tables.decisions) == 0
        assert await app.count(tables.deliveries) == 0

    async def test_double_click_and_repeated_interaction_record_one_decision_one_delivery(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        body = approve_body(slack)

        first, second = await asyncio.gather(app.post(body), app.post(body))
        third = await app.post(body)  # Slack re-sending the same interaction

        assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
        await eventually(lambda: "Sent" in card_text(review_card(slack)))
        await eventually(lambda: len(ephemerals(slack)) == 2)
        assert ephemerals(slack) == [(REVIEWER, "Already approved by <@U_REVIEWER>.")] * 2
        assert len(customer_replies(slack)) == 1
        assert await app.count(tables.decisions) == 1
        assert await app.count(tables.deliveries) == 1

    async def test_two_reviewers_at_once_one_wins_the_other_is_told(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        await asyncio.gather(
            app.post(approve_body(slack, REVIEWER)), app.post(approve_body(slack, SECOND_REVIEWER))
        )

        await eventually(lambda: "Sent" in card_text(review_card(slack)))
        await eventually(lambda: len(ephemerals(slack)) == 1)
        [(loser, text)] = ephemerals(slack)
        winner = REVIEWER if loser == SECOND_REVIEWER else SECOND_REVIEWER
        assert text == f"Already approved by <@{winner}>."
        assert f"Approved by <@{winner}>" in card_text(review_card(slack))
        assert len(customer_replies(slack)) == 1
        assert await app.count(tables.decisions) == 1
        assert await app.count(tables.deliveries) == 1

    @pytest.mark.parametrize(
        "action", [Action.APPROVE, Action.EDIT, Action.REJECT, Action.ESCALATE]
    )
    async def test_non_reviewer_click_changes_nothing_and_only_they_are_told(
        self, app: ServedApp, slack: SlackStandIn, action: Action
    ) -> None:
        card = review_card(slack)

        await app.click(action, draft_id_on(card), user=OUTSIDER)

        await eventually(lambda: len(ephemerals(slack)) == 1)
        [(user, text)] = ephemerals(slack)
        assert user == OUTSIDER and "Only reviewers can do this" in text
        assert slack.count("views.open") == 0
        assert slack.count("chat.update") == 0
        assert review_card(slack).blocks == card.blocks
        assert await app.count(tables.decisions) == 0
        assert await app.count(tables.deliveries) == 0

    async def test_non_reviewer_modal_submission_changes_nothing(
        self, app: ServedApp, slack: SlackStandIn
    ) -> None:
        draft_id = draft_id_on(review_card(slack))
        metadata = json.dumps({"draft_id": draft_id, "send_anyway": False})

        response = await app.submit(
            Form.EDIT, metadata, {Field.REPLY: {"value": "Hallo!"}}, user=OUTSIDER
        )

        assert response.status_code == 200
        await eventually(lambda: len(ephemerals(slack)) == 1)
        assert await app.count(tables.decisions) == 0
        assert customer_replies(slack) == []


class TestReviewerGroup:
    async def test_group_members_may_decide_and_others_may_not(
        self, slack: SlackStandIn, tmp_path: Path, use_embedder: UseEmbedder
    ) -> None:
        slack.set_usergroup("S_REVIEWERS", ["U_MEMBER"])
        settings = slack_settings(
            tmp_path, slack, slack_reviewers="", slack_reviewer_group="S_REVIEWERS"
        )
        async with served_app(settings, slack, use_embedder) as app:
            await app.enquire()

            await app.post(approve_body(slack, OUTSIDER))
            await eventually(lambda: len(ephemerals(slack)) == 1)
            assert await app.count(tables.decisions) == 0

            await app.post(approve_body(slack, "U_MEMBER"))
            await eventually(lambda: len(customer_replies(slack)) == 1)
            assert slack.count("usergroups.users.list") == 1  # cached between the clicks


class TestRetriedEvents:
    async def test_retried_mention_event_makes_one_enquiry_one_decision_one_delivery(
        self, slack: SlackStandIn, tmp_path: Path, use_embedder: UseEmbedder
    ) -> None:
        event: JSONObject = {
            "type": "app_mention",
            "user": "U_ANNA",
            "text": f"<@{BOT_USER_ID}> {QUESTION}",
            "channel": CUSTOMER_CHANNEL,
            "ts": ENQUIRY_TS,
            "event_ts": ENQUIRY_TS,
        }
        body = event_callback_body(event, "Ev0001")
        settings = slack_settings(tmp_path, slack)
        async with served_app(settings, slack, use_embedder) as app:
            first = await app.post(body)
            await eventually(lambda: "Awaiting review" in card_text(review_card(slack)))
            retry = {**sign_slack_request(SIGNING_SECRET, body), "X-Slack-Retry-Num": "1"}
            retry["X-Slack-Retry-Reason"] = "http_timeout"
            again = await app.post(body, headers=retry)
            await app.click(Action.APPROVE, draft_id_on(review_card(slack)))
            await eventually(lambda: "Sent" in card_text(review_card(slack)))
        # The app has stopped, so every piece of work it acknowledged has finished.

        assert (first.status_code, again.status_code) == (200, 200)
        assert slack.count("users.info") == 1  # the retry did not even look the author up
        assert len([m for m in slack.messages() if m.thread_ts is None]) == 1  # one card
        assert len(customer_replies(slack)) == 1
        for table in (tables.enquiries, tables.decisions, tables.deliveries):
            assert await count_rows(settings, table) == 1
        assert await count_rows(settings, tables.processed_events) == 1
