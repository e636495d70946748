"""Response-time reminders on card states: undecided cards are listed, each crossing is
claimed by one replica with one conditional UPDATE."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.models import Channel
from bot.storage import Database, DraftingState
from tests.storage.records import T0, make_decision, make_draft, make_enquiry

AT_RISK = T0 + dt.timedelta(minutes=50)
OVERDUE = T0 + dt.timedelta(minutes=70)


async def open_card(database: Database, author: str, *, decided: bool = False) -> str:
    async with database.unit_of_work() as uow:
        conversation_id = await uow.conversations.open(Channel.X, author)
        enquiry, _ = await uow.enquiries.add(
            make_enquiry(f"post-{author}", channel=Channel.X, conversation_id=conversation_id)
        )
        await uow.card_states.ensure(conversation_id, enquiry.id)
        await uow.card_states.set_drafting(conversation_id, DraftingState.DONE)
        draft = make_draft(enquiry.id)
        await uow.drafts.add(draft)
        if decided:
            await uow.decisions.record(make_decision(draft.id))
        await uow.commit()
    return conversation_id


async def claim(
    database: Database, conversation_id: str, seen: dt.datetime | None, now: dt.datetime
) -> bool:
    async with database.unit_of_work() as uow:
        claimed = await uow.card_states.claim_crossing(conversation_id, seen, now)
        await uow.commit()
    return claimed


async def test_only_cards_nobody_decided_are_waiting(database: Database) -> None:
    waiting = await open_card(database, "a")
    await open_card(database, "b", decided=True)

    async with database.unit_of_work() as uow:
        cards = await uow.card_states.waiting(T0 - dt.timedelta(days=1))
        too_old = await uow.card_states.waiting(T0 + dt.timedelta(seconds=1))

    assert [(c.conversation_id, c.channel, c.received_at, c.reminded_at) for c in cards] == [
        (waiting, "x", T0, None)
    ]
    assert too_old == []


async def test_of_two_replicas_that_read_the_card_unreminded_exactly_one_claims_it(
    database: Database,
) -> None:
    conversation_id = await open_card(database, "a")

    outcomes = await asyncio.gather(
        claim(database, conversation_id, None, AT_RISK),
        claim(database, conversation_id, None, AT_RISK),
    )
    late = await claim(database, conversation_id, None, AT_RISK)

    assert sorted(outcomes) == [False, True]
    assert late is False


async def test_the_overdue_crossing_is_claimed_once_and_marks_the_card_for_publishing(
    database: Database,
) -> None:
    conversation_id = await open_card(database, "a")
    assert await claim(database, conversation_id, None, AT_RISK)
    async with database.unit_of_work() as uow:
        (card,) = await uow.card_states.waiting(T0)
        published = await uow.card_states.get(conversation_id)

    outcomes = await asyncio.gather(
        claim(database, conversation_id, card.reminded_at, OVERDUE),
        claim(database, conversation_id, card.reminded_at, OVERDUE),
    )
    async with database.unit_of_work() as uow:
        state = await uow.card_states.get(conversation_id)
        (after,) = await uow.card_states.waiting(T0)

    assert card.reminded_at == AT_RISK
    assert sorted(outcomes) == [False, True]
    assert after.reminded_at == OVERDUE
    assert published is not None and state is not None
    assert state.needs_publish and state.publish_version > published.publish_version


async def test_a_reminder_given_back_can_be_claimed_again(database: Database) -> None:
    conversation_id = await open_card(database, "a")
    assert await claim(database, conversation_id, None, AT_RISK)

    async with database.unit_of_work() as uow:
        await uow.card_states.release_reminder(conversation_id, AT_RISK)
        await uow.commit()

    assert await claim(database, conversation_id, None, AT_RISK + dt.timedelta(seconds=30))
