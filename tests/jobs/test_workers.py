"""The reconciler finishes stalled drafts once and leaves drafts in progress alone."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.jobs.reconciler import reconcile_once
from bot.services import Desk, receive_enquiry
from tests.services.harness import Clock, telegram


class TestReconciler:
    async def test_a_draft_in_progress_is_not_redone_by_the_reconciler(self, desk: Desk) -> None:
        receipt = await receive_enquiry(
            desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?")
        )

        await reconcile_once(desk)  # just received: the receiving request drafts it

        async with desk.db.unit_of_work() as uow:
            assert await uow.drafts.history(receipt.enquiry.id) == []

    async def test_a_stalled_draft_is_finished_by_the_reconciler_once(self, desk: Desk) -> None:
        receipt = await receive_enquiry(
            desk, telegram(1, "Wie lange habe ich Zeit für eine Rücksendung?")
        )
        clock = desk.clock
        assert isinstance(clock, Clock)
        clock.now += dt.timedelta(minutes=1)

        await asyncio.gather(reconcile_once(desk), reconcile_once(desk))

        async with desk.db.unit_of_work() as uow:
            assert len(await uow.drafts.history(receipt.enquiry.id)) == 1
