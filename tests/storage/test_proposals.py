"""Proposals fold repeats into one ranked row, expire after four weeks, and are decided once."""

from __future__ import annotations

import datetime as dt

from bot.storage import PROPOSAL_LIFETIME, Database, ProposalKind, ProposalStatus

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
PHRASE = {"alternate_question": "Rückgabe wie lange?"}


async def _record(db: Database, key: str, enquiry_id: str, now: dt.datetime = NOW) -> None:
    async with db.unit_of_work() as uow:
        await uow.proposals.record(
            ProposalKind.ALTERNATE_QUESTION, key, "returns-window-de", PHRASE, enquiry_id, now
        )
        await uow.commit()


class TestProposalRepository:
    async def test_a_repeated_key_appends_its_enquiry_instead_of_duplicating(
        self, database: Database
    ) -> None:
        await _record(database, "k1", "e1")
        await _record(database, "k1", "e2", NOW + dt.timedelta(minutes=1))
        await _record(database, "k1", "e2", NOW + dt.timedelta(minutes=2))

        async with database.unit_of_work() as uow:
            (offered,) = await uow.proposals.offered(NOW + dt.timedelta(hours=1))

        assert offered.enquiry_ids == ("e1", "e2")
        assert offered.rank == 2
        assert offered.proposed == PHRASE
        assert offered.created_at == NOW

    async def test_offered_ranks_by_enquiries_then_newest(self, database: Database) -> None:
        await _record(database, "old-single", "e1")
        await _record(database, "double", "e2")
        await _record(database, "double", "e3")
        await _record(database, "new-single", "e4", NOW + dt.timedelta(minutes=5))

        async with database.unit_of_work() as uow:
            offered = await uow.proposals.offered(NOW + dt.timedelta(hours=1))

        assert [p.key for p in offered] == ["double", "new-single", "old-single"]

    async def test_dismissed_and_expired_proposals_are_not_offered(
        self, database: Database
    ) -> None:
        await _record(database, "expired", "e1", NOW - PROPOSAL_LIFETIME - dt.timedelta(hours=1))
        await _record(database, "dismissed", "e2")
        await _record(database, "open", "e3")
        async with database.unit_of_work() as uow:
            (dismissed,) = [p for p in await uow.proposals.offered(NOW) if p.key == "dismissed"]
            assert await uow.proposals.decide(dismissed.id, ProposalStatus.DISMISSED, "U1", NOW)
            assert not await uow.proposals.decide(dismissed.id, ProposalStatus.ACCEPTED, "U2", NOW)
            await uow.commit()

        await _record(database, "dismissed", "e4")
        async with database.unit_of_work() as uow:
            offered = await uow.proposals.offered(NOW)
            again = await uow.proposals.get(dismissed.id)

        assert [p.key for p in offered] == ["open"]
        assert again is not None
        assert (again.status, again.decided_by, again.enquiry_ids) == (
            ProposalStatus.DISMISSED,
            "U1",
            ("e2",),
        )

    async def test_an_expired_proposal_seen_again_starts_afresh(self, database: Database) -> None:
        await _record(database, "k1", "e1", NOW - PROPOSAL_LIFETIME - dt.timedelta(days=1))
        await _record(database, "k1", "e2")

        async with database.unit_of_work() as uow:
            (offered,) = await uow.proposals.offered(NOW)

        assert (offered.enquiry_ids, offered.created_at) == (("e2",), NOW)
