"""X end to end over real HTTP: CRC, signed Account Activity events in, replies via /2/tweets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.channels.x_sender import XSender, post_weight
from bot.errors import PermanentError
from bot.faq.embedders import Embedder
from bot.models import Channel, Delivery, DeliveryState
from bot.services import Outcome, approve_draft
from bot.settings import Settings
from bot.storage.tables import deliveries, enquiries
from tests.channels.harness import (
    REVIEWER,
    X_BEARER,
    X_CONSUMER_SECRET,
    LiveApp,
    channel_settings,
    eventually,
    eventually_value,
    serve_app,
)
from tests.stand_ins import XStandIn, sign_x_body, weighted_length, x_crc_response
from tests.stand_ins.wire import JSONObject

OWN_ID = "1500000000000000001"
QUESTION = "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?"


@pytest.fixture
def x_api() -> Iterator[XStandIn]:
    with XStandIn() as stand_in:
        yield stand_in


def x_settings(data_dir: Path, x_api: XStandIn) -> Settings:
    return channel_settings(data_dir, x_bearer_token=X_BEARER, x_api_url=x_api.url)


def mention(post_id: str, text: str, user_id: str = "2244994945", **extra: object) -> JSONObject:
    post: JSONObject = {
        "id_str": post_id,
        "text": f"@nordlicht {text}",
        "lang": "de",
        "user": {"id_str": user_id, "name": "Anna Adler", "screen_name": "anna"},
        "entities": {"user_mentions": [{"id_str": OWN_ID, "screen_name": "nordlicht"}]},
        **extra,
    }
    return {"for_user_id": OWN_ID, "tweet_create_events": [post]}


def direct_message(event_id: str, sender: str, text: str) -> JSONObject:
    return {
        "for_user_id": OWN_ID,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": "1700000000000",
                "message_create": {
                    "target": {"recipient_id": OWN_ID},
                    "sender_id": sender,
                    "message_data": {"text": text},
                },
            }
        ],
        "users": {sender: {"id": sender, "name": "Ben Berger", "screen_name": "ben"}},
    }


async def post_event(app: LiveApp, payload: JSONObject) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await app.http.post(
        f"{app.url}/webhooks/x", content=body, headers=sign_x_body(X_CONSUMER_SECRET, body)
    )


async def _conversations(app: LiveApp) -> list[str] | None:
    return await app.conversation_ids() or None


async def _sent(app: LiveApp, draft_id: str) -> bool:
    delivery = await app.delivery_of(draft_id)
    return delivery is not None and delivery.state is DeliveryState.SENT


class TestXWebhook:
    async def test_crc_check_is_answered_with_the_signed_token(
        self, tmp_path: Path, use_embedder: Embedder
    ) -> None:
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            answer = await app.http.get(f"{app.url}/webhooks/x", params={"crc_token": "abc123"})
            missing = await app.http.get(f"{app.url}/webhooks/x")
        assert answer.status_code == 200
        assert answer.json() == x_crc_response(X_CONSUMER_SECRET, "abc123")
        assert missing.status_code == 400

    async def test_mention_is_answered_once_as_a_reply_post(
        self, tmp_path: Path, x_api: XStandIn, use_embedder: Embedder
    ) -> None:
        payload = mention("1790000000000000001", QUESTION)
        async with serve_app(x_settings(tmp_path, x_api), use_embedder) as app:
            answers = await asyncio.gather(*(post_event(app, payload) for _ in range(3)))
            assert [a.status_code for a in answers] == [200, 200, 200]
            [conversation] = await eventually_value(lambda: _conversations(app))
            draft = await app.approve(conversation)
            await eventually(lambda: _sent(app, draft.id))
            await asyncio.sleep(0.3)
            [enquiry] = await app.enquiries()
        assert (enquiry.channel, enquiry.external_id, enquiry.text) == (
            Channel.X,
            "1790000000000000001",
            QUESTION,
        )
        assert (enquiry.author_name, enquiry.language_hint) == ("Anna Adler", "de")
        [post] = x_api.tweets()
        assert post["in_reply_to_tweet_id"] == "1790000000000000001"
        assert weighted_length(str(post["text"])) <= 280
        assert x_api.calls()[0].headers["authorization"] == f"Bearer {X_BEARER}"

    async def test_direct_message_is_answered_in_the_dm_conversation(
        self, tmp_path: Path, x_api: XStandIn, use_embedder: Embedder
    ) -> None:
        async with serve_app(x_settings(tmp_path, x_api), use_embedder) as app:
            payload = direct_message("1900000000000000042", "3300000000000000003", QUESTION)
            assert (await post_event(app, payload)).status_code == 200
            [conversation] = await eventually_value(lambda: _conversations(app))
            draft = await app.approve(conversation)
            await eventually(lambda: _sent(app, draft.id))
            [enquiry] = await app.enquiries()
        assert enquiry.author_name == "Ben Berger"
        [dm] = x_api.direct_messages()
        assert dm["participant_id"] == "3300000000000000003"
        assert x_api.tweets() == []

    async def test_own_posts_retweets_and_unrelated_posts_are_skipped(
        self, tmp_path: Path, use_embedder: Embedder
    ) -> None:
        own = mention("1790000000000000002", "Neu im Shop!", user_id=OWN_ID)
        retweet = mention("1790000000000000003", "RT", retweeted_status={"id_str": "1"})
        unrelated = mention("1790000000000000004", "hi", entities={"user_mentions": []})
        own_dm = direct_message("1900000000000000043", OWN_ID, "Danke!")
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            answers = [await post_event(app, p) for p in (own, retweet, unrelated, own_dm)]
            assert await app.count(enquiries) == 0
        assert [a.status_code for a in answers] == [200, 200, 200, 200]


class TestXLength:
    async def test_approval_refuses_a_reply_over_280_characters(
        self, tmp_path: Path, x_api: XStandIn, use_embedder: Embedder
    ) -> None:
        async with serve_app(x_settings(tmp_path, x_api), use_embedder) as app:
            assert (
                await post_event(app, mention("1790000000000000005", QUESTION))
            ).status_code == 200
            [conversation] = await eventually_value(lambda: _conversations(app))
            draft = await eventually_value(lambda: app.current_draft(conversation))
            result = await approve_draft(app.runtime.desk, draft.id, REVIEWER, "x" * 281)
            queued = await app.count(deliveries)
        assert result.outcome is Outcome.INVALID
        assert "281" in result.problems[0] and "280" in result.problems[0]
        assert len(draft.text) <= 280
        assert queued == 0

    async def test_sender_refuses_a_post_x_would_count_longer_than_280(
        self, x_api: XStandIn
    ) -> None:
        text = "Danke! " + "🙂" * 140  # 147 characters, but emoji weigh 2 on X
        delivery = Delivery(
            id="d1",
            draft_id="dr1",
            channel=Channel.X,
            text=text,
            reply_target={"kind": "tweet", "tweet_id": "1790000000000000006"},
        )
        async with httpx.AsyncClient() as client:
            sender = XSender(client, x_api.url, SecretStr(X_BEARER))
            with pytest.raises(PermanentError, match="280"):
                await sender.send(delivery)
        assert post_weight(text) == weighted_length(text) == 287
        assert x_api.calls() == []
