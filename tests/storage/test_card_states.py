"""Card states: who drafts, who owns the card, and whether it still needs publishing."""

from __future__ import annotations

import datetime as dt

from bot.models import Channel, utc_now
from bot.storage import Database, DraftingState
from tests.storage.records import make_enquiry

NOW = utc_now()
LEASE = dt.timedelta(seconds=30)


async def test_card_state_tracks_drafting_owner_and_pending_publication(database: Database) -> None:
    async with database.unit_of_work() as uow:
        conversation_id = await uow.conversations.open(Channel.TELEGRAM, "42")
        enquiry, _ = await uow.enquiries.add(make_enquiry(conversation_id=conversation_id))
        first = await uow.card_states.ensure(conversation_id, enquiry.id)
        again = await uow.card_states.ensure(conversation_id, "someone-else")
        await uow.card_states.set_drafting(conversation_id, DraftingState.DELAYED)
        await uow.card_states.set_owner(conversation_id, "<@U_LEAD>")
        await uow.commit()

    async with database.unit_of_work() as uow:
        delayed = await uow.card_states.with_drafting(DraftingState.DELAYED)
        pending = await uow.card_states.to_publish()
        claim = await uow.publishing.claim(NOW, NOW + LEASE, "worker")
        assert claim is not None
        await uow.publishing.finish(claim)
        await uow.commit()
        published = await uow.card_states.to_publish()

    assert first.needs_publish and first.drafting is DraftingState.PENDING
    assert again.root_enquiry_id == enquiry.id
    assert [s.owner for s in delayed] == ["<@U_LEAD>"]
    assert [s.conversation_id for s in pending] == [conversation_id]
    assert published == []


async def seeded(database: Database) -> str:
    async with database.unit_of_work() as uow:
        conversation_id = await uow.conversations.open(Channel.TELEGRAM, "42")
        enquiry, _ = await uow.enquiries.add(make_enquiry(conversation_id=conversation_id))
        await uow.card_states.ensure(conversation_id, enquiry.id)
        await uow.card_states.set_drafting(conversation_id, DraftingState.DONE)
        await uow.commit()
    return conversation_id


async def test_a_card_waiting_for_its_draft_is_left_to_the_drafting_run(
    database: Database,
) -> None:
    conversation_id = await seeded(database)
    async with database.unit_of_work() as uow:
        await uow.card_states.set_drafting(conversation_id, DraftingState.PENDING)
        waiting = await uow.publishing.claim(NOW, NOW + LEASE, "a")
        direct = await uow.publishing.claim(NOW, NOW + LEASE, "b", conversation_id)

    assert waiting is None
    assert direct is not None


async def test_one_card_is_published_by_one_worker_at_a_time(database: Database) -> None:
    conversation_id = await seeded(database)
    async with database.unit_of_work() as uow:
        first = await uow.publishing.claim(NOW, NOW + LEASE, "a")
        second = await uow.publishing.claim(NOW, NOW + LEASE, "b")
        direct = await uow.publishing.claim(NOW, NOW + LEASE, "c", conversation_id)
        after_lease = await uow.publishing.claim(
            NOW + 2 * LEASE, NOW + 3 * LEASE, "d", conversation_id
        )

    assert first is not None and first.conversation_id == conversation_id
    assert (second, direct) == (None, None)
    assert after_lease is not None and after_lease.claims == 2


async def test_a_change_made_while_publishing_keeps_the_card_due(database: Database) -> None:
    conversation_id = await seeded(database)
    async with database.unit_of_work() as uow:
        claim = await uow.publishing.claim(NOW, NOW + LEASE, "a")
        assert claim is not None
        await uow.card_states.set_owner(conversation_id, "<@U_LEAD>")  # while Slack answers
        await uow.publishing.finish(claim)
        still_due = await uow.card_states.to_publish()
        again = await uow.publishing.claim(NOW, NOW + LEASE, "b")

    assert [s.conversation_id for s in still_due] == [conversation_id]
    assert again is not None and again.version > claim.version


async def test_a_failing_card_waits_alone_while_other_cards_go_on(database: Database) -> None:
    failing = await seeded(database)
    async with database.unit_of_work() as uow:
        claim = await uow.publishing.claim(NOW, NOW + LEASE, "a", failing)
        assert claim is not None
        await uow.publishing.delay(claim, NOW + dt.timedelta(minutes=1))
        other = await uow.conversations.open(Channel.TELEGRAM, "43")
        enquiry, _ = await uow.enquiries.add(make_enquiry(external_id="2", conversation_id=other))
        await uow.card_states.ensure(other, enquiry.id)
        await uow.card_states.set_drafting(other, DraftingState.DONE)
        next_up = await uow.publishing.claim(NOW, NOW + LEASE, "b")
        nothing = await uow.publishing.claim(NOW, NOW + LEASE, "c")
        later = await uow.publishing.claim(
            NOW + dt.timedelta(minutes=2), NOW + dt.timedelta(minutes=3), "d"
        )

    assert next_up is not None and next_up.conversation_id == other
    assert nothing is None
    assert later is not None and later.conversation_id == failing and later.failures == 1
