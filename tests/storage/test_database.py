"""The schema: migrations build exactly the tables the code declares, on a file."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.errors import InputError
from bot.storage import Database, alembic_config, metadata


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
