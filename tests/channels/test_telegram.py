"""Telegram end to end over real HTTP: PTB against the Bot API stand-in, the real ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.channels.intake import Intake
from bot.channels.telegram import LONG_POLL_SECONDS, TelegramChannel
from bot.faq.embedders import Embedder
from bot.jobs.delivery import DeliveryWorker
from bot.models import Channel, DeliveryState, Draft, DraftAction, EnquiryKind
from bot.review import CardStatus, load_card
from bot.settings import Settings
from bot.storage.tables import drafts, enquiries, review_cards
from tests.channels.harness import (
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    LiveApp,
    ManualClock,
    channel_settings,
    eventually,
    eventually_value,
    serve_app,
)
from tests.stand_ins import TelegramStandIn, make_sticker_update, make_text_update
from tests.stand_ins.telegram import Poll
from tests.stand_ins.wire import JSONObject

QUESTION = "Wie lange habe ich Zeit, einen Artikel zurückzuschicken?"
WEBHOOK_URL = "https://replydesk.example/webhooks/telegram"


def telegram_settings(
    data_dir: Path, telegram: TelegramStandIn, *, webhook: bool = True, **overrides: object
) -> Settings:
    extra: dict[str, object] = {
        "telegram_bot_token": TELEGRAM_TOKEN,
        "telegram_api_url": telegram.url,
    }
    if webhook:
        extra |= {"telegram_webhook_url": WEBHOOK_URL, "telegram_secret_token": TELEGRAM_SECRET}
    return channel_settings(data_dir, **extra, **overrides)


async def post_update(app: LiveApp, update: JSONObject, secret: str = TELEGRAM_SECRET) -> int:
    response = await app.http.post(
        f"{app.url}/webhooks/telegram",
        content=json.dumps(update).encode(),
        headers={"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"},
    )
    return response.status_code


async def only_conversation(app: LiveApp) -> str:
    return await eventually_value(lambda: _single(app))


async def _single(app: LiveApp) -> str | None:
    conversations = await app.conversation_ids()
    assert len(conversations) <= 1, conversations
    return conversations[0] if conversations else None


async def sent_state(app: LiveApp, draft_id: str) -> DeliveryState | None:
    delivery = await app.delivery_of(draft_id)
    return delivery.state if delivery else None


def database_file(settings: Settings) -> str:
    database = make_url(settings.resolved_database_url()).database
    assert database
    return database


@contextlib.contextmanager
def sqlite_connection(path: str) -> Iterator[sqlite3.Connection]:
    """A connection of the test's own to the app's SQLite file (autocommit)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.asynccontextmanager
async def write_lock(path: str) -> AsyncIterator[sqlite3.Connection]:
    """Hold SQLite's write lock, so the app's writes wait; yields a connection to read with."""
    with sqlite_connection(path) as conn:
        await asyncio.to_thread(conn.execute, "BEGIN IMMEDIATE")
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")


