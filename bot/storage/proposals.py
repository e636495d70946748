"""Repository of proposals: knowledge changes learned from reviewers, ranked by enquiries helped."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage._dialect import upsert_insert
from bot.storage.tables import proposals

_table = proposals

# An open proposal nobody decided within four weeks is no longer offered; a new
# occurrence of its key starts it afresh.
PROPOSAL_LIFETIME = dt.timedelta(days=28)


class ProposalKind(StrEnum):
    """What a proposal would change in the knowledge."""

    ALTERNATE_QUESTION = "alternate_question"  # add the customer's phrasing to an entry
    ANSWER_UPDATE = "answer_update"  # replace an entry's answer with a reviewer's edit
    NEW_ENTRY = "new_entry"  # write an entry for questions a person had to answer


class ProposalStatus(StrEnum):
    """Where a proposal stands; only OPEN ones are offered."""

    OPEN = "open"  # waiting for a knowledge editor (unless older than the lifetime)
    ACCEPTED = "accepted"  # applied to the knowledge as a version
    DISMISSED = "dismissed"  # an editor said no; the same key is not offered again


@dataclass(frozen=True)
class Proposal:
    """One proposed change with the enquiries it would have helped.

    `proposed` holds the texts: `{"alternate_question": ...}`, `{"answer": ...,
    "seen_answer": ...}` (the entry's answer when the edit was made) or `{"question": ...,
    "answer": ..., "language": ...}`.
    """

    id: str
    kind: ProposalKind
    entry_id: str | None
    key: str
    proposed: dict[str, str]
    enquiry_ids: tuple[str, ...]
    status: ProposalStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    decided_by: str | None = None
    decided_at: dt.datetime | None = None

    @property
    def rank(self) -> int:
        """How many enquiries the proposal would have helped."""
        return len(self.enquiry_ids)

    def is_offered(self, now: dt.datetime) -> bool:
        """Tell whether an editor should still see it: open and not expired at `now`."""
        return self.status is ProposalStatus.OPEN and self.created_at >= now - PROPOSAL_LIFETIME


class ProposalRepository:
    """Folds repeated proposals into one row per key and lists the open ones, ranked."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(
        self,
        kind: ProposalKind,
        key: str,
        entry_id: str | None,
        proposed: Mapping[str, str],
        enquiry_id: str,
        now: dt.datetime,
    ) -> Proposal:
        """Add a proposal, or append `enquiry_id` to the one with the same key.

        The insert does nothing when the key exists; the row is then read with a row lock
        (PostgreSQL; SQLite's write lock already serialises the transaction), so two
        enquiries recorded at once both end up in the list. An accepted or dismissed
        proposal stays as it is; an expired open one starts again with this enquiry.

        Returns:
            The proposal as stored now.
        """
        insert = upsert_insert(self._conn, _table).values(
            id=uuid.uuid4().hex,
            kind=kind.value,
            entry_id=entry_id,
            key=key,
            proposed=dict(proposed),
            enquiry_ids=[enquiry_id],
            status=ProposalStatus.OPEN.value,
            created_at=now,
            updated_at=now,
        )
        await self._conn.execute(insert.on_conflict_do_nothing(index_elements=["key"]))
        query = sa.select(_table).where(_table.c.key == key).with_for_update()
        found = _proposal((await self._conn.execute(query)).one())
        if found.status is not ProposalStatus.OPEN:
            return found
        if not found.is_offered(now):
            values: dict[str, object] = {
                "proposed": dict(proposed),
                "enquiry_ids": [enquiry_id],
                "created_at": now,
                "updated_at": now,
            }
        elif enquiry_id in found.enquiry_ids:
            return found
        else:
            values = {"enquiry_ids": [*found.enquiry_ids, enquiry_id], "updated_at": now}
        await self._conn.execute(sa.update(_table).where(_table.c.id == found.id).values(values))
        return await self._require(found.id)

    async def offered(self, now: dt.datetime, kind: ProposalKind | None = None) -> list[Proposal]:
        """Open, unexpired proposals: most enquiries first, then the most recently seen."""
        query = sa.select(_table).where(
            _table.c.status == ProposalStatus.OPEN.value,
            _table.c.created_at >= now - PROPOSAL_LIFETIME,
        )
        if kind is not None:
            query = query.where(_table.c.kind == kind.value)
        found = [_proposal(row) for row in await self._conn.execute(query)]
        # Ranked here: the length of a JSON list is spelled differently by each database.
        return sorted(found, key=lambda p: (-p.rank, -p.updated_at.timestamp(), p.id))

    async def get(self, proposal_id: str) -> Proposal | None:
        """Return one proposal, or None if there is none with that id."""
        row = (
            await self._conn.execute(sa.select(_table).where(_table.c.id == proposal_id))
        ).first()
        return None if row is None else _proposal(row)

    async def decide(
        self, proposal_id: str, status: ProposalStatus, decided_by: str, now: dt.datetime
    ) -> bool:
        """Mark an open proposal accepted or dismissed; False if it was not open (any more)."""
        result = await self._conn.execute(
            sa.update(_table)
            .where(_table.c.id == proposal_id, _table.c.status == ProposalStatus.OPEN.value)
            .values(status=status.value, decided_by=decided_by, decided_at=now, updated_at=now)
        )
        return result.rowcount == 1

    async def reopen(self, proposal_id: str, now: dt.datetime) -> None:
        """Make a proposal open again, e.g. when applying its acceptance failed."""
        await self._conn.execute(
            sa.update(_table)
            .where(_table.c.id == proposal_id)
            .values(
                status=ProposalStatus.OPEN.value, decided_by=None, decided_at=None, updated_at=now
            )
        )

    async def _require(self, proposal_id: str) -> Proposal:
        found = await self.get(proposal_id)
        if found is None:  # pragma: no cover - read in the transaction that wrote it
            raise LookupError(proposal_id)
        return found


def _proposal(row: sa.Row[Any]) -> Proposal:
    return Proposal(
        id=row.id,
        kind=ProposalKind(row.kind),
        entry_id=row.entry_id,
        key=row.key,
        proposed={str(k): str(v) for k, v in dict(row.proposed).items()},
        enquiry_ids=tuple(str(i) for i in row.enquiry_ids),
        status=ProposalStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
