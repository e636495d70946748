"""The few statements whose SQL differs between SQLite and PostgreSQL, chosen per connection."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

UpsertInsert = sqlite.Insert | postgresql.Insert


def upsert_insert(conn: AsyncConnection, table: sa.Table) -> UpsertInsert:
    """Return an INSERT that supports ON CONFLICT on whichever database `conn` talks to.

    Both dialects spell `on_conflict_do_nothing(index_elements=...)` and
    `on_conflict_do_update(...)` the same way, which is what lets the repositories settle
    duplicate deliveries, double clicks and retries inside the database instead of with a
    racy "select, then insert".
    """
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_postgresql(conn: AsyncConnection) -> bool:
    """Tell whether row locks such as FOR UPDATE SKIP LOCKED are available."""
    return conn.dialect.name == "postgresql"
