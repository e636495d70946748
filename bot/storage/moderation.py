"""Repository of hide and unhide actions on customers' public posts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._dialect import upsert_insert
from bot.storage.tables import moderation_actions

_table = moderation_actions


class ModerationKind(StrEnum):
    """What a person asked the platform to do with the post."""

    HIDE = "hide"
    UNHIDE = "unhide"


class ModerationState(StrEnum):
    """Where one action stands."""

    QUEUED = "queued"  # recorded; the platform is being asked (or the asker died: see lease)
    DONE = "done"  # the platform confirmed it
    FAILED = "failed"  # the platform refused or could not be reached; a person may click again


@dataclass(frozen=True)
class ModerationAction:
    """One hide or unhide: who asked, under which guideline clause, and how it ended."""

    enquiry_id: str
    seq: int
    kind: ModerationKind
    requested_by: str
    clause: str
    state: ModerationState
    requested_at: dt.datetime
    last_error: str | None = None
    completed_at: dt.datetime | None = None


class ModerationRepository:
    """Appends one row per hide or unhide; the newest row tells whether a post is hidden.

    The actions of one enquiry are numbered 1, 2, 3 …: two replicas acting on the same
    click both ask for the same next number and the (enquiry_id, seq) key lets only the
    first one record it (on PostgreSQL the second insert waits for the first to commit).
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(
        self,
        enquiry_id: str,
        action: ModerationKind,
        requested_by: str,
        clause: str,
        at: dt.datetime,
        *,
        after: int | None = None,
    ) -> int | None:
        """Append a queued action after the enquiry's newest one.

        Args:
            enquiry_id: The enquiry whose post is meant.
            action: Hide or unhide.
            requested_by: Who clicked.
            clause: The guideline clause that allows it.
            at: When.
            after: The newest number the caller saw when it decided to act (0: none);
                None reads it now. Passing it makes an action recorded since then, even
                one committed a moment ago, win over this one.

        Returns:
            The action's number, or None when someone else recorded that number first
            (a double click or another replica): their action stands, this one is dropped.
        """
        if after is None:
            newest = await self._conn.execute(
                sa.select(sa.func.max(_table.c.seq)).where(_table.c.enquiry_id == enquiry_id)
            )
            after = int(newest.scalar() or 0)
        seq = after + 1
        insert = upsert_insert(self._conn, _table).values(
            enquiry_id=enquiry_id,
            seq=seq,
            action=action.value,
            requested_by=requested_by,
            clause=clause,
            state=ModerationState.QUEUED.value,
            requested_at=at,
        )
        # ON CONFLICT keeps the transaction usable on PostgreSQL, unlike a caught
        # IntegrityError, so the caller can still read what the other click recorded.
        insert = insert.on_conflict_do_nothing(index_elements=["enquiry_id", "seq"])
        created = (await self._conn.execute(insert.returning(_table.c.seq))).first()
        return None if created is None else seq

    async def finish(
        self,
        enquiry_id: str,
        seq: int,
        state: ModerationState,
        error: str | None,
        at: dt.datetime,
    ) -> None:
        """Close a queued action as done or failed (`error` says why, for staff)."""
        await self._conn.execute(
            sa.update(_table)
            .where(
                _table.c.enquiry_id == enquiry_id,
                _table.c.seq == seq,
                _table.c.state == ModerationState.QUEUED.value,
            )
            .values(state=state.value, last_error=error, completed_at=at)
        )

    async def get(self, enquiry_id: str, seq: int) -> ModerationAction | None:
        """One action of the enquiry, or None if it has no action with that number."""
        query = sa.select(_table).where(_table.c.enquiry_id == enquiry_id, _table.c.seq == seq)
        row = (await self._conn.execute(query)).first()
        return None if row is None else _action(row)

    async def latest(self, enquiry_id: str) -> ModerationAction | None:
        """The enquiry's newest action, whatever its state; None if nobody acted."""
        query = (
            sa.select(_table)
            .where(_table.c.enquiry_id == enquiry_id)
            .order_by(_table.c.seq.desc())
            .limit(1)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _action(row)

    async def latest_done(self, enquiry_id: str) -> ModerationAction | None:
        """The newest action the platform confirmed: a hide means the post is hidden now."""
        query = (
            sa.select(_table)
            .where(
                _table.c.enquiry_id == enquiry_id,
                _table.c.state == ModerationState.DONE.value,
            )
            .order_by(_table.c.seq.desc())
            .limit(1)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _action(row)

    async def history(self, enquiry_id: str) -> list[ModerationAction]:
        """Every action on the enquiry's post, oldest first."""
        query = sa.select(_table).where(_table.c.enquiry_id == enquiry_id).order_by(_table.c.seq)
        return [_action(row) for row in await self._conn.execute(query)]

    async def pending(
        self, requested_before: dt.datetime, limit: int = 50
    ) -> list[ModerationAction]:
        """Queued actions requested before `requested_before`, oldest first.

        An action still queued after its lease was left by a process that stopped while
        asking the platform; whether the platform did it is unknown.
        """
        query = (
            sa.select(_table)
            .where(
                _table.c.state == ModerationState.QUEUED.value,
                _table.c.requested_at < requested_before,
            )
            .order_by(_table.c.requested_at, _table.c.enquiry_id, _table.c.seq)
            .limit(limit)
        )
        return [_action(row) for row in await self._conn.execute(query)]


def _action(row: sa.Row[Any]) -> ModerationAction:
    return ModerationAction(
        enquiry_id=row.enquiry_id,
        seq=row.seq,
        kind=ModerationKind(row.action),
        requested_by=row.requested_by,
        clause=row.clause,
        state=ModerationState(row.state),
        requested_at=row.requested_at,
        last_error=row.last_error,
        completed_at=row.completed_at,
    )
