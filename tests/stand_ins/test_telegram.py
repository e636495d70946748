"""The Telegram stand-in answers python-telegram-bot like the Bot API does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from telegram import Bot, Update
from telegram.error import BadRequest, RetryAfter
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from tests.stand_ins import TelegramStandIn, make_sticker_update, make_text_update
from tests.stand_ins.telegram import Poll

TELEGRAM_TOKEN = "123456:stand-in"


@pytest.fixture
def telegram() -> Iterator[TelegramStandIn]:
    with TelegramStandIn(token=TELEGRAM_TOKEN) as stand_in:
        yield stand_in


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
        assert telegram.polls() == [Poll(0, (1001, 1002)), Poll(1003, ())]

    @pytest.mark.asyncio
    async def test_polls_record_what_was_served_until_an_offset_confirms_it(
        self, telegram: TelegramStandIn
    ) -> None:
        telegram.push_update(make_text_update(1001, "Hallo"))
        async with Bot(TELEGRAM_TOKEN, base_url=f"{telegram.url}/bot") as bot:
            await bot.get_updates(timeout=0)
            await bot.get_updates(timeout=0)  # no offset: nothing confirmed, served again
            assert [u["update_id"] for u in telegram.pending_updates()] == [1001]
            await bot.get_updates(offset=1002, timeout=0)
        assert telegram.wait_for_poll(lambda p: p.offset == 1002) == Poll(1002, ())
        assert telegram.polls()[:2] == [Poll(None, (1001,)), Poll(None, (1001,))]
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