def stored_ids(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT external_id FROM enquiries ORDER BY external_id").fetchall()
    return [str(row[0]) for row in rows]


def own_channel(
    app: LiveApp, telegram: TelegramStandIn, poll_timeout: float = LONG_POLL_SECONDS
) -> TelegramChannel:
    """A polling channel on the app's desk, run by the test itself rather than the app."""
    token = SecretStr(TELEGRAM_TOKEN)
    intake = Intake(app.runtime.desk)
    return TelegramChannel(intake, token, api_url=telegram.url, poll_timeout=poll_timeout)


@contextlib.asynccontextmanager
async def polling(app: LiveApp, telegram: TelegramStandIn) -> AsyncIterator[asyncio.Task[None]]:
    """Run `own_channel` until the block ends; yields its task."""
    stop = asyncio.Event()
    task = asyncio.create_task(own_channel(app, telegram).run(stop))
    try:
        yield task
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_for_poll(telegram: TelegramStandIn, check: Callable[[Poll], bool]) -> Poll:
    return await asyncio.to_thread(telegram.wait_for_poll, check, 30.0)


async def card_status(app: LiveApp, conversation_id: str) -> CardStatus:
    desk = app.runtime.desk
    async with desk.db.unit_of_work() as uow:
        return (await load_card(uow, conversation_id, desk.catalog)).status


class TestTelegramPolling:
    async def test_polled_message_is_answered_once_as_a_reply(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        telegram.push_update(make_text_update(1001, QUESTION, chat_id=777, message_id=10))
        settings = telegram_settings(tmp_path, telegram, webhook=False)
        async with serve_app(settings, use_embedder) as app:
            conversation = await only_conversation(app)
            draft = await app.approve(conversation)
            await eventually(lambda: _is(app, draft.id, DeliveryState.SENT))
            [enquiry] = await app.enquiries()
            await asyncio.sleep(0.3)  # a second send, if any, would come now
        assert (enquiry.channel, enquiry.external_id, enquiry.kind) == (
            Channel.TELEGRAM,
            "1001",
            EnquiryKind.TEXT,
        )
        assert (enquiry.author_id, enquiry.author_name, enquiry.language_hint) == (
            "42",
            "Anna",
            "de",
        )
        assert enquiry.reply_target == {"chat_id": "777", "message_id": "10"}
        [sent] = telegram.sent_messages(777)
        assert sent["text"] == draft.text.strip()
        assert sent["reply_to_message"] == {
            "message_id": 10,
            "date": 1_700_000_000,
            "chat": sent["chat"],
        }
        assert [c.api_method for c in telegram.calls()][:2] == ["getMe", "deleteWebhook"]


class TestTelegramPollingConfirmation:
    """Polling confirms an update (the next getUpdates offset) only once it is stored."""

    async def test_update_is_confirmed_only_after_it_is_stored(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        settings = channel_settings(tmp_path)  # no Telegram token: the test polls itself
        async with serve_app(settings, use_embedder) as app, polling(app, telegram):
            await asyncio.to_thread(telegram.wait_for, "getUpdates")
            async with write_lock(database_file(settings)) as db:
                telegram.push_update(make_text_update(1001, QUESTION))
                await wait_for_poll(telegram, lambda p: 1001 in p.served)
                await asyncio.sleep(0.5)  # time to store and confirm, were storing not held up
                stored_while_locked = stored_ids(db)
                pending_while_locked = [u["update_id"] for u in telegram.pending_updates()]
                offsets_while_locked = {p.offset for p in telegram.polls()}
            await wait_for_poll(telegram, lambda p: p.offset == 1002)
            [enquiry] = await app.enquiries()
        assert stored_while_locked == []
        assert pending_while_locked == [1001]
        assert offsets_while_locked == {None}
        assert enquiry.external_id == "1001"
        assert telegram.pending_updates() == []

    async def test_failed_store_fetches_the_same_update_again_and_stores_it_once_back(
        self,
        tmp_path: Path,
        telegram: TelegramStandIn,
        use_embedder: Embedder,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO, logger="bot.channels.telegram")
        settings = channel_settings(tmp_path)
        async with serve_app(settings, use_embedder) as app:
            with sqlite_connection(database_file(settings)) as db:
                await asyncio.to_thread(db.execute, "ALTER TABLE inbox RENAME TO away")
                telegram.push_update(make_text_update(1001, QUESTION))
                async with polling(app, telegram):
                    await eventually(lambda: _served_at_least(telegram, 1001, times=2))
                    await asyncio.to_thread(db.execute, "ALTER TABLE away RENAME TO inbox")
                    await wait_for_poll(telegram, lambda p: p.offset == 1002)
                    stored = await app.enquiries()
        assert [e.external_id for e in stored] == ["1001"]
        assert {p.offset for p in telegram.polls() if 1001 in p.served} == {None}
        failures = [r for r in caplog.records if "storing updates 1001-1001 failed" in r.message]
        assert failures
        assert all("OperationalError" in r.message for r in failures)
        assert QUESTION not in caplog.text

    async def test_crash_between_fetching_and_storing_loses_nothing(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        texts = [QUESTION, "Kann ich an eine Packstation liefern lassen?", "Danke!"]
        for n, text in enumerate(texts):
            telegram.push_update(make_text_update(1001 + n, text, message_id=10 + n))
        settings = telegram_settings(tmp_path, telegram, webhook=False)
        without_telegram = channel_settings(tmp_path)
        async with serve_app(without_telegram, use_embedder) as app:
            async with write_lock(database_file(settings)):
                stop = asyncio.Event()
                task = asyncio.create_task(own_channel(app, telegram).run(stop))
                await wait_for_poll(telegram, lambda p: p.served == (1001, 1002, 1003))
                await asyncio.sleep(0.3)  # the channel now waits to store the batch
                task.cancel()  # the crash
                await asyncio.sleep(0.1)
            with contextlib.suppress(asyncio.CancelledError):
                await task
            stored_after_crash = await app.count(enquiries)
        unconfirmed = [u["update_id"] for u in telegram.pending_updates()]
        polls_before_restart = len(telegram.polls())
        async with serve_app(settings, use_embedder) as app:  # the restarted service
            await wait_for_poll(telegram, lambda p: p.offset == 1004)
            stored = await app.enquiries()
        assert stored_after_crash == 0
        assert unconfirmed == [1001, 1002, 1003]
        assert telegram.polls()[polls_before_restart] == Poll(None, (1001, 1002, 1003))
        assert sorted(e.external_id for e in stored) == ["1001", "1002", "1003"]

    async def test_update_without_a_customer_message_is_confirmed_without_an_enquiry(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        telegram.push_update(make_text_update(1001, "/start"))
        telegram.push_update(make_text_update(1002, QUESTION, message_id=11))
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            async with polling(app, telegram):
                await wait_for_poll(telegram, lambda p: p.offset == 1003)
            stored = await app.enquiries()
        assert [e.external_id for e in stored] == ["1002"]
        assert telegram.pending_updates() == []

    async def test_stop_ends_a_long_poll_within_a_second(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        telegram.delay("getUpdates", 5.0)  # Telegram holds the long poll open
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            stop = asyncio.Event()
            channel = own_channel(app, telegram, poll_timeout=30.0)
            task = asyncio.create_task(channel.run(stop))
            await asyncio.to_thread(telegram.wait_for, "getUpdates")
            started = time.monotonic()
            stop.set()
            await asyncio.wait_for(task, timeout=5)
            elapsed = time.monotonic() - started
        assert elapsed < 1.0

    async def test_conflict_with_another_poller_is_logged_once_and_polling_takes_over(
        self,
        tmp_path: Path,
        telegram: TelegramStandIn,
        use_embedder: Embedder,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        telegram.fail("getUpdates", times=2, status=409)
        telegram.push_update(make_text_update(1001, QUESTION))
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            async with polling(app, telegram):
                await wait_for_poll(telegram, lambda p: p.offset == 1002)
            stored = await app.enquiries()
        conflicts = [
            r
            for r in caplog.records
            if r.name == "bot.channels.telegram_polling" and r.levelno >= logging.WARNING
        ]
        assert [e.external_id for e in stored] == ["1001"]
        assert telegram.count("getUpdates") >= 4  # two conflicts, the batch, the confirmation
        assert len(conflicts) == 1
        assert "Conflict" in conflicts[0].message
        assert "another getUpdates consumer" in conflicts[0].message

    async def test_flood_control_waits_as_long_as_telegram_asks(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        telegram.fail("getUpdates", status=429, headers={"Retry-After": "2"})
        telegram.push_update(make_text_update(1001, QUESTION))
        async with serve_app(channel_settings(tmp_path), use_embedder) as app:
            started = time.monotonic()
            async with polling(app, telegram):
                await wait_for_poll(telegram, lambda p: 1001 in p.served)
                waited = time.monotonic() - started
                await wait_for_poll(telegram, lambda p: p.offset == 1002)
        assert 2.0 <= waited < 4.0
        assert telegram.count("getUpdates") >= 3


async def _served_at_least(telegram: TelegramStandIn, update_id: int, times: int) -> bool:
    return sum(update_id in p.served for p in telegram.polls()) >= times


class TestTelegramWebhook:
    async def test_start_up_registers_the_webhook_with_the_secret_token(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        async with serve_app(telegram_settings(tmp_path, telegram), use_embedder):
            [call] = await asyncio.to_thread(telegram.wait_for, "setWebhook")
        assert call.params["url"] == WEBHOOK_URL
        assert call.params["secret_token"] == TELEGRAM_SECRET
        assert telegram.count("getUpdates") == 0

    async def test_same_update_three_times_at_once_gives_one_enquiry_card_and_reply(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        update = make_text_update(2001, QUESTION, chat_id=555, message_id=77)
        async with serve_app(telegram_settings(tmp_path, telegram), use_embedder) as app:
            statuses = await asyncio.gather(*(post_update(app, update) for _ in range(3)))
            assert statuses == [200, 200, 200]
            conversation = await only_conversation(app)
            draft = await app.approve(conversation)
            await eventually(lambda: _is(app, draft.id, DeliveryState.SENT))
            assert await post_update(app, update) == 200  # a late fourth copy
            await asyncio.sleep(0.3)
            assert await app.count(enquiries) == 1
            assert await app.count(review_cards) == 1
        [sent] = telegram.sent_messages(555)
        assert sent["reply_to_message"]["message_id"] == 77  # type: ignore[index]
        assert telegram.count("sendMessage") == 1

    async def test_burst_of_three_messages_ends_in_one_draft_answering_all(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        texts = [
            QUESTION,
            "Kann ich an eine Packstation liefern lassen?",
            "Ich kann mich nicht in der App anmelden. Was tun?",
        ]
        updates = [
            make_text_update(3001 + n, text, message_id=100 + n) for n, text in enumerate(texts)
        ]
        async with serve_app(telegram_settings(tmp_path, telegram), use_embedder) as app:
            statuses = await asyncio.gather(*(post_update(app, u) for u in updates))
            assert statuses == [200, 200, 200]
            conversation = await only_conversation(app)
            stored = await app.enquiries()

            async def answering_all() -> Draft | None:
                draft = await app.current_draft(conversation)
                return draft if draft is not None and draft.enquiry_id == stored[-1].id else None

            # An earlier draft may show for a moment; the one made after all three stays.
            draft = await eventually_value(answering_all)
            total_drafts = await app.count(drafts)
        assert len(stored) == 3
        assert {e.conversation_id for e in stored} == {conversation}
        assert draft.enquiry_id == stored[-1].id  # the current draft was made after all three
        assert {"returns-window-de", "packstation-de", "app-login-de"} <= set(draft.citations)
        assert 1 <= total_drafts <= 3  # earlier drafts, if any, are superseded

    async def test_sticker_becomes_an_enquiry_of_its_kind_for_a_person(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        async with serve_app(telegram_settings(tmp_path, telegram), use_embedder) as app:
            assert await post_update(app, make_sticker_update(4001, emoji="😀")) == 200
            conversation = await only_conversation(app)
            draft = await eventually_value(lambda: app.current_draft(conversation))
            [enquiry] = await app.enquiries()
        assert (enquiry.kind, enquiry.text) == (EnquiryKind.STICKER, "[sticker 😀]")
        assert draft.action is DraftAction.ESCALATE
        assert "non_text_message" in draft.flags

    async def test_bare_start_command_is_acknowledged_but_not_stored(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        async with serve_app(telegram_settings(tmp_path, telegram), use_embedder) as app:
            assert await post_update(app, make_text_update(4101, "/start")) == 200
            assert await app.count(enquiries) == 0


class TestTelegramDelivery:
    async def test_telegram_down_for_a_while_then_up_delivers_once(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        clock = ManualClock()
        settings = telegram_settings(tmp_path, telegram)
        async with serve_app(settings, use_embedder, deliver=False, clock=clock) as app:
            assert await post_update(app, make_text_update(5001, QUESTION)) == 200
            draft = await app.approve(await only_conversation(app))
            telegram.fail("sendMessage", times=3, status=502)
            worker = app.runtime.worker
            for _ in range(3):
                await worker.run_until_idle()
                assert await sent_state(app, draft.id) is DeliveryState.QUEUED
                clock.advance(400)  # past any backoff
            await worker.run_until_idle()
            delivery = await app.delivery_of(draft.id)
        assert delivery is not None
        assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 4)
        assert telegram.count("sendMessage") == 4
        assert len(telegram.sent_messages()) == 1

    async def test_flood_control_retry_after_is_honoured(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        clock = ManualClock()
        settings = telegram_settings(tmp_path, telegram)
        async with serve_app(settings, use_embedder, deliver=False, clock=clock) as app:
            assert await post_update(app, make_text_update(5101, QUESTION)) == 200
            draft = await app.approve(await only_conversation(app))
            telegram.fail("sendMessage", status=429, headers={"Retry-After": "30"})
            worker = app.runtime.worker
            await worker.run_until_idle()
            clock.advance(29)
            await worker.run_until_idle()
            calls_within_wait = telegram.count("sendMessage")
            clock.advance(2)
            await worker.run_until_idle()
            delivery = await app.delivery_of(draft.id)
        assert calls_within_wait == 1
        assert delivery is not None and delivery.state is DeliveryState.SENT
        assert telegram.count("sendMessage") == 2
        assert len(telegram.sent_messages()) == 1

    async def test_crash_between_send_and_record_ends_outcome_unknown_not_resent(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        settings = telegram_settings(tmp_path, telegram)
        async with serve_app(settings, use_embedder, deliver=False) as app:
            assert await post_update(app, make_text_update(6001, QUESTION)) == 200
            conversation = await only_conversation(app)
            draft = await app.approve(conversation)
            desk = app.runtime.desk
            async with desk.db.unit_of_work() as uow:
                claimed = await uow.deliveries.claim_next(desk.clock())
                await uow.commit()
            assert claimed is not None
            sender = app.runtime.worker._senders[Channel.TELEGRAM]
            await sender.send(claimed)  # reaches Telegram; the "crash" skips the record
        # The restarted service recovers at start-up and must not send again.
        async with serve_app(settings, use_embedder) as app:
            assert await sent_state(app, draft.id) is DeliveryState.OUTCOME_UNKNOWN
            assert await app.runtime.worker.run_until_idle() == 0
            await asyncio.sleep(0.3)
            status = await card_status(app, conversation)
        assert status is CardStatus.OUTCOME_UNKNOWN
        assert len(telegram.sent_messages()) == 1

    async def test_timeout_after_sending_is_outcome_unknown_not_a_second_send(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        from bot.channels.telegram_sender import TelegramSender

        settings = telegram_settings(tmp_path, telegram)
        async with serve_app(settings, use_embedder, deliver=False) as app:
            assert await post_update(app, make_text_update(6101, QUESTION)) == 200
            draft = await app.approve(await only_conversation(app))
            telegram.delay("sendMessage", 1.0, times=1)
            impatient = TelegramSender(SecretStr(TELEGRAM_TOKEN), telegram.url, read_timeout=0.2)
            worker = DeliveryWorker(app.runtime.desk, {Channel.TELEGRAM: impatient})
            await worker.run_until_idle()
            await asyncio.sleep(1.0)  # the slow answer arrives meanwhile
            assert await worker.run_until_idle() == 0
            await impatient.close()
            state = await sent_state(app, draft.id)
        assert state is DeliveryState.OUTCOME_UNKNOWN
        assert len(telegram.sent_messages()) == 1

    async def test_blocked_bot_fails_the_delivery_with_the_reason(
        self, tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
    ) -> None:
        settings = telegram_settings(tmp_path, telegram)
        async with serve_app(settings, use_embedder, deliver=False) as app:
            assert await post_update(app, make_text_update(6201, QUESTION)) == 200
            conversation = await only_conversation(app)
            draft = await app.approve(conversation)
            telegram.fail("sendMessage", status=403)
            await app.runtime.worker.run_until_idle()
            delivery = await app.delivery_of(draft.id)
            status = await card_status(app, conversation)
        assert delivery is not None and delivery.state is DeliveryState.FAILED
        assert "Forbidden" in (delivery.last_error or "")
        assert status is CardStatus.DELIVERY_FAILED
        assert telegram.sent_messages() == []


async def _is(app: LiveApp, draft_id: str, state: DeliveryState) -> bool:
    return await sent_state(app, draft_id) is state
