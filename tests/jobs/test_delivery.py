"""The delivery worker sends each approved reply once, through outages and restarts."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.errors import OutcomeUnknownError, PermanentError, RateLimitedError, TransientError
from bot.jobs.delivery import DeliveryWorker
from bot.models import Channel, Delivery, DeliveryState
from bot.review import CardStatus
from bot.services import (
    Desk,
    approve_draft,
    retry_delivery,
    take_in,
)
from tests.fakes.ports import RecordingSender
from tests.services.harness import Clock, board, current_draft_id, telegram


class TestDelivery:
    async def _approved(self, desk: Desk) -> str:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        draft_id = await current_draft_id(desk, receipt.conversation_id)
        await approve_draft(desk, draft_id, "U1")
        return draft_id

    async def test_an_approved_reply_is_sent_once_and_the_card_says_sent(self, desk: Desk) -> None:
        await self._approved(desk)
        sender = RecordingSender(Channel.TELEGRAM)
        worker = DeliveryWorker(desk, {Channel.TELEGRAM: sender})

        await worker.run_until_idle()
        await worker.run_until_idle()

        assert len(sender.sent) == 1
        assert sender.sent[0].reply_target["chat_id"] == "777"
        assert board(desk).latest().status is CardStatus.SENT

    async def test_a_restarted_worker_delivers_a_queued_reply_exactly_once(
        self, desk: Desk
    ) -> None:
        await self._approved(desk)
        first_sender = RecordingSender(Channel.TELEGRAM)
        DeliveryWorker(desk, {Channel.TELEGRAM: first_sender})  # "crashed" before it ran

        sender = RecordingSender(Channel.TELEGRAM)
        restarted = DeliveryWorker(desk, {Channel.TELEGRAM: sender})
        await restarted.recover()
        await restarted.run_until_idle()

        assert (len(first_sender.sent), len(sender.sent)) == (0, 1)

    async def test_a_crash_between_send_and_record_is_outcome_unknown_never_resent(
        self, desk: Desk
    ) -> None:
        draft_id = await self._approved(desk)
        async with desk.db.unit_of_work() as uow:
            claimed = await uow.deliveries.claim_next(desk.clock())
            await uow.commit()
        assert claimed is not None  # the worker sent it and then died before recording

        sender = RecordingSender(Channel.TELEGRAM)
        worker = DeliveryWorker(desk, {Channel.TELEGRAM: sender})
        recovered = await worker.recover()
        await worker.run_until_idle()

        assert [d.draft_id for d in recovered] == [draft_id]
        assert sender.sent == []
        assert board(desk).latest().status is CardStatus.OUTCOME_UNKNOWN

    async def test_transient_failures_are_retried_with_backoff_then_delivered(
        self, desk: Desk
    ) -> None:
        await self._approved(desk)
        sender = RecordingSender(
            Channel.TELEGRAM, failures=[TransientError("503"), RateLimitedError("429", 7)]
        )
        worker = DeliveryWorker(desk, {Channel.TELEGRAM: sender})
        clock = desk.clock
        assert isinstance(clock, Clock)

        await worker.run_until_idle()  # 503: rescheduled with backoff
        async with desk.db.unit_of_work() as uow:
            waiting = (await uow.deliveries.list_by_state(DeliveryState.QUEUED))[0]
        clock.now += dt.timedelta(minutes=1)
        await worker.run_until_idle()  # 429: rescheduled after Retry-After
        clock.now += dt.timedelta(seconds=6)
        assert await worker.run_once() is None  # Retry-After (7 s) not over yet
        clock.now += dt.timedelta(seconds=2)
        await worker.run_until_idle()

        assert waiting.last_error is not None and "503" in waiting.last_error
        assert len(sender.sent) == 1
        assert board(desk).latest().status is CardStatus.SENT

    async def test_after_the_last_attempt_the_card_offers_a_retry(self, desk: Desk) -> None:
        draft_id = await self._approved(desk)
        sender = RecordingSender(Channel.TELEGRAM, failures=[TransientError("down")] * 2)
        worker = DeliveryWorker(desk, {Channel.TELEGRAM: sender}, max_attempts=2)
        clock = desk.clock
        assert isinstance(clock, Clock)

        await worker.run_until_idle()
        clock.now += dt.timedelta(hours=1)
        await worker.run_until_idle()
        failed = board(desk).latest()
        await retry_delivery(desk, draft_id)
        await worker.run_until_idle()

        assert failed.status is CardStatus.DELIVERY_FAILED
        assert failed.delivery is not None and "gave up after 2 attempts" in (
            failed.delivery.last_error or ""
        )
        assert len(sender.sent) == 1

    async def test_a_refused_or_uncertain_send_is_not_retried(self, desk: Desk) -> None:
        await self._approved(desk)
        sender = RecordingSender(
            Channel.TELEGRAM, failures=[OutcomeUnknownError("timeout after send")]
        )
        worker = DeliveryWorker(desk, {Channel.TELEGRAM: sender})

        await worker.run_until_idle()
        await worker.run_until_idle()

        assert sender.sent == []
        assert board(desk).latest().status is CardStatus.OUTCOME_UNKNOWN

    async def test_a_refused_reply_fails_at_once_with_the_reason(self, desk: Desk) -> None:
        await self._approved(desk)
        sender = RecordingSender(Channel.TELEGRAM, failures=[PermanentError("chat not found")])
        worker = DeliveryWorker(desk, {Channel.TELEGRAM: sender})

        await worker.run_until_idle()

        card = board(desk).latest()
        assert card.status is CardStatus.DELIVERY_FAILED
        assert card.delivery is not None and "chat not found" in (card.delivery.last_error or "")


class HangingSender(RecordingSender):
    """Hangs on the reply to one chat until released; sends the others at once."""

    def __init__(self, hang_chat: str) -> None:
        super().__init__(Channel.TELEGRAM)
        self.hang_chat = hang_chat
        self.release = asyncio.Event()
        self._sent_one = asyncio.Event()

    async def send(self, delivery: Delivery) -> str:
        if delivery.reply_target.get("chat_id") == self.hang_chat:
            await self.release.wait()
        sent = await super().send(delivery)
        self._sent_one.set()
        return sent

    async def wait_until_sent(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.sent) < count:
                self._sent_one.clear()
                await self._sent_one.wait()


class TestNoHeadOfLineBlocking:
    async def test_a_receiver_that_hangs_holds_up_only_its_own_reply(self, desk: Desk) -> None:
        for n, chat in enumerate(["hangs", "quick-1", "quick-2"], start=1):
            inbound = telegram(n, "Wie lange habe ich Zeit für eine Rücksendung?", author=chat)
            inbound.reply_target["chat_id"] = chat
            receipt = await take_in(desk, inbound)
            await approve_draft(desk, await current_draft_id(desk, receipt.conversation_id), "U1")
        sender = HangingSender("hangs")
        worker = DeliveryWorker(desk, {Channel.TELEGRAM: sender})
        stop = asyncio.Event()
        workers = [asyncio.create_task(worker.run_forever(stop, 0.05)) for _ in range(2)]

        try:
            await sender.wait_until_sent(2)
            quick = sorted(d.reply_target["chat_id"] for d in sender.sent)
            sender.release.set()
            await sender.wait_until_sent(3)
        finally:
            stop.set()
            sender.release.set()
            await asyncio.gather(*workers)

        assert quick == ["quick-1", "quick-2"]
        assert len(sender.sent) == 3

    async def test_a_rate_limit_waits_as_asked_without_using_up_attempts(self, desk: Desk) -> None:
        receipt = await take_in(desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?"))
        await approve_draft(desk, await current_draft_id(desk, receipt.conversation_id), "U1")
        sender = RecordingSender(
            Channel.TELEGRAM, failures=[RateLimitedError("429", 1) for _ in range(8)]
        )
        worker = DeliveryWorker(desk, {Channel.TELEGRAM: sender}, max_attempts=3)
        clock = desk.clock
        assert isinstance(clock, Clock)

        for _ in range(9):  # eight rate limits, more than the three attempts allowed
            await worker.run_until_idle()
            clock.now += dt.timedelta(seconds=1.5)

        assert len(sender.sent) == 1
        assert board(desk).latest().status is CardStatus.SENT
