"""Each storage test runs on real SQLite and, where a server is reachable, real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.storage import Database

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


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
