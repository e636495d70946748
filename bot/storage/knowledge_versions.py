"""Repository of the content hash each knowledge entry had when it was last indexed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import utc_now
from bot.storage._dialect import upsert_insert
from bot.storage.tables import knowledge_versions

_table = knowledge_versions


class KnowledgeVersionRepository:
    """Lets indexing re-embed only changed entries and approvals spot changed citations.

    `knowledge_key` names one knowledge base (e.g. a directory or collection), so several
    can share a database.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def hashes(self, knowledge_key: str) -> dict[str, str]:
        """Return entry id -> content hash for every indexed entry of `knowledge_key`."""
        query = sa.select(_table.c.entry_id, _table.c.content_hash).where(
            _table.c.knowledge_key == knowledge_key
        )
        return {str(entry): str(digest) for entry, digest in await self._conn.execute(query)}

    async def upsert(
        self,
        knowledge_key: str,
        entry_id: str,
        content_hash: str,
        valid_until: dt.date | None,
    ) -> None:
        """Record the hash and validity an entry was (re-)indexed with, replacing the old one."""
        values = {"content_hash": content_hash, "valid_until": valid_until, "indexed_at": utc_now()}
        insert = upsert_insert(self._conn, _table).values(
            knowledge_key=knowledge_key, entry_id=entry_id, **values
        )
        await self._conn.execute(
            insert.on_conflict_do_update(index_elements=["knowledge_key", "entry_id"], set_=values)
        )

    async def remove(self, knowledge_key: str, entry_ids: Iterable[str]) -> None:
        """Forget entries that were deleted from the knowledge base."""
        ids = list(entry_ids)
        if not ids:
            return
        await self._conn.execute(
            sa.delete(_table).where(
                _table.c.knowledge_key == knowledge_key, _table.c.entry_id.in_(ids)
            )
        )

    async def current(
        self, knowledge_key: str, entry_ids: Iterable[str]
    ) -> dict[str, tuple[str, dt.date | None]]:
        """Return entry id -> (content hash, valid until) for the given entries that exist.

        Approvals compare this with a draft's `cited_hashes` to tell whether a cited entry
        changed, or expired, since the draft was written.
        """
        ids = list(entry_ids)
        if not ids:
            return {}
        query = sa.select(_table.c.entry_id, _table.c.content_hash, _table.c.valid_until).where(
            _table.c.knowledge_key == knowledge_key, _table.c.entry_id.in_(ids)
        )
        rows = await self._conn.execute(query)
        return {str(entry): (str(digest), until) for entry, digest, until in rows}
