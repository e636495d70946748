"""The outbox: one row per draft, claimed by one worker, never resent blindly."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.errors import InputError, NotFoundError
from bot.models import Delivery, DeliveryState
from bot.storage import Database
from tests.storage.records import T0, make_delivery, seed_draft


async def seed_queued_delivery(database: Database) -> Delivery:
    draft = await seed_draft(database)
    async with database.unit_of_work() as uow:
        delivery, _ = await uow.deliveries.enqueue(make_delivery(draft.id))
        await uow.commit()
    return delivery


async def claim_in_own_unit(database: Database, now: dt.datetime) -> Delivery | None:
    async with database.unit_of_work() as uow:
        claimed = await uow.deliveries.claim_next(now)
        await uow.commit()
    return claimed


async def test_enqueueing_the_same_draft_twice_keeps_one_row(database: Database) -> None:
    draft = await seed_draft(database)
    first = make_delivery(draft.id)
    async with database.unit_of_work() as uow:
        stored_first, first_new = await uow.deliveries.enqueue(first)
        stored_again, again_new = await uow.deliveries.enqueue(make_delivery(draft.id))
        queued = await uow.deliveries.list_by_state(DeliveryState.QUEUED)

    assert (first_new, again_new) == (True, False)
    assert stored_first == stored_again == first
    assert queued == [first]


async def test_outbox_row_is_claimed_by_one_worker_only(database: Database) -> None:
    delivery = await seed_queued_delivery(database)
    now = T0 + dt.timedelta(seconds=1)

    claims = await asyncio.gather(*(claim_in_own_unit(database, now) for _ in range(5)))

    won = [claim for claim in claims if claim is not None]
    assert len(won) == 1
    assert won[0].id == delivery.id
    assert won[0].state is DeliveryState.SENDING
    assert won[0].attempts == 1


async def test_successful_send_records_the_platform_message_id(database: Database) -> None:
    delivery = await seed_queued_delivery(database)
    await claim_in_own_unit(database, T0)
    async with database.unit_of_work() as uow:
        sent = await uow.deliveries.mark_sent(delivery.id, "tg-555")
        await uow.commit()
        loaded = await uow.deliveries.for_draft(delivery.draft_id)

    assert sent.state is DeliveryState.SENT
    assert sent.external_message_id == "tg-555"
    assert sent.updated_at > delivery.updated_at
    assert loaded == sent


async def test_rescheduled_row_waits_until_it_is_due(database: Database) -> None:
    delivery = await seed_queued_delivery(database)
    await claim_in_own_unit(database, T0)
    due = T0 + dt.timedelta(minutes=5)
    async with database.unit_of_work() as uow:
        queued = await uow.deliveries.reschedule(delivery.id, "HTTP 503", due)
        await uow.commit()

    early = await claim_in_own_unit(database, due - dt.timedelta(seconds=1))
    on_time = await claim_in_own_unit(database, due)

    assert queued.state is DeliveryState.QUEUED
    assert queued.last_error == "HTTP 503"
    assert early is None
    assert on_time is not None
    assert on_time.attempts == 2


async def test_failed_row_is_sent_again_only_after_a_person_retries(database: Database) -> None:
    delivery = await seed_queued_delivery(database)
    await claim_in_own_unit(database, T0)
    async with database.unit_of_work() as uow:
        failed = await uow.deliveries.mark_failed(delivery.id, "x" * 5000)
        await uow.commit()
    assert await claim_in_own_unit(database, T0 + dt.timedelta(days=1)) is None

    async with database.unit_of_work() as uow:
        requeued = await uow.deliveries.requeue_failed(delivery.id, now=T0)
        await uow.commit()
    reclaimed = await claim_in_own_unit(database, T0)

    assert failed.state is DeliveryState.FAILED
    assert failed.last_error is not None
    assert len(failed.last_error) == 2000
    assert requeued.state is DeliveryState.QUEUED
    assert reclaimed is not None
    assert reclaimed.attempts == 2


async def test_only_failed_rows_can_be_requeued(database: Database) -> None:
    delivery = await seed_queued_delivery(database)
    await claim_in_own_unit(database, T0)
    async with database.unit_of_work() as uow:
        await uow.deliveries.mark_sent(delivery.id, "tg-1")
        with pytest.raises(InputError, match="sent"):
            await uow.deliveries.requeue_failed(delivery.id)
        with pytest.raises(NotFoundError):
            await uow.deliveries.requeue_failed("no-such-delivery")


async def test_stale_sending_row_becomes_outcome_unknown_not_resent(database: Database) -> None:
    delivery = await seed_queued_delivery(database)
    await claim_in_own_unit(database, T0)  # ... and the worker crashes before mark_sent

    async with database.unit_of_work() as uow:
        recovered = await uow.deliveries.recover_stale_sending()
        await uow.commit()
    again = await claim_in_own_unit(database, T0 + dt.timedelta(days=1))

    assert [row.id for row in recovered] == [delivery.id]
    assert recovered[0].state is DeliveryState.OUTCOME_UNKNOWN
    assert again is None
    async with database.unit_of_work() as uow:
        unknown = await uow.deliveries.list_by_state(DeliveryState.OUTCOME_UNKNOWN)
        with pytest.raises(InputError):
            await uow.deliveries.requeue_failed(delivery.id)
    assert unknown == recovered


async def test_recovery_with_a_cutoff_spares_fresh_claims(database: Database) -> None:
    await seed_queued_delivery(database)
    claimed = await claim_in_own_unit(database, T0)
    assert claimed is not None

    async with database.unit_of_work() as uow:
        recovered = await uow.deliveries.recover_stale_sending(older_than=T0)
        still_sending = await uow.deliveries.get(claimed.id)

    assert recovered == []
    assert still_sending == claimed


async def test_timed_out_send_can_be_flagged_outcome_unknown(database: Database) -> None:
    delivery = await seed_queued_delivery(database)
    await claim_in_own_unit(database, T0)
    async with database.unit_of_work() as uow:
        unknown = await uow.deliveries.mark_outcome_unknown(delivery.id)
        confirmed = await uow.deliveries.mark_sent(delivery.id, "tg-9")
    assert unknown.state is DeliveryState.OUTCOME_UNKNOWN
    assert confirmed.state is DeliveryState.SENT
