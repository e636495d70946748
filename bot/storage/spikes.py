"""Repositories of topics (what each enquiry is about) and spikes (bursts of one topic)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._dialect import is_postgresql, upsert_insert
from bot.storage.tables import enquiry_topics, spikes


class TopicRepository:
    """One row per enquiry and topic, counted per window by the spike watch."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def tag(self, enquiry_id: str, topics: Iterable[str], received_at: dt.datetime) -> None:
        """File the enquiry under `topics`; a topic it already has is kept once."""
        rows = [
            {"enquiry_id": enquiry_id, "topic": topic, "received_at": received_at}
            for topic in sorted(set(topics))
        ]
        if rows:
            insert = upsert_insert(self._conn, enquiry_topics).values(rows)
            await self._conn.execute(
                insert.on_conflict_do_nothing(index_elements=["enquiry_id", "topic"])
            )

    async def counts(self, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
        """Enquiries per topic received in [start, end)."""
        rows = await self._conn.execute(
            sa.select(enquiry_topics.c.topic, sa.func.count())
            .where(enquiry_topics.c.received_at >= start, enquiry_topics.c.received_at < end)
            .group_by(enquiry_topics.c.topic)
        )
        return {str(row[0]): int(row[1]) for row in rows}

    async def enquiries_of(
        self, topic: str, since: dt.datetime, limit: int | None = None
    ) -> list[str]:
        """Ids of the topic's enquiries received since `since`, oldest first."""
        query = (
            sa.select(enquiry_topics.c.enquiry_id)
            .where(enquiry_topics.c.topic == topic, enquiry_topics.c.received_at >= since)
            .order_by(enquiry_topics.c.received_at, enquiry_topics.c.enquiry_id)
            .limit(limit)
        )
        return list((await self._conn.execute(query)).scalars())

    async def topics_of(self, enquiry_id: str) -> list[str]:
        """The topics the enquiry is filed under."""
        rows = await self._conn.execute(
            sa.select(enquiry_topics.c.topic).where(enquiry_topics.c.enquiry_id == enquiry_id)
        )
        return sorted(rows.scalars())


@dataclass(frozen=True)
class Spike:
    """A burst of one topic and what the leads made of it."""

    id: str
    topic: str
    label: str
    started_at: dt.datetime
    detected_at: dt.datetime
    count: int
    expected: float
    examples: tuple[str, ...]
    related: tuple[str, ...] = ()  # topics found to be the same burst
    ended_at: dt.datetime | None = None
    statement: Mapping[str, Any] | None = None
    statement_approved_by: str | None = None
    statement_approved_at: dt.datetime | None = None
    alert_channel: str | None = None
    alert_ts: str | None = None
    alert_sent: bool = False
    alert_claimed_until: dt.datetime | None = None

    @property
    def statement_approved(self) -> bool:
        """Whether a lead approved the holding statement: cards of the topic then offer it."""
        return self.statement is not None and self.statement_approved_by is not None


# The advisory lock key of the spike watch ("spik" in ASCII).
_WATCH_LOCK = 0x7370696B


class SpikeRepository:
    """At most one open spike per topic: the unique index settles which replica raised it."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def open(
        self,
        topic: str,
        label: str,
        started_at: dt.datetime,
        detected_at: dt.datetime,
        count: int,
        expected: float,
        examples: Sequence[str],
    ) -> Spike | None:
        """Open a spike on `topic`; None when one is open already (another replica saw it)."""
        spike = Spike(
            uuid.uuid4().hex,
            topic,
            label,
            started_at,
            detected_at,
            count,
            expected,
            tuple(examples),
        )
        insert = upsert_insert(self._conn, spikes).values(
            id=spike.id,
            topic=topic,
            label=label,
            started_at=started_at,
            detected_at=detected_at,
            count=count,
            expected=expected,
            examples=list(examples),
            related=[],
            alert_sent=False,
        )
        result = await self._conn.execute(
            insert.on_conflict_do_nothing(
                index_elements=["topic"], index_where=spikes.c.ended_at.is_(None)
            ).returning(spikes.c.id)
        )
        return spike if result.first() is not None else None

    async def get(self, spike_id: str) -> Spike | None:
        """The spike, or None."""
        row = (await self._conn.execute(sa.select(spikes).where(spikes.c.id == spike_id))).first()
        return _spike_from(row) if row is not None else None

    async def open_spikes(self) -> list[Spike]:
        """Spikes not yet over, oldest first."""
        rows = await self._conn.execute(
            sa.select(spikes).where(spikes.c.ended_at.is_(None)).order_by(spikes.c.detected_at)
        )
        return [_spike_from(row) for row in rows]

    async def ended_since(self, since: dt.datetime) -> list[Spike]:
        """Spikes that ended after `since` (their topics are cooling down)."""
        rows = await self._conn.execute(sa.select(spikes).where(spikes.c.ended_at >= since))
        return [_spike_from(row) for row in rows]

    async def unannounced(self) -> list[Spike]:
        """Open spikes whose alert has not reached the leads yet (Slack was down)."""
        rows = await self._conn.execute(
            sa.select(spikes)
            .where(spikes.c.ended_at.is_(None), spikes.c.alert_sent.is_(False))
            .order_by(spikes.c.detected_at)
        )
        return [_spike_from(row) for row in rows]

    async def relate(self, spike: Spike, topic: str, since: dt.datetime) -> Spike:
        """Count `topic` as the same burst as `spike`, whose posts began `since` at the latest."""
        related = spike.related if topic in spike.related else (*spike.related, topic)
        started = min(spike.started_at, since)
        if related == spike.related and started == spike.started_at:
            return spike
        await self._conn.execute(
            sa.update(spikes)
            .where(spikes.c.id == spike.id)
            .values(related=list(related), started_at=started)
        )
        return dataclasses.replace(spike, related=related, started_at=started)

    async def set_statement(self, spike_id: str, statement: Mapping[str, Any]) -> None:
        """Store the drafted (not yet approved) statement."""
        await self._conn.execute(
            sa.update(spikes).where(spikes.c.id == spike_id).values(statement=dict(statement))
        )

    async def approve_statement(
        self, spike_id: str, statement: Mapping[str, Any], by: str, at: dt.datetime
    ) -> bool:
        """Store the lead's approved statement; False when the spike is over or unknown."""
        result = await self._conn.execute(
            sa.update(spikes)
            .where(spikes.c.id == spike_id, spikes.c.ended_at.is_(None))
            .values(statement=dict(statement), statement_approved_by=by, statement_approved_at=at)
        )
        return result.rowcount == 1

    async def claim_alert(self, spike_id: str, now: dt.datetime, until: dt.datetime) -> bool:
        """Take the posting of the alert until `until`; False when another replica has it."""
        result = await self._conn.execute(
            sa.update(spikes)
            .where(
                spikes.c.id == spike_id,
                spikes.c.alert_sent.is_(False),
                sa.or_(spikes.c.alert_claimed_until.is_(None), spikes.c.alert_claimed_until < now),
            )
            .values(alert_claimed_until=until)
        )
        return result.rowcount == 1

    async def lock_watch(self) -> None:
        """Serialise spike watching across replicas for this transaction (PostgreSQL)."""
        if is_postgresql(self._conn):
            await self._conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_WATCH_LOCK)))

    async def mark_announced(self, spike_id: str, channel: str, ts: str) -> None:
        """Remember where the alert was posted, so it is updated, not posted again."""
        await self._conn.execute(
            sa.update(spikes)
            .where(spikes.c.id == spike_id)
            .values(alert_channel=channel, alert_ts=ts, alert_sent=True)
        )

    async def end(self, spike_id: str, at: dt.datetime) -> bool:
        """Close the spike; False when it was closed already."""
        result = await self._conn.execute(
            sa.update(spikes)
            .where(spikes.c.id == spike_id, spikes.c.ended_at.is_(None))
            .values(ended_at=at)
        )
        return result.rowcount == 1

    async def active_statement_for(self, topics: Iterable[str]) -> Spike | None:
        """The open spike with an approved statement among `topics`, if any."""
        names = list(topics)
        if not names:
            return None
        row = (
            await self._conn.execute(
                sa.select(spikes)
                .where(
                    spikes.c.topic.in_(names),
                    spikes.c.ended_at.is_(None),
                    spikes.c.statement_approved_by.is_not(None),
                )
                .order_by(spikes.c.detected_at)
                .limit(1)
            )
        ).first()
        return _spike_from(row) if row is not None else None

    async def open_for(self, topics: Iterable[str]) -> list[Spike]:
        """Open spikes among `topics`."""
        names = list(topics)
        if not names:
            return []
        rows = await self._conn.execute(
            sa.select(spikes).where(spikes.c.topic.in_(names), spikes.c.ended_at.is_(None))
        )
        return [_spike_from(row) for row in rows]


def _spike_from(row: sa.Row[Any]) -> Spike:
    return Spike(
        id=row.id,
        topic=row.topic,
        label=row.label,
        started_at=row.started_at,
        detected_at=row.detected_at,
        count=row._mapping["count"],
        expected=row.expected,
        examples=tuple(row.examples),
        related=tuple(row.related or ()),
        ended_at=row.ended_at,
        statement=row.statement,
        statement_approved_by=row.statement_approved_by,
        statement_approved_at=row.statement_approved_at,
        alert_channel=row.alert_channel,
        alert_ts=row.alert_ts,
        alert_sent=row.alert_sent,
        alert_claimed_until=row.alert_claimed_until,
    )
