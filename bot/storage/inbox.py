"""The inbox: deliveries as they arrived, stored in one statement before acknowledging them.

`add_all` is all an inbound request does with the database; filing a message into its
customer's conversation (several queries, a lock) is the filing workers' job. A repeated
delivery hits the unique (channel, external id) key and is reported as a repeat.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Channel, EnquiryKind, InboundMessage
from bot.storage._dialect import is_postgresql, upsert_insert
from bot.storage.tables import EXTERNAL_LENGTH, inbox


@dataclass(frozen=True)
class InboxEntry:
    """A stored delivery waiting to be filed."""

    seq: int
    message: InboundMessage
    received_at: dt.datetime


class InboxRepository:
    """Deliveries in, unfiled deliveries out (oldest first), filed or rejected marks."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_all(self, messages: Sequence[InboundMessage], now: dt.datetime) -> list[bool]:
        """Store the messages of one delivery; for each, whether it was new (not a repeat)."""
        if not messages:
            return []
        rows = [
            {
                "channel": m.channel.value,
                "external_id": m.external_id,
                "message": _to_json(m),
                "received_at": now,
            }
            for m in messages
        ]
        insert = upsert_insert(self._conn, inbox).values(rows)
        insert = insert.on_conflict_do_nothing(index_elements=["channel", "external_id"])
        created = await self._conn.execute(insert.returning(inbox.c.channel, inbox.c.external_id))
        new = {(row.channel, row.external_id) for row in created}
        seen: set[tuple[str, str]] = set()
        answers = []
        for m in messages:
            key = (m.channel.value, m.external_id)
            answers.append(key in new and key not in seen)
            seen.add(key)
        return answers

    async def claim_unfiled(self, limit: int) -> list[InboxEntry]:
        """The oldest unfiled deliveries; on PostgreSQL locked until the transaction ends.

        Other filing workers skip the locked rows (FOR UPDATE SKIP LOCKED); on SQLite the
        transaction holds the write lock anyway.
        """
        query = (
            sa.select(inbox.c.seq, inbox.c.message, inbox.c.received_at)
            .where(inbox.c.filed_at.is_(None))
            .order_by(inbox.c.seq)
            .limit(limit)
        )
        if is_postgresql(self._conn):
            query = query.with_for_update(skip_locked=True)
        return [
            InboxEntry(int(row.seq), _from_json(row.message), row.received_at)
            for row in await self._conn.execute(query)
        ]

    async def mark_filed(
        self, seqs: Sequence[int], now: dt.datetime, rejected: str | None = None
    ) -> None:
        """Mark deliveries as filed, or as rejected with the reason (kept for a person)."""
        if seqs:
            await self._conn.execute(
                sa.update(inbox)
                .where(inbox.c.seq.in_(list(seqs)))
                .values(filed_at=now, rejected=rejected[:EXTERNAL_LENGTH] if rejected else None)
            )

    async def unfiled(self) -> int:
        """How many deliveries wait to be filed (for health checks and tests)."""
        query = sa.select(sa.func.count()).select_from(inbox).where(inbox.c.filed_at.is_(None))
        return int((await self._conn.execute(query)).scalar_one())


def _to_json(message: InboundMessage) -> dict[str, object]:
    return {
        "channel": message.channel.value,
        "external_id": message.external_id,
        "text": message.text,
        "author_id": message.author_id,
        "author_name": message.author_name,
        "language_hint": message.language_hint,
        "kind": message.kind.value,
        "reply_target": dict(message.reply_target),
    }


def _from_json(data: dict[str, object]) -> InboundMessage:
    def text(key: str) -> str | None:
        value = data.get(key)
        return None if value is None else str(value)

    target = data.get("reply_target")
    return InboundMessage(
        channel=Channel(str(data["channel"])),
        external_id=str(data["external_id"]),
        text=str(data.get("text") or ""),
        author_id=text("author_id"),
        author_name=text("author_name"),
        language_hint=text("language_hint"),
        kind=EnquiryKind(str(data.get("kind") or EnquiryKind.TEXT.value)),
        reply_target={str(k): str(v) for k, v in target.items()}
        if isinstance(target, dict)
        else {},
    )
