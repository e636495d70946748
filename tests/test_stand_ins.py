"""The stand-ins speak the real wire formats: real client libraries work against them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import math
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, SecretStr
from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot, Update
from telegram.error import BadRequest, RetryAfter
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from tests.stand_ins import (
    MetaGraphStandIn,
    OpenAIStandIn,
    ReplyReceiver,
    SlackStandIn,
    TelegramStandIn,
    XStandIn,
    block_actions_body,
    embed_text,
    event_callback_body,
    make_sticker_update,
    make_text_update,
    message_shortcut_body,
    sign_generic_body,
    sign_meta_body,
    sign_slack_request,
    sign_x_body,
    verify_generic_signature,
    view_submission_body,
    x_crc_response,
)

SLACK_TOKEN = "xoxb-stand-in"
SIGNING_SECRET = "stand-in-signing-secret"
TELEGRAM_TOKEN = "123456:stand-in"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(token=SLACK_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def telegram() -> Iterator[TelegramStandIn]:
    with TelegramStandIn(token=TELEGRAM_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def llm_server() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def meta() -> Iterator[MetaGraphStandIn]:
    with MetaGraphStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def x_api() -> Iterator[XStandIn]:
    with XStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def receiver() -> Iterator[ReplyReceiver]:
    with ReplyReceiver() as stand_in:
        yield stand_in


def slack_client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=SLACK_TOKEN, base_url=f"{slack.url}/api/")


class TestStandInBase:
    def test_wait_for_times_out_listing_calls_seen(self, receiver: ReplyReceiver) -> None:
        httpx.post(f"{receiver.url}/other", json={})
        with pytest.raises(AssertionError, match="/other"):
            receiver.wait_for("/expected", timeout=0.2)

    def test_respond_overrides_only_the_next_answer(self, receiver: ReplyReceiver) -> None:
        receiver.respond("/hook", {"custom": True}, status=202)
        first = httpx.post(f"{receiver.url}/hook", json={})
        second = httpx.post(f"{receiver.url}/hook", json={})
        assert (first.status_code, first.json()) == (202, {"custom": True})
        assert (second.status_code, second.json()) == (200, {"ok": True})

    def test_any_method_failure_applies_to_every_path(self, receiver: ReplyReceiver) -> None:
        receiver.fail("*", times=2, status=503)
        statuses = [httpx.post(f"{receiver.url}/{n}", json={}).status_code for n in range(3)]
        assert statuses == [503, 503, 200]

    def test_delay_makes_client_time_out(self, receiver: ReplyReceiver) -> None:
        receiver.delay("/slow", 0.5, times=1)
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{receiver.url}/slow", json={}, timeout=0.1)
        assert httpx.post(f"{receiver.url}/slow", json={}, timeout=1).status_code == 200

    def test_reset_forgets_calls_and_scripts(self, receiver: ReplyReceiver) -> None:
        receiver.fail("/hook")
        httpx.post(f"{receiver.url}/seen", json={})
        receiver.reset()
        assert receiver.calls() == []
        assert httpx.post(f"{receiver.url}/hook", json={}).status_code == 200


class TestSlackStandIn:
    def test_web_client_posts_then_updates_card(self, slack: SlackStandIn) -> None:
        client = slack_client(slack)
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Draft"}}]
        posted = client.chat_postMessage(channel="C_REVIEW", text="Draft", blocks=blocks)
        client.chat_update(channel="C_REVIEW", ts=posted["ts"], text="Approved", blocks=[])
        card = slack.message("C_REVIEW", posted["ts"])
        assert (card.text, card.blocks, card.edits) == ("Approved", [], 1)
        call = slack.wait_for("chat.postMessage")[0]
        assert call.params["blocks"] == blocks
        assert call.headers["authorization"] == f"Bearer {SLACK_TOKEN}"

    def test_posted_messages_get_unique_increasing_ts(self, slack: SlackStandIn) -> None:
        client = slack_client(slack)
        stamps = [client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(3)]
        assert stamps == sorted(set(stamps), key=float)
        assert [m.text for m in slack.messages("C1")] == ["0", "1", "2"]

    @pytest.mark.asyncio
    async def test_async_web_client_posts_message(self, slack: SlackStandIn) -> None:
        client = AsyncWebClient(token=SLACK_TOKEN, base_url=f"{slack.url}/api/")
        posted = await client.chat_postMessage(channel="C_REVIEW", text="hi", thread_ts="1.000001")
        assert slack.message("C_REVIEW", posted["ts"]).thread_ts == "1.000001"

    def test_slack_429_without_retry_handler_raises(self, slack: SlackStandIn) -> None:
        slack.fail("chat.postMessage", status=429, headers={"Retry-After": "1"})
        with pytest.raises(SlackApiError) as raised:
            slack_client(slack).chat_postMessage(channel="C1", text="x")
        assert raised.value.response.status_code == 429
        assert slack.messages() == []

    def test_slack_429_with_rate_limit_retry_handler_succeeds(self, slack: SlackStandIn) -> None:
        slack.fail("chat.postMessage", status=429, headers={"Retry-After": "1"})
        client = slack_client(slack)
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
        client.chat_postMessage(channel="C1", text="x")
        assert slack.count("chat.postMessage") == 2
        assert len(slack.messages()) == 1

    def test_ok_false_with_http_200_raises_slack_api_error(self, slack: SlackStandIn) -> None:
        slack.fail("chat.postMessage", status=200, body={"ok": False, "error": "channel_not_found"})
        with pytest.raises(SlackApiError, match="channel_not_found"):
            slack_client(slack).chat_postMessage(channel="C404", text="x")

    def test_unknown_method_and_wrong_token_answer_like_slack(self, slack: SlackStandIn) -> None:
        with pytest.raises(SlackApiError, match="unknown_method"):
            slack_client(slack).api_call("chat.doesNotExist")
        with pytest.raises(SlackApiError, match="invalid_auth"):
            WebClient(token="xoxb-wrong", base_url=f"{slack.url}/api/").auth_test()

    def test_more_than_fifty_blocks_are_rejected(self, slack: SlackStandIn) -> None:
        blocks = [{"type": "divider"}] * 51
        with pytest.raises(SlackApiError, match="invalid_blocks"):
            slack_client(slack).chat_postMessage(channel="C1", text="x", blocks=blocks)

    def test_lookup_methods_serve_configured_state(self, slack: SlackStandIn) -> None:
        client = slack_client(slack)
        slack.set_usergroup("S_REVIEWERS", ["U1", "U2"])
        slack.set_user("U1", "anna", "Anna Adler", "Anna A.")
        assert client.usergroups_users_list(usergroup="S_REVIEWERS")["users"] == ["U1", "U2"]
        assert client.users_info(user="U1")["user"]["profile"]["display_name"] == "Anna A."
        assert client.auth_test()["user_id"] == "UBOT"
        root = client.chat_postMessage(channel="C1", text="root")["ts"]
        client.chat_postMessage(channel="C1", text="reply", thread_ts=root)
        thread = client.conversations_replies(channel="C1", ts=root)["messages"]
        assert [m["text"] for m in thread] == ["root", "reply"]
        link = client.chat_getPermalink(channel="C1", message_ts=root)["permalink"]
        assert link.endswith(f"/archives/C1/p{root.replace('.', '')}")

    def test_views_reactions_and_ephemerals(self, slack: SlackStandIn) -> None:
        client = slack_client(slack)
        view = {
            "type": "modal",
            "callback_id": "draft.edit",
            "title": {"type": "plain_text", "text": "Edit"},
        }
        opened = client.views_open(trigger_id="t", view=view)["view"]
        updated = client.views_update(view_id=opened["id"], view={**view, "private_metadata": "d1"})
        assert updated["view"]["id"] == opened["id"]
        assert slack.view(opened["id"])["private_metadata"] == "d1"
        assert client.chat_postEphemeral(channel="C1", user="U1", text="only you")["message_ts"]
        client.reactions_add(channel="C1", timestamp="1.1", name="eyes")
        with pytest.raises(SlackApiError, match="already_reacted"):
            client.reactions_add(channel="C1", timestamp="1.1", name="eyes")
        assert slack.reactions("C1", "1.1") == ["eyes"]


class TestSlackSigning:
    def test_signed_request_passes_signature_verifier(self) -> None:
        body = block_actions_body("draft.approve", "d1")
        headers = sign_slack_request(SIGNING_SECRET, body)
        assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)
        stale = sign_slack_request(SIGNING_SECRET, body, timestamp=int(time.time()) - 600)
        assert not SignatureVerifier(SIGNING_SECRET).is_valid_request(body, stale)

    def test_bolt_runs_listeners_for_every_built_body(self, slack: SlackStandIn) -> None:
        app = App(
            client=slack_client(slack), signing_secret=SIGNING_SECRET, process_before_response=True
        )
        seen: list[str] = []

        @app.action("draft.approve")
        def approve(ack: Ack, body: dict[str, object], client: WebClient) -> None:
            ack()
            container = body["container"]
            assert isinstance(container, dict)
            client.chat_update(
                channel=container["channel_id"], ts=container["message_ts"], text="approved"
            )
            seen.append("action")

        @app.view("draft.edit")
        def edit(ack: Ack, view: dict[str, object]) -> None:
            ack()
            seen.append(f"view:{view['private_metadata']}")

        @app.shortcut("draft.create")
        def shortcut(ack: Ack) -> None:
            ack()
            seen.append("shortcut")

        @app.event("app_mention")
        def mention() -> None:
            seen.append("event")

        card_ts = slack_client(slack).chat_postMessage(channel="C_REVIEW", text="draft")["ts"]
        bodies = [
            block_actions_body("draft.approve", "d1", message_ts=card_ts),
            view_submission_body("draft.edit", "d1", {"reply": {"text": "Hello"}}),
            message_shortcut_body("draft.create", "C1", "1.000001", "Where is my order?"),
            event_callback_body(
                {
                    "type": "app_mention",
                    "user": "U1",
                    "text": "hi",
                    "channel": "C1",
                    "ts": "1.000002",
                    "event_ts": "1.000002",
                },
                "Ev001",
            ),
        ]
        for body in bodies:
            headers: dict[str, str | Sequence[str]] = {**sign_slack_request(SIGNING_SECRET, body)}
            response = app.dispatch(BoltRequest(body=body.decode(), headers=headers))
            assert response.status == 200
        assert seen == ["action", "view:d1", "shortcut", "event"]
        assert slack.message("C_REVIEW", card_ts).text == "approved"


class TestTelegramStandIn:
    @pytest.mark.asyncio
    async def test_bot_gets_me_and_sends_reply(self, telegram: TelegramStandIn) -> None:
        bot = Bot(
            TELEGRAM_TOKEN, base_url=f"{telegram.url}/bot", base_file_url=f"{telegram.url}/file/bot"
        )
        async with bot:
            assert bot.username == "replydesk_test_bot"
            sent = await bot.send_message(chat_id=777, text="Hallo Anna", reply_to_message_id=10)
        assert sent.reply_to_message is not None
        assert (sent.chat.id, sent.text, sent.reply_to_message.message_id) == (
            777,
            "Hallo Anna",
            10,
        )
        assert telegram.wait_for("sendMessage")[0].params["chat_id"] == "777"
        assert telegram.sent_messages(777)[0]["message_id"] == sent.message_id

    @pytest.mark.asyncio
    async def test_scripted_retry_after_raises_retry_after(
        self, telegram: TelegramStandIn, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Without the opt-in, PTB 22 warns while building RetryAfter, and the
        # project's filterwarnings="error" would turn that into the failure.
        monkeypatch.setenv("PTB_TIMEDELTA", "true")
        telegram.fail("sendMessage", status=429, headers={"Retry-After": "3"})
        async with Bot(TELEGRAM_TOKEN, base_url=f"{telegram.url}/bot") as bot:
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(chat_id=777, text="x")
            with pytest.raises(BadRequest, match="(?i)message text is empty"):
                await bot.send_message(chat_id=777, text=" ")
        assert raised.value.retry_after == timedelta(seconds=3)

    @pytest.mark.asyncio
    async def test_get_updates_honours_offset_and_caps_long_poll(
        self, telegram: TelegramStandIn
    ) -> None:
        telegram.push_update(make_text_update(1001, "Wo ist meine Bestellung?"))
        telegram.push_update(make_sticker_update(1002))
        async with Bot(TELEGRAM_TOKEN, base_url=f"{telegram.url}/bot") as bot:
            first = await bot.get_updates(offset=0, timeout=0)
            assert [u.update_id for u in first] == [1001, 1002]
            text_message, sticker_message = first[0].message, first[1].message
            assert text_message is not None
            assert text_message.from_user is not None
            assert text_message.from_user.language_code == "de"
            assert sticker_message is not None
            assert sticker_message.sticker is not None
            assert sticker_message.text is None
            started = time.monotonic()
            assert await bot.get_updates(offset=1003, timeout=5) == ()
            assert time.monotonic() - started < 2.5
        assert telegram.pending_updates() == []

    @pytest.mark.asyncio
    async def test_application_polling_answers_pushed_update(
        self, telegram: TelegramStandIn
    ) -> None:
        app = (
            ApplicationBuilder()
            .token(TELEGRAM_TOKEN)
            .base_url(f"{telegram.url}/bot")
            .base_file_url(f"{telegram.url}/file/bot")
            .build()
        )

        async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.message is not None
            await update.message.reply_text(f"Echo: {update.message.text}")

        app.add_handler(MessageHandler(filters.TEXT, answer))
        telegram.push_update(make_text_update(1001, "Hallo"))
        async with app:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            await app.start()
            calls = await asyncio.to_thread(telegram.wait_for, "sendMessage")
            await app.updater.stop()
            await app.stop()
        assert calls[0].params["text"] == "Echo: Hallo"
        assert [c.api_method for c in telegram.calls()][:2] == ["getMe", "deleteWebhook"]


class Verdict(BaseModel):
    label: str
    confidence: float


class TestOpenAIStandIn:
    def test_chat_completion_returns_queued_reply(self, llm_server: OpenAIStandIn) -> None:
        llm_server.queue_reply("Ihre Bestellung ist unterwegs.")
        client = openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=0)
        completion = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Wo ist meine Bestellung?"}]
        )
        client.close()
        assert completion.choices[0].message.content == "Ihre Bestellung ist unterwegs."
        assert completion.usage is not None
        assert completion.usage.total_tokens > 0
        assert llm_server.requests()[0]["messages"] == [
            {"role": "user", "content": "Wo ist meine Bestellung?"}
        ]

    def test_default_reply_and_streaming(self, llm_server: OpenAIStandIn) -> None:
        llm_server.default_reply = lambda request: f"model={request['model']}"
        with openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=0) as client:
            stream = client.chat.completions.create(
                model="m1", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            text = "".join(
                chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices
            )
        assert text == "model=m1"

    def test_openai_429_raises_then_500_is_retried(self, llm_server: OpenAIStandIn) -> None:
        llm_server.fail("chat.completions", status=429)
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
        client = openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=0)
        with client, pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="m", messages=messages)
        llm_server.fail("chat.completions", status=500, headers={"retry-after-ms": "10"})
        with openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=1) as client:
            client.chat.completions.create(model="m", messages=messages)
        assert llm_server.count("chat.completions") == 3

    def test_embeddings_are_deterministic_and_normalised(self, llm_server: OpenAIStandIn) -> None:
        with openai.OpenAI(base_url=f"{llm_server.url}/v1", api_key="x", max_retries=0) as client:
            packed = client.embeddings.create(model="e", input=["refund", "refund", "shipping"])
            floats = client.embeddings.create(model="e", input="refund", encoding_format="float")
            assert [m.id for m in client.models.list()] == ["gpt-4o-mini"]
        vectors = [d.embedding for d in packed.data]
        assert len(vectors[0]) == 64
        assert vectors[0] == vectors[1] != vectors[2]
        assert math.isclose(sum(v * v for v in vectors[0]), 1.0, rel_tol=1e-5)
        assert floats.data[0].embedding == pytest.approx(embed_text("refund"))
        assert llm_server.calls("embeddings")[0].params["encoding_format"] == "base64"

    def test_chat_openai_structured_output_parses_queued_dict(
        self, llm_server: OpenAIStandIn
    ) -> None:
        llm_server.queue_reply({"label": "refund", "confidence": 0.9})
        llm = ChatOpenAI(
            model="gpt-4o-mini",
            base_url=f"{llm_server.url}/v1",
            api_key=SecretStr("x"),
            max_retries=0,
        )
        result = llm.with_structured_output(Verdict).invoke("Ich will mein Geld zurück")
        assert result == Verdict(label="refund", confidence=0.9)
        response_format = llm_server.requests()[0]["response_format"]
        assert isinstance(response_format, dict)
        assert response_format["type"] == "json_schema"

    def test_chat_openai_function_calling_parses_queued_tool_call(
        self, llm_server: OpenAIStandIn
    ) -> None:
        llm_server.queue_tool_call("Verdict", {"label": "shipping", "confidence": 0.5})
        llm = ChatOpenAI(
            model="gpt-4o-mini",
            base_url=f"{llm_server.url}/v1",
            api_key=SecretStr("x"),
            max_retries=0,
        )
        result = llm.with_structured_output(Verdict, method="function_calling").invoke(
            "Wo ist mein Paket?"
        )
        assert result == Verdict(label="shipping", confidence=0.5)


class TestMetaGraphStandIn:
    def test_messenger_send_returns_recipient_and_message_id(self, meta: MetaGraphStandIn) -> None:
        body = {
            "recipient": {"id": "PSID1"},
            "messaging_type": "RESPONSE",
            "message": {"text": "Hallo"},
        }
        response = httpx.post(
            f"{meta.url}/v21.0/PAGE1/messages", params={"access_token": "t"}, json=body
        )
        assert response.status_code == 200
        assert response.json()["recipient_id"] == "PSID1"
        assert response.json()["message_id"].startswith("m_")
        assert meta.sent("messages")[0]["node"] == "PAGE1"

    def test_comment_reply_and_private_reply(self, meta: MetaGraphStandIn) -> None:
        auth = {"Authorization": "Bearer t"}
        public = httpx.post(
            f"{meta.url}/v19.0/C1/comments", headers=auth, json={"message": "Danke!"}
        )
        private = httpx.post(
            f"{meta.url}/v19.0/C1/private_replies", headers=auth, data={"message": "DM"}
        )
        assert public.json() == {"id": "C1_1"}
        assert private.json()["id"].startswith("m_")
        assert [c.api_method for c in meta.calls()] == ["comments", "private_replies"]

    def test_missing_token_and_closed_window_fail_like_graph(self, meta: MetaGraphStandIn) -> None:
        body = {"recipient": {"id": "PSID1"}, "message": {"text": "late"}}
        assert (
            httpx.post(f"{meta.url}/v21.0/PAGE1/messages", json=body).json()["error"]["code"]
            == 2500
        )
        meta.fail_outside_window()
        late = httpx.post(
            f"{meta.url}/v21.0/PAGE1/messages", params={"access_token": "t"}, json=body
        )
        assert (late.status_code, late.json()["error"]["error_subcode"]) == (400, 2018278)

    def test_meta_signature_is_hex_hmac_of_body(self) -> None:
        body = b'{"object":"page"}'
        expected = hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
        assert sign_meta_body("app-secret", body)["X-Hub-Signature-256"] == f"sha256={expected}"


class TestXStandIn:
    def test_reply_post_returns_201_with_id(self, x_api: XStandIn) -> None:
        body = {"text": "Danke!", "reply": {"in_reply_to_tweet_id": "1799"}}
        response = httpx.post(
            f"{x_api.url}/2/tweets", headers={"Authorization": "Bearer t"}, json=body
        )
        assert response.status_code == 201
        assert response.json()["data"]["text"] == "Danke!"
        assert x_api.tweets()[0]["in_reply_to_tweet_id"] == "1799"

    def test_x_rejects_long_duplicate_and_unauthorised_posts(self, x_api: XStandIn) -> None:
        auth = {"Authorization": "Bearer t"}
        assert (
            httpx.post(f"{x_api.url}/2/tweets", headers=auth, json={"text": "a" * 281}).status_code
            == 400
        )
        assert (
            httpx.post(f"{x_api.url}/2/tweets", headers=auth, json={"text": "ä" * 280}).status_code
            == 201
        )
        assert (
            httpx.post(f"{x_api.url}/2/tweets", headers=auth, json={"text": "ä" * 280}).status_code
            == 403
        )
        assert httpx.post(f"{x_api.url}/2/tweets", json={"text": "no auth"}).status_code == 401

    def test_dm_returns_conversation_and_event_ids(self, x_api: XStandIn) -> None:
        url = f"{x_api.url}/2/dm_conversations/with/42/messages"
        response = httpx.post(url, headers={"Authorization": "Bearer t"}, json={"text": "Hallo"})
        assert response.status_code == 201
        assert set(response.json()["data"]) == {"dm_conversation_id", "dm_event_id"}
        assert x_api.direct_messages()[0]["participant_id"] == "42"
        assert x_api.count("dm_messages") == 1

    def test_x_signatures_are_base64_hmacs(self) -> None:
        digest = hmac.new(b"consumer", b"token", hashlib.sha256).digest()
        assert x_crc_response("consumer", "token") == {
            "response_token": f"sha256={base64.b64encode(digest).decode()}"
        }
        body_digest = hmac.new(b"consumer", b"{}", hashlib.sha256).digest()
        expected = f"sha256={base64.b64encode(body_digest).decode()}"
        assert sign_x_body("consumer", b"{}")["x-twitter-webhooks-signature"] == expected


class TestReplyReceiver:
    def test_receiver_records_signed_reply(self, receiver: ReplyReceiver) -> None:
        body = json.dumps({"enquiry_id": "e1", "text": "Hallo"}).encode()
        headers = sign_generic_body("hook-secret", body, timestamp=1_700_000_000)
        assert httpx.post(f"{receiver.url}/replies/e1", content=body, headers=headers).json() == {
            "ok": True
        }
        call = receiver.wait_for("/replies/e1")[0]
        assert call.params == {"enquiry_id": "e1", "text": "Hallo"}
        assert receiver.signed_correctly(call, "hook-secret")
        assert not verify_generic_signature("other-secret", call.headers, call.body)
        signed = b"1700000000." + body
        digest = hmac.new(b"hook-secret", signed, hashlib.sha256).hexdigest()
        assert headers["X-ReplyDesk-Signature"] == f"sha256={digest}"

    def test_receiver_scripted_failure_is_seen_by_client(self, receiver: ReplyReceiver) -> None:
        receiver.fail("/replies/e1", status=502)
        assert httpx.post(f"{receiver.url}/replies/e1", json={}).status_code == 502
        assert httpx.post(f"{receiver.url}/replies/e1", json={}).status_code == 200
