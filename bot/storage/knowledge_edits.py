"""Repository of knowledge edits: every version of an entry ReplyDesk wrote, who and when."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import ConflictError
from bot.storage.tables import knowledge_edits

_table = knowledge_edits


class EditAction(StrEnum):
    """How a version of an entry came about."""

    CREATE = "create"  # the entry was written for the first time
    EDIT = "edit"  # fields of an existing entry were changed
    RESTORE = "restore"  # an older version's text was written back


@dataclass(frozen=True)
class KnowledgeEdit:
    """One version of an entry: its file's text before and after, who wrote it and when.

    `before` is None when the version created the file.
    """

    id: str
    knowledge_key: str
    entry_id: str
    version: int
    action: EditAction
    edited_by: str
    edited_at: dt.datetime
    before: str | None
    after: str


class KnowledgeEditRepository:
    """Appends versions and reads them back; versions count 1, 2, 3 … per entry.

    Two editors saving the same entry at once both ask for the same next number; the
    unique (knowledge_key, entry_id, version) constraint lets only one insert it and the
    other gets a `ConflictError` (on PostgreSQL its insert waits until the first commits).
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def next_version(self, knowledge_key: str, entry_id: str) -> int:
        """Return the number the entry's next version gets (1 for an entry without one)."""
        query = sa.select(sa.func.max(_table.c.version)).where(
            _table.c.knowledge_key == knowledge_key, _table.c.entry_id == entry_id
        )
        newest = (await self._conn.execute(query)).scalar()
        return int(newest or 0) + 1

    async def append(
        self,
        knowledge_key: str,
        entry_id: str,
        action: EditAction,
        edited_by: str,
        edited_at: dt.datetime,
        before: str | None,
        after: str,
    ) -> KnowledgeEdit:
        """Record the entry's next version.

        Raises:
            ConflictError: another editor recorded that version number first; this unit of
                work can only be rolled back.
        """
        edit = KnowledgeEdit(
            id=uuid.uuid4().hex,
            knowledge_key=knowledge_key,
            entry_id=entry_id,
            version=await self.next_version(knowledge_key, entry_id),
            action=action,
            edited_by=edited_by,
            edited_at=edited_at,
            before=before,
            after=after,
        )
        try:
            await self._conn.execute(
                sa.insert(_table).values(
                    id=edit.id,
                    knowledge_key=knowledge_key,
                    entry_id=entry_id,
                    version=edit.version,
                    action=action.value,
                    edited_by=edited_by,
                    edited_at=edited_at,
                    before=before,
                    after=after,
                )
            )
        except sa.exc.IntegrityError:
            raise ConflictError(
                f"another editor saved {entry_id!r} at the same moment: load it again"
            ) from None
        return edit

    async def versions(self, knowledge_key: str, entry_id: str) -> list[KnowledgeEdit]:
        """Return every recorded version of the entry, newest first."""
        query = (
            sa.select(_table)
            .where(_table.c.knowledge_key == knowledge_key, _table.c.entry_id == entry_id)
            .order_by(_table.c.version.desc())
        )
        return [_edit(row) for row in await self._conn.execute(query)]

    async def get(self, knowledge_key: str, entry_id: str, version: int) -> KnowledgeEdit | None:
        """Return one version of the entry, or None if it has no such version."""
        query = sa.select(_table).where(
            _table.c.knowledge_key == knowledge_key,
            _table.c.entry_id == entry_id,
            _table.c.version == version,
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _edit(row)


def _edit(row: sa.Row[Any]) -> KnowledgeEdit:
    return KnowledgeEdit(
        id=row.id,
        knowledge_key=row.knowledge_key,
        entry_id=row.entry_id,
        version=row.version,
        action=EditAction(row.action),
        edited_by=row.edited_by,
        edited_at=row.edited_at,
        before=row.before,
        after=row.after,
    )
