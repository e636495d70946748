"""The drafting and publishing queues: each job runs once, a live worker's job is left alone,
a dead worker's job is taken over once its lease runs out."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.jobs.workers import reconcile_once
from bot.services import Desk, receive_enquiry
from bot.services.leases import LEASE
from bot.storage import DraftingState
from tests.services.harness import Clock, telegram

QUESTION = "Wie lange habe ich Zeit für eine Rücksendung?"


async def drafts_of(desk: Desk, enquiry_id: str) -> int:
    async with desk.db.unit_of_work() as uow:
        return len(await uow.drafts.history(enquiry_id))


class TestDraftingQueue:
    async def test_a_stored_message_is_drafted_once_by_workers_racing_for_it(
        self, desk: Desk
    ) -> None:
        receipt = await receive_enquiry(desk, telegram(1, QUESTION))

        await asyncio.gather(reconcile_once(desk), reconcile_once(desk), reconcile_once(desk))

        assert await drafts_of(desk, receipt.enquiry.id) == 1
        async with desk.db.unit_of_work() as uow:
            state = await uow.card_states.get(receipt.conversation_id)
        assert state is not None and state.drafting is DraftingState.DONE

    async def test_a_draft_a_live_worker_holds_is_left_alone_until_its_lease_runs_out(
        self, desk: Desk
    ) -> None:
        receipt = await receive_enquiry(desk, telegram(1, QUESTION))
        clock = desk.clock
        assert isinstance(clock, Clock)
        async with desk.db.unit_of_work() as uow:  # another replica claims it, then dies
            claim = await uow.drafting.claim(clock(), clock() + LEASE, "other-replica", None)
            await uow.commit()
        assert claim is not None

        await reconcile_once(desk)
        held = await drafts_of(desk, receipt.enquiry.id)
        clock.now += LEASE + dt.timedelta(seconds=1)
        await reconcile_once(desk)

        assert (held, await drafts_of(desk, receipt.enquiry.id)) == (0, 1)

    async def test_a_message_arriving_while_drafting_is_answered_by_the_next_draft(
        self, desk: Desk
    ) -> None:
        first = await receive_enquiry(desk, telegram(1, QUESTION))
        clock = desk.clock
        assert isinstance(clock, Clock)
        async with desk.db.unit_of_work() as uow:
            claim = await uow.drafting.claim(clock(), clock() + LEASE, "slow-worker", None)
            await uow.commit()
        assert claim is not None
        clock.now += dt.timedelta(seconds=2)
        second = await receive_enquiry(desk, telegram(2, "Und an eine Packstation?"))
        async with desk.db.unit_of_work() as uow:  # the slow worker's draft is now too old
            finished = await uow.drafting.finish(claim, DraftingState.DONE)
            await uow.drafting.release(claim)
            await uow.commit()

        await reconcile_once(desk)

        assert finished is False
        assert second.conversation_id == first.conversation_id
        assert await drafts_of(desk, second.enquiry.id) == 1
