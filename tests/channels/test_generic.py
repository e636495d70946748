"""The generic signed webhook end to end: signed POST in, signed reply POSTed to reply_url."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.channels.generic import GenericSender
from bot.faq.embedders import Embedder
from bot.jobs.delivery import DeliveryWorker
from bot.models import Channel, DeliveryState
from bot.storage.tables import enquiries, review_cards
from tests.channels.harness import (
    WEBHOOK_SECRET,
    LiveApp,
    channel_settings,
    eventually,
    eventually_value,
    serve_app,
)
from tests.stand_ins import ReplyReceiver, sign_generic_body
from tests.stand_ins.wire import JSONObject

QUESTION = "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?"


@pytest.fixture
def receiver() -> Iterator[ReplyReceiver]:
    with ReplyReceiver() as stand_in:
        yield stand_in


def enquiry_body(
    receiver: ReplyReceiver, enquiry_id: str = "form-1", **extra: object
) -> JSONObject:
    return {
        "id": enquiry_id,
        "channel": "shop-form",
        "author": {"id": "customer-9", "name": "Anna Adler"},
        "text": QUESTION,
        "reply_url": f"{receiver.url}/replies/{enquiry_id}",
        **extra,
    }


async def post_signed(app: LiveApp, payload: JSONObject) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = sign_generic_body(WEBHOOK_SECRET, body, int(time.time()))
    return await app.http.post(f"{app.url}/webhooks/generic", content=body, headers=headers)


async def _conversations(app: LiveApp) -> list[str] | None:
    return await app.conversation_ids() or None


class TestGenericWebhook:
    async def test_same_id_three_times_at_once_gives_one_enquiry_and_one_signed_reply(
        self, tmp_path: Path, receiver: ReplyReceiver, use_embedder: Embedder
    ) -> None:
        payload = enquiry_body(receiver)
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            answers = await asyncio.gather(*(post_signed(app, payload) for _ in range(3)))
            assert sorted(a.json()["new"] for a in answers) == [0, 0, 1]
            [conversation] = await eventually_value(lambda: _conversations(app))
            draft = await app.approve(conversation)
            [call] = await asyncio.to_thread(receiver.wait_for, "/replies/form-1")
            await asyncio.sleep(0.3)
            [enquiry] = await app.enquiries()
            cards = await app.count(review_cards)
            delivery = await app.delivery_of(draft.id)
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert (enquiry.channel, enquiry.external_id, enquiry.author_name) == (
            Channel.WEBHOOK,
            "form-1",
            "Anna Adler",
        )
        assert enquiry.reply_target["source_channel"] == "shop-form"
        assert cards == 1
        assert receiver.signed_correctly(call, WEBHOOK_SECRET)
        assert call.params == {
            "delivery_id": delivery.id if delivery else None,
            "in_reply_to": "form-1",
            "text": draft.text.strip(),
        }
        assert call.headers["idempotency-key"] == (delivery.id if delivery else None)
        assert len(receiver.calls()) == 1

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"id": ""}, "id"),
            ({"text": 42}, "text"),
            ({"reply_url": "ftp://example.org/x"}, "reply_url"),
            ({"reply_url": None}, "reply_url"),
            ({"author": {"id": ""}}, "author.id"),
        ],
    )
    async def test_signed_body_with_an_unusable_field_is_refused_naming_it(
        self,
        tmp_path: Path,
        receiver: ReplyReceiver,
        use_embedder: Embedder,
        change: JSONObject,
        field: str,
    ) -> None:
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            answer = await post_signed(app, {**enquiry_body(receiver), **change})
            stored = await app.count(enquiries)
        assert answer.status_code == 400
        assert f"'{field}'" in answer.json()["error"]
        assert stored == 0

    async def test_receiver_outage_is_retried_and_a_timeout_is_outcome_unknown(
        self, tmp_path: Path, receiver: ReplyReceiver, use_embedder: Embedder
    ) -> None:
        async with serve_app(channel_settings(tmp_path), use_embedder, deliver=False) as app:
            for n in (1, 2):
                assert (
                    await post_signed(app, enquiry_body(receiver, f"t-{n}", author={"id": f"c{n}"}))
                ).status_code == 200
            first, second = await eventually_value(lambda: _two(app))
            receiver.fail("*", status=503)
            async with httpx.AsyncClient(timeout=0.2) as client:
                worker = DeliveryWorker(
                    app.runtime.desk,
                    {Channel.WEBHOOK: GenericSender(client, SecretStr(WEBHOOK_SECRET))},
                )
                outage = await app.approve(first)
                await worker.run_until_idle()
                retried = await app.delivery_of(outage.id)
                receiver.delay("/replies/t-2", 1.0, times=1)
                slow = await app.approve(second)
                await worker.run_until_idle()
                await asyncio.sleep(1.0)
                unknown = await app.delivery_of(slow.id)
        assert retried is not None and retried.state is DeliveryState.QUEUED
        assert "503" in (retried.last_error or "")
        assert unknown is not None and unknown.state is DeliveryState.OUTCOME_UNKNOWN
        assert len(receiver.calls("/replies/t-2")) == 1


async def _two(app: LiveApp) -> list[str] | None:
    found = await app.conversation_ids()
    if len(found) < 2:
        return None
    await eventually(lambda: _drafted(app, found))
    return found


async def _drafted(app: LiveApp, conversations: list[str]) -> bool:
    return all([await app.current_draft(c) is not None for c in conversations])
