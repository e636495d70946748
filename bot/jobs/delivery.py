"""The delivery workers: send approved replies from the outbox, each at most once.

A row is claimed (QUEUED → SENDING) with a lease in its own transaction before the send, and
recorded after it; the worker renews the lease while it sends. Several workers (and replicas)
drain the outbox at once, so one slow receiver holds up only its own reply. Transient
failures go back to QUEUED with exponential backoff; a rate limit waits as long as the
platform asks without using up an attempt. After the last attempt the row is FAILED and the
card offers a retry. A SENDING row whose lease ran out belonged to a worker that died
mid-send: nobody knows whether the customer got the reply, so it becomes OUTCOME_UNKNOWN for
a person to check — never resent. Rows live workers hold are left alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Mapping

from tenacity import wait_exponential_jitter

from bot.errors import OutcomeUnknownError, PermanentError, RateLimitedError, TransientError
from bot.jobs.loop import work_forever
from bot.jobs.pace import Pace
from bot.models import Channel, Delivery
from bot.observability.metrics import DeliveryEvent, count_delivery, count_recorded_delivery
from bot.ports import ReplySender
from bot.services import Desk, publish_card
from bot.services.leases import LEASE, kept_alive

log = logging.getLogger(__name__)

# Exponential backoff between attempts (1 s, 2 s, 4 s … capped at 5 minutes, with jitter).
_BACKOFF = wait_exponential_jitter(initial=1, max=300, jitter=0.5)


# How often a worker looks for rows whose worker died mid-send.
RECOVER_SECONDS = 5.0


class _AttemptState:
    """The part of tenacity's RetryCallState its wait strategies read."""

    def __init__(self, attempt_number: int) -> None:
        self.attempt_number = attempt_number


class DeliveryWorker:
    """Drains the outbox through one sender per channel."""

    def __init__(
        self,
        desk: Desk,
        senders: Mapping[Channel, ReplySender],
        max_attempts: int = 6,
        backoff: wait_exponential_jitter = _BACKOFF,
    ) -> None:
        self._desk = desk
        self._senders = dict(senders)
        self._max_attempts = max_attempts
        self._backoff = backoff

    async def recover(self) -> list[Delivery]:
        """Mark rows a dead worker left mid-send (lease run out) as OUTCOME_UNKNOWN."""
        async with self._desk.db.unit_of_work() as uow:
            stale = await uow.deliveries.recover_stale_sending(self._desk.clock())
            await uow.commit()
        for delivery in stale:
            count_delivery(DeliveryEvent.OUTCOME_UNKNOWN)
            log.warning("delivery %s: outcome unknown after a crash", delivery.id)
            await self._refresh_card(delivery)
        return stale

    async def run_once(self) -> Delivery | None:
        """Send the next due reply, if any; return the row as recorded afterwards."""
        now, token = self._desk.clock(), uuid.uuid4().hex
        async with self._desk.db.unit_of_work() as uow:
            claimed = await uow.deliveries.claim_next(now, now + LEASE, token)
            await uow.commit()
        if claimed is None:
            return None

        async def renew(until: dt.datetime) -> bool:
            async with self._desk.db.unit_of_work() as uow:
                renewed = await uow.deliveries.renew_lease(claimed.id, token, until)
                await uow.commit()
            return renewed

        async with kept_alive(renew, self._desk.clock, f"delivery {claimed.id}"):
            recorded = await self._send(claimed)
        await self._refresh_card(recorded)
        return recorded

    async def run_until_idle(self) -> int:
        """Send every due reply; return how many rows were handled."""
        handled = 0
        while await self.run_once() is not None:
            handled += 1
        return handled

    async def run_forever(
        self, stop: asyncio.Event, poll_seconds: float = 1.0, pace: Pace | None = None
    ) -> None:
        """Deliver until `stop` is set, waking early when an approval queues a reply.

        Run several at once for several workers. Each round also recovers rows whose
        worker died (their leases ran out), in this replica or another.
        """
        recovered_at = -RECOVER_SECONDS

        async def step() -> bool:
            nonlocal recovered_at
            if time.monotonic() - recovered_at >= RECOVER_SECONDS:
                recovered_at = time.monotonic()
                await self.recover()
            return await self.run_once() is not None

        await work_forever("delivery", step, self._desk.outbox_wakeup, stop, poll_seconds, pace)

    async def _send(self, delivery: Delivery) -> Delivery:
        sender = self._senders.get(delivery.channel)
        error: str | None = None
        external_id: str | None = None
        retry_at: dt.datetime | None = None
        unknown = rate_limited = False
        if sender is None:
            error = f"no sender configured for channel {delivery.channel.value}"
        else:
            try:
                external_id = await sender.send(delivery)
            except RateLimitedError as exc:
                # Waiting as asked is not a failed attempt: it does not use up the budget.
                error, retry_at = f"rate limited: {exc}", self._after(exc.retry_after)
                rate_limited = True
            except TransientError as exc:
                error, retry_at = self._retry(delivery, f"temporary failure: {exc}", None)
            except OutcomeUnknownError as exc:
                error, unknown = str(exc), True
            except PermanentError as exc:
                error = f"refused: {exc}"
        async with self._desk.db.unit_of_work() as uow:
            if error is None:
                recorded = await uow.deliveries.mark_sent(delivery.id, external_id)
            elif unknown:
                recorded = await uow.deliveries.mark_outcome_unknown(delivery.id)
            elif retry_at is not None:
                recorded = await uow.deliveries.reschedule(
                    delivery.id, error, retry_at, refund_attempt=rate_limited
                )
            else:
                recorded = await uow.deliveries.mark_failed(delivery.id, error)
            await uow.commit()
        count_recorded_delivery(recorded.state)
        log.info(
            "delivery %s: %s (attempt %d)", delivery.id, recorded.state.value, delivery.attempts
        )
        return recorded

    def _retry(
        self, delivery: Delivery, error: str, retry_after: float | None
    ) -> tuple[str, dt.datetime | None]:
        """Return the error and when to try again, or no time when attempts are used up."""
        if delivery.attempts >= self._max_attempts:
            return f"{error} (gave up after {delivery.attempts} attempts)", None
        wait = retry_after if retry_after is not None else self._backoff_seconds(delivery.attempts)
        return error, self._after(wait)

    def _after(self, seconds: float) -> dt.datetime:
        return self._desk.clock() + dt.timedelta(seconds=seconds)

    def _backoff_seconds(self, attempt: int) -> float:
        state = _AttemptState(attempt)
        return float(self._backoff(state))  # type: ignore[arg-type]

    async def _refresh_card(self, delivery: Delivery) -> None:
        async with self._desk.db.unit_of_work() as uow:
            draft = await uow.drafts.get(delivery.draft_id)
            enquiry = await uow.enquiries.get(draft.enquiry_id) if draft else None
            if enquiry is None or enquiry.conversation_id is None:
                return
            await uow.card_states.mark_for_publish(enquiry.conversation_id)
            await uow.commit()
        await publish_card(self._desk, enquiry.conversation_id)
