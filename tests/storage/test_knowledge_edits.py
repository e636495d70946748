"""Versions of knowledge entries: numbered per entry, newest first, one number per version."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.errors import ConflictError
from bot.storage import Database, EditAction

NOW = dt.datetime(2026, 12, 2, 10, 15, tzinfo=dt.UTC)


class TestKnowledgeEditRepository:
    async def test_versions_count_up_per_entry_and_list_newest_first(
        self, database: Database
    ) -> None:
        async with database.unit_of_work() as uow:
            repo = uow.knowledge_edits
            await repo.append("kb", "a", EditAction.CREATE, "alice", NOW, None, "v1")
            await repo.append("kb", "a", EditAction.EDIT, "bob", NOW, "v1", "v2")
            await repo.append("kb", "b", EditAction.CREATE, "alice", NOW, None, "b1")
            await repo.append("other-kb", "a", EditAction.CREATE, "carol", NOW, None, "x")
            await uow.commit()

        async with database.unit_of_work() as uow:
            versions = await uow.knowledge_edits.versions("kb", "a")
            second = await uow.knowledge_edits.get("kb", "a", 2)
            missing = await uow.knowledge_edits.get("kb", "a", 3)
            upcoming = await uow.knowledge_edits.next_version("kb", "a")

        assert [(v.version, v.action, v.edited_by) for v in versions] == [
            (2, EditAction.EDIT, "bob"),
            (1, EditAction.CREATE, "alice"),
        ]
        assert second is not None
        assert (second.before, second.after, second.edited_at) == ("v1", "v2", NOW)
        assert missing is None and upcoming == 3

    async def test_two_editors_saving_at_once_never_share_a_version_number(
        self, database: Database
    ) -> None:
        async with database.unit_of_work() as uow:
            await uow.knowledge_edits.append("kb", "a", EditAction.CREATE, "a", NOW, None, "v1")
            await uow.commit()

        async def save(editor: str) -> int:
            async with database.unit_of_work() as uow:
                edit = await uow.knowledge_edits.append(
                    "kb", "a", EditAction.EDIT, editor, NOW, "v1", editor
                )
                await asyncio.sleep(0.2)  # both transactions are open at once
                await uow.commit()
                return edit.version

        outcomes = await asyncio.gather(save("b"), save("c"), return_exceptions=True)

        async with database.unit_of_work() as uow:
            stored = [
                (v.version, v.edited_by) for v in await uow.knowledge_edits.versions("kb", "a")
            ]
        saved = [outcome for outcome in outcomes if isinstance(outcome, int)]
        refused = [outcome for outcome in outcomes if isinstance(outcome, ConflictError)]
        assert len(saved) + len(refused) == 2 and saved
        # PostgreSQL: the second insert waits for the first and is refused; SQLite: the
        # second transaction starts after the first and takes the next number.
        assert sorted(saved) == sorted(version for version, _ in stored if version > 1)
        assert len({version for version, _ in stored}) == len(stored)
        if database.engine.dialect.name == "postgresql":
            assert len(refused) == 1
