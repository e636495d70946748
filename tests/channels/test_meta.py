"""Meta end to end over real HTTP: signed webhooks in, Graph API replies out (stand-in)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from bot.faq.embedders import Embedder
from bot.models import Channel, DeliveryState, EnquiryKind
from bot.settings import Settings
from bot.storage.tables import enquiries, review_cards
from tests.channels.harness import (
    META_APP_SECRET,
    META_PAGE_TOKEN,
    META_VERIFY_TOKEN,
    LiveApp,
    channel_settings,
    eventually,
    eventually_value,
    serve_app,
)
from tests.stand_ins import MetaGraphStandIn, sign_meta_body
from tests.stand_ins.wire import JSONObject

PAGE_ID = "1100200300"
IG_ACCOUNT = "17841400000000001"
QUESTION = "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?"


@pytest.fixture
def graph() -> Iterator[MetaGraphStandIn]:
    with MetaGraphStandIn() as stand_in:
        yield stand_in


def meta_settings(data_dir: Path, graph: MetaGraphStandIn) -> Settings:
    return channel_settings(
        data_dir, meta_page_token=META_PAGE_TOKEN, meta_graph_url=f"{graph.url}/v21.0"
    )


def messaging(
    obj: str, account: str, sender: str, mid: str, message: Mapping[str, object]
) -> JSONObject:
    return {
        "object": obj,
        "entry": [
            {
                "id": account,
                "time": 1_700_000_000_000,
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": account},
                        "timestamp": 1_700_000_000_000,
                        "message": {"mid": mid, **message},
                    }
                ],
            }
        ],
    }


def page_comment(comment_id: str, author: str, text: str, name: str = "Anna Adler") -> JSONObject:
    value = {
        "item": "comment",
        "verb": "add",
        "comment_id": comment_id,
        "post_id": f"{PAGE_ID}_555",
        "from": {"id": author, "name": name},
        "message": text,
        "created_time": 1_700_000_000,
    }
    return {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": 1, "changes": [{"field": "feed", "value": value}]}],
    }


def instagram_comment(comment_id: str, author: str, text: str) -> JSONObject:
    value = {
        "id": comment_id,
        "text": text,
        "from": {"id": author, "username": "anna.adler"},
        "media": {"id": "18000000000000001", "media_product_type": "FEED"},
    }
    return {
        "object": "instagram",
        "entry": [
            {"id": IG_ACCOUNT, "time": 1, "changes": [{"field": "comments", "value": value}]}
        ],
    }


async def post_event(app: LiveApp, payload: Mapping[str, object]) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await app.http.post(
        f"{app.url}/webhooks/meta", content=body, headers=sign_meta_body(META_APP_SECRET, body)
    )


async def approve_only(app: LiveApp) -> str:
    [conversation] = await eventually_value(lambda: _conversations(app))
    draft = await app.approve(conversation)
    await eventually(lambda: _sent(app, draft.id))
    await asyncio.sleep(0.3)  # a second send, if any, would come now
    return draft.text.strip() or "?"


async def _conversations(app: LiveApp) -> list[str] | None:
    return await app.conversation_ids() or None


async def _sent(app: LiveApp, draft_id: str) -> bool:
    delivery = await app.delivery_of(draft_id)
    return delivery is not None and delivery.state is DeliveryState.SENT


class TestMetaVerification:
    async def test_subscription_check_echoes_the_challenge_only_for_our_token(
        self, tmp_path: Path, use_embedder: Embedder
    ) -> None:
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            url = f"{app.url}/webhooks/meta"
            good = await app.http.get(
                url,
                params={
                    "hub.mode": "subscribe",
                    "hub.verify_token": META_VERIFY_TOKEN,
                    "hub.challenge": "1158201444",
                },
            )
            wrong = await app.http.get(
                url,
                params={
                    "hub.mode": "subscribe",
                    "hub.verify_token": "guess-me",
                    "hub.challenge": "1158201444",
                },
            )
            bad_mode = await app.http.get(
                url,
                params={
                    "hub.mode": "unsubscribe",
                    "hub.verify_token": META_VERIFY_TOKEN,
                    "hub.challenge": "x",
                },
            )
        assert (good.status_code, good.text) == (200, "1158201444")
        assert wrong.status_code == 403 and "guess-me" not in wrong.text
        assert bad_mode.status_code == 403


class TestMetaEndToEnd:
    async def test_messenger_message_is_answered_once_by_the_page(
        self, tmp_path: Path, graph: MetaGraphStandIn, use_embedder: Embedder
    ) -> None:
        payload = messaging("page", PAGE_ID, "PSID-1", "m_abc", {"text": QUESTION})
        async with serve_app(meta_settings(tmp_path, graph), use_embedder) as app:
            answers = await asyncio.gather(*(post_event(app, payload) for _ in range(3)))
            assert [a.status_code for a in answers] == [200, 200, 200]
            text = await approve_only(app)
            [enquiry] = await app.enquiries()
            assert await app.count(review_cards) == 1
        assert (enquiry.channel, enquiry.external_id) == (Channel.FACEBOOK, "m_abc")
        [sent] = graph.sent()
        assert (sent["edge"], sent["node"]) == ("messages", PAGE_ID)
        assert sent["params"] == {
            "recipient": {"id": "PSID-1"},
            "messaging_type": "RESPONSE",
            "message": {"text": text},
        }
        assert graph.calls()[0].headers["authorization"] == f"Bearer {META_PAGE_TOKEN}"

    async def test_instagram_message_is_answered_in_the_dm(
        self, tmp_path: Path, graph: MetaGraphStandIn, use_embedder: Embedder
    ) -> None:
        payload = messaging("instagram", IG_ACCOUNT, "IGSID-7", "aWdfZAG1", {"text": QUESTION})
        async with serve_app(meta_settings(tmp_path, graph), use_embedder) as app:
            assert (await post_event(app, payload)).status_code == 200
            await approve_only(app)
            [enquiry] = await app.enquiries()
        assert (enquiry.channel, enquiry.external_id) == (Channel.INSTAGRAM, "aWdfZAG1")
        [sent] = graph.sent()
        assert (sent["edge"], sent["node"]) == ("messages", "me")
        assert sent["params"]["recipient"] == {"id": "IGSID-7"}  # type: ignore[index]

    async def test_page_comment_gets_a_public_reply_underneath(
        self, tmp_path: Path, graph: MetaGraphStandIn, use_embedder: Embedder
    ) -> None:
        payload = page_comment(f"{PAGE_ID}_555_901", "USER-3", QUESTION)
        async with serve_app(meta_settings(tmp_path, graph), use_embedder) as app:
            assert (await post_event(app, payload)).status_code == 200
            text = await approve_only(app)
            [enquiry] = await app.enquiries()
        assert enquiry.author_name == "Anna Adler"
        assert enquiry.reply_target["reply_mode"] == "public"
        [sent] = graph.sent()
        assert (sent["edge"], sent["node"]) == ("comments", f"{PAGE_ID}_555_901")
        assert sent["params"] == {"message": text}

    async def test_instagram_comment_gets_a_public_reply(
        self, tmp_path: Path, graph: MetaGraphStandIn, use_embedder: Embedder
    ) -> None:
        payload = instagram_comment("17900000000000009", "IGSID-8", QUESTION)
        async with serve_app(meta_settings(tmp_path, graph), use_embedder) as app:
            assert (await post_event(app, payload)).status_code == 200
            await approve_only(app)
            [enquiry] = await app.enquiries()
        assert (enquiry.channel, enquiry.author_name) == (Channel.INSTAGRAM, "anna.adler")
        [sent] = graph.sent()
        assert (sent["edge"], sent["node"]) == ("replies", "17900000000000009")

    async def test_echoes_own_comments_and_other_events_are_acknowledged_not_stored(
        self, tmp_path: Path, use_embedder: Embedder
    ) -> None:
        echo = messaging("page", PAGE_ID, PAGE_ID, "m_echo", {"text": "hi", "is_echo": True})
        own_comment = page_comment(f"{PAGE_ID}_555_902", PAGE_ID, "Danke!")
        like = {
            "object": "page",
            "entry": [
                {
                    "id": PAGE_ID,
                    "changes": [{"field": "feed", "value": {"item": "reaction", "verb": "add"}}],
                }
            ],
        }
        other = {"object": "user", "entry": [{"id": "1", "changes": []}]}
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            answers = [await post_event(app, p) for p in (echo, own_comment, like, other)]
            assert await app.count(enquiries) == 0
        assert [a.status_code for a in answers] == [200, 200, 200, 200]

    async def test_sticker_and_photo_messages_are_stored_as_such(
        self, tmp_path: Path, use_embedder: Embedder
    ) -> None:
        sticker = {"attachments": [{"type": "image", "payload": {"sticker_id": 369239263222822}}]}
        photo = {"attachments": [{"type": "image", "payload": {"url": "https://x.example/p.jpg"}}]}
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            await post_event(app, messaging("page", PAGE_ID, "PSID-2", "m_st", sticker))
            await post_event(app, messaging("page", PAGE_ID, "PSID-3", "m_ph", photo))
            stored = {e.external_id: (e.kind, e.text) for e in await app.enquiries()}
        assert stored == {
            "m_st": (EnquiryKind.STICKER, "[sticker]"),
            "m_ph": (EnquiryKind.PHOTO, "[photo]"),
        }
