"""Storage behaviour on real SQLite and PostgreSQL databases: dedupe, idempotency, outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.errors import DuplicateError, InputError, NotFoundError
from bot.models import (
    Channel,
    Decision,
    DecisionKind,
    Delivery,
    DeliveryState,
    Draft,
    DraftAction,
    Enquiry,
    EnquiryKind,
    Language,
)
from bot.storage import Database, DraftingState, SlackCard, alembic_config, metadata

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


async def _create_schema(schema: str) -> None:
    admin = create_async_engine(POSTGRES_URL, poolclass=NullPool)
    try:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    finally:
        await admin.dispose()


async def _drop_schema(schema: str) -> None:
    admin = create_async_engine(POSTGRES_URL, poolclass=NullPool)
    try:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        await admin.dispose()


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    # A parent directory that does not exist yet: migrate() must create it.
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'new' / 'dir' / 'replydesk.sqlite3'}")
    try:
        await db.migrate()
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def postgresql_database() -> AsyncIterator[Database]:
    schema = f"rd_{uuid.uuid4().hex}"
    try:
        await _create_schema(schema)
    except (OSError, sa.exc.OperationalError) as error:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {error}")
    db = Database(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        await db.migrate()
        yield db
    finally:
        await db.dispose()
        await _drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Database:
    """Each test runs once per real database, each time on an empty, migrated schema."""
    db: Database = request.getfixturevalue(f"{request.param}_database")
    return db


def make_enquiry(external_id: str = "update-1", **changes: object) -> Enquiry:
    values: dict[str, object] = {
        "id": uuid.uuid4().hex,
        "channel": Channel.TELEGRAM,
        "external_id": external_id,
        "text": "Wann habt ihr geöffnet?",
        "author_id": "user-7",
        "author_name": "Ada",
        "language_hint": "de",
        "kind": EnquiryKind.TEXT,
        "reply_target": {"chat_id": "42", "message_id": "9"},
        "received_at": T0,
    }
    values.update(changes)
    return Enquiry(**values)  # type: ignore[arg-type]


def make_draft(enquiry_id: str, revision: int = 1, **changes: object) -> Draft:
    values: dict[str, object] = {
        "id": uuid.uuid4().hex,
        "enquiry_id": enquiry_id,
        "text": f"Antwort, Fassung {revision}",
        "language": Language.DE,
        "action": DraftAction.REVIEW,
        "confidence": 0.875,
        "citations": ("opening-hours", "holidays"),
        "guideline_clauses": ("§3",),
        "flags": ("short",),
        "drafter": "openai:gpt-4o-mini",
        "revision": revision,
        "cited_hashes": {"opening-hours": "abc123", "holidays": "def456"},
        "prompt_tokens": 812,
        "completion_tokens": 64,
        "created_at": T0 + dt.timedelta(minutes=revision),
    }
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


def make_decision(draft_id: str, reviewer: str = "U123") -> Decision:
    return Decision(
        id=uuid.uuid4().hex,
        draft_id=draft_id,
        kind=DecisionKind.EDITED,
        decided_by=reviewer,
        final_text="Wir haben ab 9 Uhr geöffnet.",
        decided_at=T0 + dt.timedelta(hours=1),
    )


def make_delivery(draft_id: str) -> Delivery:
    return Delivery(
        id=uuid.uuid4().hex,
        draft_id=draft_id,
        channel=Channel.TELEGRAM,
        text="Wir haben ab 9 Uhr geöffnet.",
        reply_target={"chat_id": "42"},
        created_at=T0,
        updated_at=T0,
    )


async def seed_draft(database: Database, external_id: str = "update-1") -> Draft:
    """Store an enquiry with one draft, since drafts and deliveries need their parents."""
    async with database.unit_of_work() as uow:
        enquiry, _ = await uow.enquiries.add(make_enquiry(external_id))
        draft = make_draft(enquiry.id)
        await uow.drafts.add(draft)
        await uow.commit()
    return draft


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


# --- schema -------------------------------------------------------------------------------


async def test_migrations_match_metadata(database: Database) -> None:
    def differences(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with database.engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_migrating_twice_changes_nothing(database: Database) -> None:
    await database.migrate()
    async with database.engine.connect() as conn:
        version = await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert version == head


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(InputError):
        Database("sqlite+aiosqlite://")


# --- enquiries and conversations ----------------------------------------------------------


async def test_enquiry_round_trips_with_timezone_aware_timestamps(database: Database) -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    original = make_enquiry(received_at=T0.astimezone(berlin))
    async with database.unit_of_work() as uow:
        stored, is_new = await uow.enquiries.add(original)
        await uow.commit()
    async with database.unit_of_work() as uow:
        loaded = await uow.enquiries.get(original.id)

    assert is_new
    assert loaded == stored == original
    assert loaded is not None
    assert loaded.received_at.tzinfo is dt.UTC
    assert loaded.received_at == T0


async def test_naive_timestamp_is_refused(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            await uow.enquiries.add(make_enquiry(received_at=dt.datetime(2026, 3, 1, 9, 30)))


async def test_repeated_delivery_of_same_external_id_stores_one_enquiry(
    database: Database,
) -> None:
    first = make_enquiry("update-9", text="first copy")
    repeat = make_enquiry("update-9", text="second copy")
    async with database.unit_of_work() as uow:
        await uow.enquiries.add(first)
        await uow.commit()
    async with database.unit_of_work() as uow:
        stored, is_new = await uow.enquiries.add(repeat)
        await uow.commit()
        everything = await uow.enquiries.list_recent(10)

    assert not is_new
    assert stored == first
    assert everything == [first]


async def test_same_external_id_on_another_channel_is_a_new_enquiry(database: Database) -> None:
    async with database.unit_of_work() as uow:
        _, telegram_new = await uow.enquiries.add(make_enquiry("77"))
        _, webhook_new = await uow.enquiries.add(make_enquiry("77", channel=Channel.WEBHOOK))
    assert telegram_new
    assert webhook_new


async def test_concurrent_duplicate_enquiries_store_one(database: Database) -> None:
    async def deliver(copy: int) -> tuple[Enquiry, bool]:
        async with database.unit_of_work() as uow:
            result = await uow.enquiries.add(make_enquiry("update-5", text=f"copy {copy}"))
            await uow.commit()
        return result

    results = await asyncio.gather(*(deliver(copy) for copy in range(5)))

    assert sum(is_new for _, is_new in results) == 1
    assert len({stored.id for stored, _ in results}) == 1
    async with database.unit_of_work() as uow:
        assert len(await uow.enquiries.list_recent(10)) == 1


async def test_concurrent_writers_wait_instead_of_failing(database: Database) -> None:
    async def deliver(number: int) -> bool:
        async with database.unit_of_work() as uow:
            _, is_new = await uow.enquiries.add(make_enquiry(f"update-{number}"))
            await uow.commit()
        return is_new

    assert all(await asyncio.gather(*(deliver(number) for number in range(20))))


async def test_recent_enquiries_come_newest_first_and_respect_the_limit(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        for minute in range(4):
            received = T0 + dt.timedelta(minutes=minute)
            await uow.enquiries.add(make_enquiry(f"u{minute}", received_at=received))
        recent = await uow.enquiries.list_recent(limit=2)
    assert [enquiry.external_id for enquiry in recent] == ["u3", "u2"]


async def test_conversation_stays_open_while_the_author_keeps_writing(database: Database) -> None:
    async with database.unit_of_work() as uow:
        conversation = await uow.conversations.open(Channel.TELEGRAM, "user-7", at=T0)
        later = T0 + dt.timedelta(minutes=20)
        await uow.enquiries.add(make_enquiry("a", conversation_id=conversation, received_at=T0))
        await uow.enquiries.add(make_enquiry("b", conversation_id=conversation, received_at=later))
        await uow.commit()

    async with database.unit_of_work() as uow:
        since = T0 + dt.timedelta(minutes=10)
        found = await uow.conversations.find_open(Channel.TELEGRAM, "user-7", since)
        too_late = await uow.conversations.find_open(
            Channel.TELEGRAM, "user-7", later + dt.timedelta(seconds=1)
        )
        other_author = await uow.conversations.find_open(Channel.TELEGRAM, "user-8", T0)
        thread = await uow.enquiries.in_conversation(conversation)

    assert found == conversation
    assert too_late is None
    assert other_author is None
    assert [enquiry.external_id for enquiry in thread] == ["a", "b"]


# --- units of work ------------------------------------------------------------------------


async def test_uncommitted_unit_of_work_rolls_back(database: Database) -> None:
    enquiry = make_enquiry()
    async with database.unit_of_work() as uow:
        await uow.enquiries.add(enquiry)

    async def fail_halfway() -> None:
        async with database.unit_of_work() as uow:
            await uow.enquiries.add(make_enquiry("update-2"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_halfway()

    async with database.unit_of_work() as uow:
        assert await uow.enquiries.list_recent(10) == []


async def test_work_after_a_commit_needs_its_own_commit(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await uow.enquiries.add(make_enquiry("kept"))
        await uow.commit()
        await uow.enquiries.add(make_enquiry("dropped"))

    async with database.unit_of_work() as uow:
        assert [e.external_id for e in await uow.enquiries.list_recent(10)] == ["kept"]


# --- drafts and decisions -----------------------------------------------------------------


async def test_draft_history_keeps_every_revision(database: Database) -> None:
    first = await seed_draft(database)
    second = make_draft(first.enquiry_id, revision=2, citations=(), cited_hashes={})
    third = make_draft(first.enquiry_id, revision=3, action=DraftAction.ESCALATE)
    async with database.unit_of_work() as uow:
        await uow.drafts.add(second)
        await uow.drafts.mark_superseded(first.id)
        await uow.drafts.add(third)
        await uow.drafts.mark_superseded(second.id)
        await uow.commit()

    async with database.unit_of_work() as uow:
        history = await uow.drafts.history(first.enquiry_id)
        latest = await uow.drafts.latest_for(first.enquiry_id)
        superseded = [await uow.drafts.is_superseded(d.id) for d in history]
        loaded = await uow.drafts.get(first.id)

    assert history == [first, second, third]
    assert latest == third
    assert superseded == [True, True, False]
    assert loaded == first


async def test_same_revision_twice_raises_duplicate_error(database: Database) -> None:
    first = await seed_draft(database)
    async with database.unit_of_work() as uow:
        with pytest.raises(DuplicateError):
            await uow.drafts.add(make_draft(first.enquiry_id, revision=1))


async def test_second_decision_on_same_draft_returns_first(database: Database) -> None:
    draft = await seed_draft(database)
    first = make_decision(draft.id, reviewer="U1")
    async with database.unit_of_work() as uow:
        await uow.decisions.record(first)
        await uow.commit()
    async with database.unit_of_work() as uow:
        stored, is_new = await uow.decisions.record(make_decision(draft.id, reviewer="U2"))
        await uow.commit()
        loaded = await uow.decisions.for_draft(draft.id)

    assert not is_new
    assert stored == first == loaded


async def test_concurrent_decisions_record_exactly_one(database: Database) -> None:
    draft = await seed_draft(database)

    async def click(reviewer: str) -> tuple[Decision, bool]:
        async with database.unit_of_work() as uow:
            result = await uow.decisions.record(make_decision(draft.id, reviewer))
            await uow.commit()
        return result

    results = await asyncio.gather(*(click(f"U{n}") for n in range(5)))

    assert sum(is_new for _, is_new in results) == 1
    assert len({decision.id for decision, _ in results}) == 1


# --- outbox -------------------------------------------------------------------------------


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


# --- cards, events, knowledge -------------------------------------------------------------


async def test_review_card_is_found_by_enquiry_and_by_message(database: Database) -> None:
    draft = await seed_draft(database)
    async with database.unit_of_work() as uow:
        await uow.cards.save(draft.enquiry_id, "C01", "1700000000.000100")
        moved = await uow.cards.save(draft.enquiry_id, "C01", "1700000001.000200")
        await uow.commit()
        by_enquiry = await uow.cards.get(draft.enquiry_id)
        by_ts = await uow.cards.find_by_ts("C01", "1700000001.000200")
        old_ts = await uow.cards.find_by_ts("C01", "1700000000.000100")

    assert moved == SlackCard(draft.enquiry_id, "C01", "1700000001.000200")
    assert by_enquiry == by_ts == moved
    assert old_ts is None


async def test_first_time_event_is_true_once(database: Database) -> None:
    async with database.unit_of_work() as uow:
        first = await uow.events.first_time("slack", "Ev01")
        repeat = await uow.events.first_time("slack", "Ev01")
        other_source = await uow.events.first_time("telegram", "Ev01")
        await uow.commit()
    async with database.unit_of_work() as uow:
        after_commit = await uow.events.first_time("slack", "Ev01")

    assert (first, repeat, other_source, after_commit) == (True, False, True, False)


async def test_concurrent_retries_of_one_event_are_handled_once(database: Database) -> None:
    async def handle() -> bool:
        async with database.unit_of_work() as uow:
            fresh = await uow.events.first_time("webhook", "hook-1")
            await uow.commit()
        return fresh

    assert sorted(await asyncio.gather(*(handle() for _ in range(5)))) == [False] * 4 + [True]


async def test_event_seen_in_a_rolled_back_unit_counts_as_new(database: Database) -> None:
    async with database.unit_of_work() as uow:
        assert await uow.events.first_time("slack", "Ev02")
    async with database.unit_of_work() as uow:
        assert await uow.events.first_time("slack", "Ev02")
        await uow.commit()
        assert await uow.events.prune(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)) == 1


async def test_knowledge_hashes_upsert_and_remove(database: Database) -> None:
    until = dt.date(2026, 12, 31)
    async with database.unit_of_work() as uow:
        await uow.knowledge.upsert("faq", "opening-hours", "h1", None)
        await uow.knowledge.upsert("faq", "holidays", "h2", until)
        await uow.knowledge.upsert("faq", "opening-hours", "h1-new", until)
        await uow.knowledge.upsert("other", "opening-hours", "x", None)
        await uow.commit()

    async with database.unit_of_work() as uow:
        before = await uow.knowledge.hashes("faq")
        current = await uow.knowledge.current("faq", ["opening-hours", "gone", "holidays"])
        await uow.knowledge.remove("faq", ["holidays"])
        await uow.knowledge.remove("faq", [])
        await uow.commit()
        after = await uow.knowledge.hashes("faq")
        untouched = await uow.knowledge.hashes("other")

    assert before == {"opening-hours": "h1-new", "holidays": "h2"}
    assert current == {"opening-hours": ("h1-new", until), "holidays": ("h2", until)}
    assert after == {"opening-hours": "h1-new"}
    assert untouched == {"opening-hours": "x"}


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
        await uow.card_states.mark_published(conversation_id)
        await uow.commit()
        published = await uow.card_states.to_publish()

    assert first.needs_publish and first.drafting is DraftingState.PENDING
    assert again.root_enquiry_id == enquiry.id
    assert [s.owner for s in delayed] == ["<@U_LEAD>"]
    assert [s.conversation_id for s in pending] == [conversation_id]
    assert published == []
