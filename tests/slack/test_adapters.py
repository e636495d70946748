"""The Slack board, reply sender and reviewer directory against the Slack stand-in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import PermanentError, RateLimitedError, TransientError
from bot.models import Channel, Delivery
from bot.ports import CardRef
from bot.review import CardMessage, CardStatus, ReviewCard
from bot.settings import Settings
from bot.slack.board import SlackReviewBoard
from bot.slack.reviewers import Permission, ReviewerDirectory
from bot.slack.sender import SlackReplySender
from bot.slack.wiring import build_slack_client
from tests.stand_ins import SlackStandIn

TOKEN = "xoxb-test"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(token=TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    """The client exactly as the app builds it, retry handlers included."""
    return build_slack_client(Settings(slack_bot_token=TOKEN, slack_api_url=f"{slack.url}/api/"))


def card() -> ReviewCard:
    message = CardMessage("e1", "Hallo <!channel>", "text", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    return ReviewCard("c1", "e1", Channel.TELEGRAM, "Anna", (message,), CardStatus.DRAFTING)


def delivery(**target: str) -> Delivery:
    return Delivery("v1", "d1", Channel.SLACK, "Danke <3 & bis bald", reply_target=target)


class TestSlackReviewBoard:
    async def test_card_is_posted_then_updated_in_place(
        self, slack: SlackStandIn, client: AsyncWebClient
    ) -> None:
        board = SlackReviewBoard(client, "C_REVIEW")
        ref = await board.publish(card(), None)
        again = await board.publish(card(), ref)
        assert again == ref
        assert slack.message("C_REVIEW", ref.ts).edits == 1
        assert "&lt;!channel&gt;" in str(slack.message("C_REVIEW", ref.ts).blocks)

    async def test_card_deleted_in_slack_is_posted_again(
        self, slack: SlackStandIn, client: AsyncWebClient
    ) -> None:
        board = SlackReviewBoard(client, "C_REVIEW")
        ref = await board.publish(card(), CardRef("C_REVIEW", "1.000000"))
        assert ref.ts != "1.000000"
        assert slack.count("chat.postMessage") == 1

    async def test_server_errors_after_the_client_retry_are_transient(
        self, slack: SlackStandIn, client: AsyncWebClient
    ) -> None:
        slack.fail("chat.postMessage", times=2, status=503)
        with pytest.raises(TransientError, match="503"):
            await SlackReviewBoard(client, "C_REVIEW").publish(card(), None)
        assert slack.count("chat.postMessage") == 2  # the client retried once

    async def test_refusals_are_permanent_and_name_only_the_error_code(
        self, slack: SlackStandIn, client: AsyncWebClient
    ) -> None:
        slack.fail("chat.postMessage", status=200, body={"ok": False, "error": "channel_not_found"})
        with pytest.raises(PermanentError) as raised:
            await SlackReviewBoard(client, "C_GONE").publish(card(), None)
        assert str(raised.value) == "Slack chat.postMessage: channel_not_found"

    async def test_ephemeral_goes_to_the_card_channel_or_the_review_channel(
        self, slack: SlackStandIn, client: AsyncWebClient
    ) -> None:
        board = SlackReviewBoard(client, "C_REVIEW")
        await board.tell(CardRef("C_OTHER", "1.1"), "U1", "hi")
        await board.tell(None, "U2", "hi")
        sent = [(c.params["channel"], c.params["user"]) for c in slack.calls("chat.postEphemeral")]
        assert sent == [("C_OTHER", "U1"), ("C_REVIEW", "U2")]


class TestSlackReplySender:
    async def test_reply_goes_into_the_thread_escaped(
        self, slack: SlackStandIn, client: AsyncWebClient
    ) -> None:
        ts = await SlackReplySender(client).send(delivery(channel="C1", thread_ts="5.000001"))
        message = slack.message("C1", ts)
        assert (message.thread_ts, message.text) == ("5.000001", "Danke &lt;3 &amp; bis bald")

    async def test_persistent_rate_limit_is_reported_with_retry_after(
        self, slack: SlackStandIn, client: AsyncWebClient
    ) -> None:
        slack.fail("chat.postMessage", times=2, status=429, headers={"Retry-After": "1"})
        with pytest.raises(RateLimitedError) as raised:
            await SlackReplySender(client).send(delivery(channel="C1", thread_ts="5.1"))
        assert raised.value.retry_after == 1.0
        assert slack.messages() == []

    async def test_reply_without_a_channel_is_refused(self, client: AsyncWebClient) -> None:
        with pytest.raises(PermanentError):
            await SlackReplySender(client).send(delivery())


class TestReviewerDirectory:
    async def test_listed_users_decide_without_asking_slack(
        self, slack: SlackStandIn, client: AsyncWebClient
    ) -> None:
        directory = ReviewerDirectory(client, frozenset({"U1"}))
        assert await directory.permission("U1") is Permission.REVIEWER
        assert await directory.permission("U2") is Permission.NOT_REVIEWER
        assert slack.calls() == []

    async def test_nobody_decides_when_no_reviewers_are_configured(
        self, client: AsyncWebClient
    ) -> None:
        directory = ReviewerDirectory(client, frozenset())
        assert await directory.permission("U1") is Permission.NONE_CONFIGURED

    async def test_group_members_are_cached_briefly(
        self, slack: SlackStandIn, client: AsyncWebClient
    ) -> None:
        now = [0.0]
        slack.set_usergroup("S1", ["U1"])
        directory = ReviewerDirectory(
            client, frozenset(), "S1", cache_seconds=60, clock=lambda: now[0]
        )
        assert await directory.permission("U1") is Permission.REVIEWER
        slack.set_usergroup("S1", ["U2"])
        assert await directory.permission("U2") is Permission.NOT_REVIEWER  # cached list
        now[0] = 61.0
        assert await directory.permission("U2") is Permission.REVIEWER
        assert slack.count("usergroups.users.list") == 2

    async def test_unreadable_group_lets_nobody_through(
        self, slack: SlackStandIn, client: AsyncWebClient
    ) -> None:
        directory = ReviewerDirectory(client, frozenset(), "S_MISSING")
        assert await directory.permission("U1") is Permission.UNVERIFIED
