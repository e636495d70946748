"""Repositories for enquiries and the conversations that group them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Channel, Enquiry, EnquiryKind, utc_now
from bot.storage._dialect import is_postgresql, upsert_insert
from bot.storage.tables import conversations, enquiries


def _to_row(enquiry: Enquiry) -> dict[str, object]:
    return {
        "id": enquiry.id,
        "channel": enquiry.channel.value,
        "external_id": enquiry.external_id,
        "text": enquiry.text,
        "author_id": enquiry.author_id,
        "author_name": enquiry.author_name,
        "language_hint": enquiry.language_hint,
        "kind": enquiry.kind.value,
        "conversation_id": enquiry.conversation_id,
        "reply_target": dict(enquiry.reply_target),
        "received_at": enquiry.received_at,
    }


def _from_row(row: sa.Row[Any]) -> Enquiry:
    return Enquiry(
        id=row.id,
        channel=Channel(row.channel),
        external_id=row.external_id,
        text=row.text,
        author_id=row.author_id,
        author_name=row.author_name,
        language_hint=row.language_hint,
        kind=EnquiryKind(row.kind),
        conversation_id=row.conversation_id,
        reply_target=dict(row.reply_target),
        received_at=row.received_at,
    )


class EnquiryRepository:
    """Stores enquiries once per (channel, external_id), however often a channel delivers."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, enquiry: Enquiry) -> tuple[Enquiry, bool]:
        """Store `enquiry` unless the channel delivered it before.

        The insert skips on conflict inside the database, so concurrent deliveries of the
        same update cannot both be stored. A new enquiry that belongs to a conversation
        moves that conversation's `last_message_at` forward.

        Args:
            enquiry: The enquiry as the channel adapter built it.

        Returns:
            The stored enquiry (the first one, for a repeat) and whether it was new.
        """
        insert = upsert_insert(self._conn, enquiries).values(_to_row(enquiry))
        insert = insert.on_conflict_do_nothing(index_elements=["channel", "external_id"])
        created = (await self._conn.execute(insert.returning(*enquiries.c))).first()
        stored = (
            _from_row(created)
            if created is not None
            else await self._by_external_id(enquiry.channel, enquiry.external_id)
        )
        if created is not None and stored.conversation_id is not None:
            await self._touch_conversation(stored.conversation_id, stored.received_at)
        return stored, created is not None

    async def find(self, channel: Channel, external_id: str) -> Enquiry | None:
        """The enquiry a channel delivered under `external_id`, if it was stored."""
        query = sa.select(enquiries).where(
            enquiries.c.channel == channel.value, enquiries.c.external_id == external_id
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _from_row(row)

    async def get(self, enquiry_id: str) -> Enquiry | None:
        """Return the enquiry with `enquiry_id`, or None if there is none."""
        query = sa.select(enquiries).where(enquiries.c.id == enquiry_id)
        row = (await self._conn.execute(query)).first()
        return None if row is None else _from_row(row)

    async def list_recent(self, limit: int = 50) -> list[Enquiry]:
        """Return up to `limit` enquiries, newest first, for overviews and the CLI."""
        query = (
            sa.select(enquiries)
            .order_by(enquiries.c.received_at.desc(), enquiries.c.id.desc())
            .limit(limit)
        )
        return [_from_row(row) for row in await self._conn.execute(query)]

    async def in_conversation(self, conversation_id: str) -> list[Enquiry]:
        """Return a conversation's enquiries, oldest first, so drafts can see the thread."""
        query = (
            sa.select(enquiries)
            .where(enquiries.c.conversation_id == conversation_id)
            .order_by(enquiries.c.received_at, enquiries.c.id)
        )
        return [_from_row(row) for row in await self._conn.execute(query)]

    async def _by_external_id(self, channel: Channel, external_id: str) -> Enquiry:
        query = sa.select(enquiries).where(
            enquiries.c.channel == channel.value, enquiries.c.external_id == external_id
        )
        return _from_row((await self._conn.execute(query)).one())

    async def _touch_conversation(self, conversation_id: str, at: dt.datetime) -> None:
        # Only ever forward: a late, older delivery must not make a conversation look stale.
        await self._conn.execute(
            sa.update(conversations)
            .where(conversations.c.id == conversation_id, conversations.c.last_message_at < at)
            .values(last_message_at=at)
        )


class ConversationRepository:
    """Groups one author's enquiries on one channel into conversations."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def lock_author(self, channel: Channel, author_id: str) -> None:
        """Hold the author's lock until the transaction ends, so their messages queue up.

        Two messages of one customer arriving at the same moment (on one replica or two)
        must pick the same conversation: each looks for an open one and opens it if there
        is none, which only works one at a time. PostgreSQL takes a transaction-level
        advisory lock on the (channel, author) pair; SQLite's writers are serialised by
        BEGIN IMMEDIATE already.
        """
        if is_postgresql(self._conn):
            key = f"replydesk:author:{channel.value}:{author_id}"
            await self._conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
            )

    async def latest(
        self, channel: Channel, author_id: str, since: dt.datetime
    ) -> tuple[str, dt.datetime] | None:
        """The author's most recently active conversation since `since`, with its last message.

        Args:
            channel: Where the author writes.
            author_id: The channel's id of the author.
            since: Conversations quiet since before this moment are left out.
        """
        query = (
            sa.select(conversations.c.id, conversations.c.last_message_at)
            .where(
                conversations.c.channel == channel.value,
                conversations.c.author_id == author_id,
                conversations.c.last_message_at >= since,
            )
            .order_by(conversations.c.last_message_at.desc())
            .limit(1)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else (str(row.id), row.last_message_at)

    async def open(self, channel: Channel, author_id: str, at: dt.datetime | None = None) -> str:
        """Start a conversation and return its new id.

        Args:
            channel: Where the author writes.
            author_id: The channel's id of the author.
            at: When it opened; now if omitted.
        """
        conversation_id = uuid.uuid4().hex
        opened_at = at or utc_now()
        await self._conn.execute(
            sa.insert(conversations).values(
                id=conversation_id,
                channel=channel.value,
                author_id=author_id,
                opened_at=opened_at,
                last_message_at=opened_at,
            )
        )
        return conversation_id
